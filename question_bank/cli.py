"""``flask questions …``: import and export question files from the shell (the same services as the UI)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from question_bank.errors import QuestionInvalid
from question_bank.services.browse import QuestionFilter
from question_bank.services.duplicates import reindex_all
from question_bank.services.exporting import EXPORT_FORMATS, export_questions
from question_bank.services.importing import FORMATS, commit_import, detect_format, preview_import
from training.org.constants import Role
from training.org.models import User
from training.org.services.users import find_acting_user

questions_cli = AppGroup("questions", help="题库管理。")


def _actor(employee_no: str | None) -> User:
    """The named official, else the first administrator or examiner."""
    actor = find_acting_user(employee_no, (Role.ADMIN, Role.EXAMINER))
    if actor is None:
        raise click.ClickException("没有可用的命题人员或管理员账号（用 --as 指定工号）")
    return actor


def _echo_report(report) -> None:
    click.echo(f"共 {report.total} 题：可导入 {report.importable}（其中题库已有 {report.already_present}），"
               f"跳过 {len(report.skipped)}，错误 {len(report.errors)}；题型 {report.by_type}")
    for item in report.skipped:
        click.echo(f"跳过 {item['ref']}：{item['reason']}")
    for item in report.errors:
        click.echo(f"错误 {item['ref']}：{item['message']}", err=True)
    for item in report.duplicates:
        click.echo(f"疑似重复 {item['ref']} ≈ {item['code']}（相似度 {item['similarity']:.2f}）")


@questions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="默认按扩展名和内容判断。")
@click.option("--dry-run", is_flag=True, help="只预览，不写入数据库。")
@click.option("--knowledge-point", default=None, help="没有知识点的试题归入此知识点（如 M3.2）。")
@click.option("--as", "actor_no", default=None, help="以该工号的身份导入（默认：第一个命题人员或管理员）。")
def import_command(file: Path, fmt: str | None, dry_run: bool, knowledge_point: str | None,
                   actor_no: str | None) -> None:
    """导入试题文件（Excel 模板、GIFT、Aiken、Moodle XML）；全部正确才导入，导入后为草稿。"""
    content = file.read_bytes()
    fmt = fmt or detect_format(file.name, content)
    actor = _actor(actor_no)
    if dry_run:
        _echo_report(preview_import(actor, content, fmt, knowledge_point))
        click.echo("试运行：未写入数据库。")
        return
    try:
        report = commit_import(actor, content, fmt, file.name, knowledge_point)
    except QuestionInvalid as error:
        if hasattr(error.details, "errors"):
            _echo_report(error.details)
        raise click.ClickException(error.message) from error
    _echo_report(report)
    click.echo(f"已导入 {report.imported} 道新试题（草稿）。")


@questions_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="excel", show_default=True)
@click.option("--module", default="")
@click.option("--status", default="")
@click.option("--type", "kind", default="")
@click.option("--as", "actor_no", default=None)
def export_command(file: Path, fmt: str, module: str, status: str, kind: str, actor_no: str | None) -> None:
    """按条件导出试题（Excel、GIFT、Moodle XML）。"""
    data, count = export_questions(_actor(actor_no), QuestionFilter(module=module, status=status, type=kind), fmt)
    file.write_bytes(data)
    click.echo(f"已导出 {count} 道试题到 {file}")


@questions_cli.command("reindex")
def reindex_command() -> None:
    """重建近似重复检测索引（更换 data/common_bigrams.txt 后运行）。"""
    count = reindex_all()
    click.echo(f"已重建 {count} 道试题的相似度索引。")
