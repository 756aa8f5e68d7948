"""``flask courseware …``: load the shipped courseware files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from courseware.content_files import CONTENT_ROOT
from courseware.errors import ContentInvalid
from courseware.services.sync import sync_courseware

courseware_cli = AppGroup("courseware", help="课件管理。")


@courseware_cli.command("sync")
@click.option("--force", is_flag=True, help="覆盖在网页上编辑过的课时。")
@click.option("--dry-run", is_flag=True, help="只校验并报告，不写入数据库。")
@click.option("--content-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=CONTENT_ROOT,
              show_default=True, help="课件目录（默认为随产品发布的课件）。")
def sync_command(force: bool, dry_run: bool, content_dir: Path) -> None:
    """把课件文件同步到数据库（幂等；任何文件有错则不做任何更改）。"""
    try:
        report = sync_courseware(content_dir, force=force, dry_run=dry_run)
    except ContentInvalid as error:
        for problem in error.details:
            click.echo(f"错误 {problem}", err=True)
        raise click.ClickException(error.message) from error
    created, updated = report.created, report.updated
    click.echo(f"新增：模块 {created['module']}，知识点 {created['knowledge_point']}，课程 {created['course']}，"
               f"课时 {created['lesson']}")
    click.echo(f"更新：模块 {updated['module']}，知识点 {updated['knowledge_point']}，课程 {updated['course']}，"
               f"课时 {updated['lesson']}；未变课时 {report.unchanged_lessons}")
    for path in report.kept:
        click.echo(f"保留网页编辑：{path}（文件已更新，但该课时在网页上编辑过；使用 --force 覆盖）")
    for path in report.archived:
        click.echo(f"已下架：{path}（文件已删除）")
    if dry_run:
        click.echo("试运行：未写入数据库。")
    elif not report.changed and not report.kept:
        click.echo("课件已是最新，没有变化。")
