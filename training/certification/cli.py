"""``flask certification …``: the daily job and its parts, for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from training.certification.services.daily import run_daily
from training.certification.services.hours import rebuild_yearly_hours
from training.certification.services.mail import deliver_pending

certification_cli = AppGroup("certification", help="认证与学时。")


@certification_cli.command("daily")
@click.option("--full", is_flag=True, help="重新计算所有人的全部认证进度（默认只算随日期变化的部分）。")
def daily_command(full: bool) -> None:
    """每日任务（可由 cron 每天运行，重复运行无副作用）：汇总学时、标记到期与逾期、开启复训窗口、发送提醒。"""
    report = run_daily(full=full)
    click.echo(f"学时汇总 {report.hours_rows} 行；认证进度变化 {report.recomputed} 条；"
               f"新提醒 {report.notified} 条；发送邮件 {report.emailed} 封。")


@certification_cli.command("mail")
def mail_command() -> None:
    """发送待发的通知邮件（仅在配置了 MAIL_SERVER 时发送；可每隔几分钟运行）。"""
    click.echo(f"发送邮件 {deliver_pending()} 封。")


@certification_cli.command("rebuild-hours")
def rebuild_hours_command() -> None:
    """按学习记录重建每人每年的学时汇总（批量导入学习记录后运行）。"""
    click.echo(f"学时汇总 {rebuild_yearly_hours()} 行。")
