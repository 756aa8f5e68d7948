"""Roster import from Excel (.xlsx): template, row-by-row validation (preview), all-or-nothing commit.

The same functions serve the web UI and ``flask org import-roster``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from zipfile import BadZipFile

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from training.core.audit import record_audit
from training.core.errors import PermissionDenied, ValidationFailed
from training.core.signals import user_placed
from training.extensions import db
from training.org.constants import RANK_NAMES, ROLE_BY_CHINESE, SCOPED_ROLES, Role
from training.org.models import Department, RoleGrant, User
from training.org.permissions import can_grant_role, can_manage_department, can_use_people_admin, scope_clause
from training.org.services.users import generate_initial_password

HEADERS = ("工号", "姓名", "部门编码", "职级", "职务", "角色")
REQUIRED_HEADERS = HEADERS[:4]
MAX_ROWS = 20000


@dataclass
class RosterRow:
    """One data row of the file and what committing it would do."""

    row_no: int
    employee_no: str
    name: str
    department_code: str
    rank: str
    position: str
    roles: list[tuple[str, str | None]] = field(default_factory=list)
    action: str = "unchanged"  # create | update | unchanged | error
    changes: dict[str, list[str]] = field(default_factory=dict)
    new_roles: list[tuple[str, str | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class RosterPreview:
    """The validated file: every row with its action or errors, and file-level errors."""

    rows: list[RosterRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> list[RosterRow]:
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self) -> bool:
        return not self.file_errors and not self.error_rows and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


@dataclass
class RosterResult:
    """What a commit did; ``passwords`` holds the initial passwords of created accounts (shown once)."""

    created: int
    updated: int
    unchanged: int
    passwords: list[tuple[str, str, str]]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_roles(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """``学员、领导@QC`` → [(learner, None), (leader, "QC")]; unknown names become errors."""
    roles, errors = [], []
    for part in text.replace("、", ",").replace("，", ",").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        name, _at, scope = part.partition("@")
        role = ROLE_BY_CHINESE.get(name.strip()) or (name.strip() if name.strip() in set(Role) else None)
        if role is None:
            errors.append(_("未知的角色“%(name)s”", name=name))
        else:
            roles.append((str(role), scope.strip() or None))
    return roles, errors


def read_roster(content: bytes) -> RosterPreview:
    """Parse the workbook's first sheet into rows (no database checks yet)."""
    preview = RosterPreview()
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError, TypeError):
        preview.file_errors.append(_("无法读取文件：请上传 .xlsx 格式的 Excel 文件"))
        return preview
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(value) for value in next(rows, ())]
    missing = [name for name in REQUIRED_HEADERS if name not in header]
    if missing:
        preview.file_errors.append(_("第 1 行缺少列：%(cols)s", cols="、".join(missing)))
        return preview
    index = {name: header.index(name) for name in HEADERS if name in header}
    for row_no, values in enumerate(rows, start=2):
        cells = [_cell_text(value) for value in values]
        if not any(cells):
            continue
        if len(preview.rows) >= MAX_ROWS:
            preview.file_errors.append(_("文件超过 %(n)d 行，请分批导入", n=MAX_ROWS))
            break

        def get(name: str, cells: list[str] = cells) -> str:
            position = index.get(name)
            return cells[position] if position is not None and position < len(cells) else ""

        roles, role_errors = _parse_roles(get("角色"))
        preview.rows.append(RosterRow(row_no, get("工号"), get("姓名"), get("部门编码"), get("职级"),
                                      get("职务"), roles, errors=role_errors))
    workbook.close()
    if not preview.rows and not preview.file_errors:
        preview.file_errors.append(_("文件中没有数据行"))
    return preview


def preview_roster(actor: User, content: bytes) -> RosterPreview:
    """Validate every row against the database and the actor's scope; decide create/update/unchanged."""
    if not can_use_people_admin(actor):
        raise PermissionDenied(_("无权导入花名册"))
    preview = read_roster(content)
    if preview.file_errors:
        return preview
    departments = _load_departments({row.department_code for row in preview.rows}
                                    | {scope for row in preview.rows for _, scope in row.roles if scope})
    users = _load_users({row.employee_no for row in preview.rows})
    seen: dict[str, int] = {}
    for row in preview.rows:
        _validate_row(actor, row, departments, users, seen)
    return preview


def _load_departments(codes: set[str]) -> dict[str, Department]:
    found = db.session.scalars(select(Department).where(Department.code.in_(codes))) if codes else []
    return {department.code: department for department in found}


def _load_users(numbers: set[str]) -> dict[str, User]:
    found = db.session.scalars(select(User).where(User.employee_no.in_(numbers))) if numbers else []
    return {user.employee_no: user for user in found}


def _validate_row(actor: User, row: RosterRow, departments: dict[str, Department],
                  users: dict[str, User], seen: dict[str, int]) -> None:
    if not row.employee_no:
        row.errors.append(_("工号为空"))
    elif row.employee_no in seen:
        row.errors.append(_("工号 %(no)s 与第 %(row)d 行重复", no=row.employee_no, row=seen[row.employee_no]))
    else:
        seen[row.employee_no] = row.row_no
    if not row.name:
        row.errors.append(_("姓名为空"))
    department = departments.get(row.department_code)
    if department is None:
        row.errors.append(_("部门编码“%(code)s”不存在", code=row.department_code))
    elif not can_manage_department(actor, department):
        row.errors.append(_("部门“%(code)s”不在您的管理范围内", code=row.department_code))
    if row.rank not in RANK_NAMES:
        row.errors.append(_("职级“%(rank)s”不在职级表中", rank=row.rank))
    existing = users.get(row.employee_no)
    if existing is not None and not can_manage_department(actor, existing.department):
        row.errors.append(_("工号 %(no)s 属于您管理范围之外的人员", no=row.employee_no))
    for role, scope_code in row.roles:
        scope = departments.get(scope_code) if scope_code else department
        if scope_code and scope is None:
            row.errors.append(_("角色管辖部门“%(code)s”不存在", code=scope_code))
        elif not can_grant_role(actor, role, scope):
            row.errors.append(_("无权授予角色“%(role)s”", role=role))
    if row.errors:
        row.action = "error"
        return
    _decide_action(row, department, existing, departments)


def _role_targets(row: RosterRow, department: Department,
                  departments: dict[str, Department]) -> list[tuple[str, str | None, int | None]]:
    """(role, scope code, scope id) of the row's roles beyond ``learner``; unscoped roles have no scope."""
    targets = []
    for role, scope_code in row.roles:
        if role == Role.LEARNER:
            continue
        if role in SCOPED_ROLES:
            scope = departments[scope_code] if scope_code else department
            targets.append((role, scope.code, scope.id))
        else:
            targets.append((role, None, None))
    return targets


def _decide_action(row: RosterRow, department: Department, existing: User | None,
                   departments: dict[str, Department]) -> None:
    targets = _role_targets(row, department, departments)
    if existing is None:
        row.action = "create"
        row.new_roles = [(role, code) for role, code, _id in targets]
        return
    current = {"姓名": existing.name, "部门编码": existing.department.code, "职级": existing.rank,
               "职务": existing.position}
    incoming = {"姓名": row.name, "部门编码": row.department_code, "职级": row.rank, "职务": row.position}
    row.changes = {key: [current[key], incoming[key]] for key in current if current[key] != incoming[key]}
    held = {(grant.role, grant.department_id) for grant in existing.grants}
    row.new_roles = [(role, code) for role, code, scope_id in targets if (role, scope_id) not in held]
    row.action = "update" if row.changes or row.new_roles else "unchanged"


def commit_roster(actor: User, content: bytes, filename: str = "") -> RosterResult:
    """Re-validate and apply the whole file in one transaction; refuses a file with any error."""
    preview = preview_roster(actor, content)
    if not preview.is_valid:
        raise ValidationFailed(_("文件有 %(n)d 处错误，未导入任何数据",
                                 n=len(preview.file_errors) + len(preview.error_rows)), details=preview)
    departments = _load_departments({row.department_code for row in preview.rows}
                                    | {scope for row in preview.rows for _, scope in row.roles if scope})
    users = _load_users({row.employee_no for row in preview.rows})
    passwords: list[tuple[str, str, str]] = []
    placed: list[User] = []
    try:
        for row in preview.rows:
            if row.action == "unchanged":
                continue
            user = _apply_row(actor, row, departments, users.get(row.employee_no), passwords)
            if row.action == "create" or "部门编码" in row.changes or "职级" in row.changes:
                placed.append(user)
        record_audit(actor.id, "roster.import", "roster", None, filename=filename,
                     created=preview.count("create"), updated=preview.count("update"),
                     unchanged=preview.count("unchanged"))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for user in placed:
        user_placed.send(user)
    return RosterResult(preview.count("create"), preview.count("update"), preview.count("unchanged"), passwords)


def _apply_row(actor: User, row: RosterRow, departments: dict[str, Department], user: User | None,
               passwords: list[tuple[str, str, str]]) -> User:
    department = departments[row.department_code]
    if user is None:
        password = generate_initial_password()
        user = User(employee_no=row.employee_no, must_change_password=True)
        user.set_password(password)
        passwords.append((row.employee_no, row.name, password))
        db.session.add(user)
    user.name, user.department, user.rank, user.position = row.name, department, row.rank, row.position
    db.session.flush()
    for role, scope_code in row.new_roles:
        scope = departments[scope_code] if scope_code else None
        db.session.add(RoleGrant(user_id=user.id, role=role, department_id=scope.id if scope else None,
                                 granted_by_id=actor.id))
        record_audit(actor.id, "role.grant", "user", user.id, role=role, via="roster",
                     department=scope.code if scope else None)
    return user


def roster_template(actor: User) -> bytes:
    """The downloadable template: the roster sheet with validation lists, the actor's departments and a
    说明 (instructions) sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for column, width in zip("ABCDEF", (14, 12, 14, 16, 20, 24), strict=True):
        sheet.column_dimensions[column].width = width
    departments_sheet = workbook.create_sheet("部门")
    departments_sheet.append(("部门编码", "部门名称"))
    codes = db.session.execute(select(Department.code, Department.name)
                               .where(scope_clause(actor, Department.path, Role.HR))
                               .order_by(Department.path)).all()
    for code, name in codes:
        departments_sheet.append((code, name))
    rank_check = DataValidation(type="list", formula1='"' + ",".join(RANK_NAMES) + '"', allow_blank=False,
                                showErrorMessage=True, errorTitle="职级", error="请从列表中选择职级")
    department_check = DataValidation(type="list", formula1=f"=部门!$A$2:$A${len(codes) + 1}",
                                      showErrorMessage=True, errorTitle="部门编码", error="请选择部门编码")
    sheet.add_data_validation(rank_check)
    sheet.add_data_validation(department_check)
    rank_check.add("D2:D5000")
    department_check.add("C2:C5000")
    _instructions_sheet(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _instructions_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet("说明")
    sheet.column_dimensions["A"].width = 100
    lines = (
        "花名册导入说明",
        "1. 在“花名册”工作表中每行填写一名人员，第 1 行为表头，请勿修改表头。",
        "2. 工号、姓名、部门编码、职级为必填；部门编码见“部门”工作表，只能填写您管理范围内的部门。",
        "3. 职级从下拉列表中选择；职务为选填。",
        "4. 角色为选填，多个角色用顿号或逗号分隔：学员、命题、审题、组织人事、领导、管理员。"
        "组织人事和领导默认管辖本人所在部门，也可写作“领导@部门编码”。",
        "5. 上传后系统先逐行校验并显示预览；只有全部行都正确时才能确认导入，导入要么全部成功，要么全部不生效。",
        "6. 已存在的工号会按文件内容更新姓名、部门、职级和职务；重复导入同一文件不会产生任何变化。",
        "7. 新建账号的初始密码只在导入完成页显示一次，人员首次登录时必须修改密码。",
    )
    for line in lines:
        sheet.append((line,))
    sheet["A1"].font = Font(bold=True, size=14)
