"""CLI of the composition root: registers every package's command group and ``flask demo``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from courseware.cli import courseware_cli
from courseware.demo import load_demo_courseware
from question_bank.cli import questions_cli
from question_bank.exams.cli import exams_cli
from question_bank.exams.demo import load_demo_exams
from question_bank.shipped import load_shipped_questions
from training.certification.cli import certification_cli
from training.certification.demo import load_demo_programs
from training.certification.services.hours import rebuild_yearly_hours
from training.core.clock import utcnow
from training.extensions import db
from training.org.cli import org_cli
from training.org.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_organisation
from training.org.models import User
from training.reports.cli import reports_cli
from training.reports.services.snapshots import take_snapshot

demo_cli = AppGroup("demo", help="演示数据。")


@demo_cli.command("load")
def demo_load() -> None:
    """载入演示数据（幂等：重复运行不会重复创建）。"""
    counts = load_demo_organisation()
    db.session.commit()
    click.echo(f"演示数据：新增部门 {counts['departments']} 个，新增人员 {counts['users']} 人。")
    report, learners = load_demo_courseware()
    click.echo(f"课件：新增课程 {report.created['course']} 门、课时 {report.created['lesson']} 个；"
               f"为 {learners} 人生成学习进度。")
    click.echo(f"题库：新增已审核试题 {load_shipped_questions()} 道。")
    click.echo(f"考试：新增开放中的考试 {load_demo_exams()} 场（正式考试与模拟考试）。")
    click.echo(f"认证：新增认证项目 {load_demo_programs()} 个（含清川市组织人事部门的分配规则）；"
               f"学时汇总 {rebuild_yearly_hours()} 行。")
    click.echo(f"报表：生成近 12 个月的部门指标快照 {load_demo_snapshots()} 条。")
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}，仅供演示）：" + "、".join(a[0] for a in DEMO_ACCOUNTS))


def load_demo_snapshots(months: int = 12) -> int:
    """The monthly snapshots the trend charts read, for the last ``months`` months (what `flask reports snapshot`
    run by cron would have recorded); idempotent like the command."""
    now = utcnow()
    year, month = now.year, now.month
    written = 0
    for _step in range(months):
        written += take_snapshot(f"{year:04d}-{month:02d}", now=now)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return written


@demo_cli.command("is-empty")
def demo_is_empty() -> None:
    """退出码 0 表示数据库中还没有任何人员（`make run` 据此决定是否载入演示数据）。"""
    raise SystemExit(0 if db.session.scalar(db.select(User.id).limit(1)) is None else 1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(org_cli)
    app.cli.add_command(courseware_cli)
    app.cli.add_command(questions_cli)
    app.cli.add_command(exams_cli)
    app.cli.add_command(certification_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(demo_cli)
