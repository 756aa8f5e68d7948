"""``flask exams …``: exam-day operations from the shell (cron: ``flask exams close-overdue``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from question_bank.exams.services.attempts import close_overdue

exams_cli = AppGroup("exams", help="考试管理。")


@exams_cli.command("close-overdue")
@click.option("--batch", default=200, show_default=True, help="每个事务处理的答卷数。")
def close_overdue_command(batch: int) -> None:
    """按最后保存的答案结束所有已超时（含 60 秒宽限）的答卷并评分，可由 cron 定时运行。"""
    count = close_overdue(batch)
    click.echo(f"已结束超时答卷 {count} 份。")
