"""``flask org …``: roster import and account administration from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from training.core.errors import DomainError
from training.extensions import db
from training.org.constants import DepartmentKind, Role
from training.org.models import Department, RoleGrant, User
from training.org.services import roster
from training.org.services.accounts import check_password_rules
from training.org.services.departments import add_department
from training.org.services.users import find_acting_user

org_cli = AppGroup("org", help="组织机构与人员管理。")


def _system_actor(employee_no: str | None) -> User:
    """The acting user for CLI changes: the named one, else the first admin."""
    actor = find_acting_user(employee_no, (Role.ADMIN,))
    if actor is None:
        raise click.ClickException("没有可用的管理员账号：请先运行 `flask org create-admin` 或 `flask demo load`")
    return actor


@org_cli.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只校验并显示预览，不写入数据库。")
@click.option("--as", "actor_no", default=None, help="以该工号的身份导入（默认：第一个管理员）。")
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path),
              help="把新建账号的初始密码写入此 CSV 文件（否则打印）。")
def import_roster(file: Path, dry_run: bool, actor_no: str | None, passwords_out: Path | None) -> None:
    """从 Excel 花名册导入人员（先校验，全部正确才导入）。"""
    actor = _system_actor(actor_no)
    content = file.read_bytes()
    preview = roster.preview_roster(actor, content)
    for message in preview.file_errors:
        click.echo(f"错误：{message}", err=True)
    for row in preview.error_rows:
        click.echo(f"第 {row.row_no} 行：{'；'.join(row.errors)}", err=True)
    click.echo(f"新建 {preview.count('create')} 人，更新 {preview.count('update')} 人，"
               f"无变化 {preview.count('unchanged')} 人，错误 {len(preview.error_rows)} 行。")
    if not preview.is_valid:
        raise click.ClickException("文件有错误，未导入任何数据。")
    if dry_run:
        click.echo("试运行：未写入数据库。")
        return
    try:
        result = roster.commit_roster(actor, content, file.name)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    lines = [f"{no},{name},{password}" for no, name, password in result.passwords]
    if passwords_out and lines:
        passwords_out.write_text("工号,姓名,初始密码\n" + "\n".join(lines) + "\n", encoding="utf-8")
        passwords_out.chmod(0o600)
        click.echo(f"初始密码已写入 {passwords_out}")
    elif lines:
        click.echo("新建账号的初始密码（首次登录须修改）：\n" + "\n".join(lines))
    click.echo(f"已导入：新建 {result.created} 人，更新 {result.updated} 人。")


@org_cli.command("create-admin")
@click.option("--employee-no", required=True)
@click.option("--name", required=True)
@click.option("--department", "department_code", required=True, help="已有部门的编码。")
@click.password_option()
def create_admin(employee_no: str, name: str, department_code: str, password: str) -> None:
    """创建系统管理员账号（用于首次部署）。"""
    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise click.ClickException(f"部门 {department_code} 不存在")
    if db.session.scalar(select(User.id).where(User.employee_no == employee_no)):
        raise click.ClickException(f"工号 {employee_no} 已存在")
    try:
        check_password_rules(password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    user = User(employee_no=employee_no, name=name, department=department, rank="一级主任科员",
                must_change_password=False)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    db.session.add(RoleGrant(user_id=user.id, role=Role.ADMIN))
    db.session.commit()
    click.echo(f"已创建管理员 {employee_no}")


@org_cli.command("add-department")
@click.argument("code")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in DepartmentKind]), default=DepartmentKind.BUREAU.value)
@click.option("--parent", "parent_code", default=None, help="上级部门编码（省略则为顶级部门）。")
def add_department_command(code: str, name: str, kind: str, parent_code: str | None) -> None:
    """新增部门（首次部署时建立顶级部门）。"""
    parent = None
    if parent_code:
        parent = db.session.scalar(select(Department).where(Department.code == parent_code))
        if parent is None:
            raise click.ClickException(f"上级部门 {parent_code} 不存在")
    try:
        department = add_department(code, name, kind, parent)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"已新增部门 {department.code}（{department.path}）")
