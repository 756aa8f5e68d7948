"""``flask reports …``: the monthly snapshots behind the dashboard's trends, for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from training.core.clock import utcnow
from training.reports.services.snapshots import month_of, take_snapshot

reports_cli = AppGroup("reports", help="领导报表。")


@reports_cli.command("snapshot")
@click.option("--month", default=None, metavar="YYYY-MM", help="快照的月份（默认本月）。")
def snapshot_command(month: str | None) -> None:
    """记录各部门本月（或指定月份）的关键指标快照，供趋势图使用（可由 cron 每天运行；重复运行只替换该月的快照，
    其他月份不变）。已结束的月份按月末时点计算。"""
    month = month or month_of(utcnow())
    try:
        count = take_snapshot(month)
    except ValueError as error:
        raise click.BadParameter(f"应为本月或之前的月份，格式 YYYY-MM（{error}）", param_hint="--month") from error
    click.echo(f"报表快照 {month}：{count} 个部门。")
