"""The daily job (``flask certification daily``, cron-able, idempotent): rebuild the yearly 学时, move people
whose standing changed with the calendar (renewal window opened, certificate expired, deadline passed, exam
results released meanwhile — a release sends no event), send the dated reminders and deliver pending e-mail.
It re-evaluates everyone who is not a holder far from expiry, in batches of 500 (five queries each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from training.certification.constants import (
    DUE_SOON_DAYS,
    EXPIRY_NOTICE_DAYS,
    HOLDING,
    NotificationKind,
    Status,
)
from training.certification.models import Program, ProgramAssignment
from training.certification.services.hours import rebuild_yearly_hours
from training.certification.services.mail import deliver_pending
from training.certification.services.notifications import notify_many
from training.certification.services.progress import refresh_program
from training.core.clock import utcnow
from training.extensions import db

CHUNK = 1000


@dataclass(frozen=True)
class DailyReport:
    hours_rows: int
    recomputed: int
    notified: int
    emailed: int


def calendar_due(now: datetime, window_days_max: int):
    """Rows the calendar (or a release without an event) may have moved: everyone not certified, and the
    certified whose renewal window is open or about to. Only holders far from expiry are skipped."""
    return or_(
        ProgramAssignment.computed_at.is_(None),
        ProgramAssignment.status != Status.CERTIFIED,
        ProgramAssignment.expires_at.is_(None),
        ProgramAssignment.expires_at <= now + timedelta(days=window_days_max),
    )


def run_daily(*, now: datetime | None = None, full: bool = False) -> DailyReport:
    """Run every daily step; ``full`` recomputes every row of every programme instead of the calendar's."""
    now = now or utcnow()
    hours_rows = rebuild_yearly_hours()
    recomputed = 0
    for program in db.session.scalars(select(Program).order_by(Program.id)).all():
        where = None if full else calendar_due(now, program.renewal_window_days)
        recomputed += refresh_program(program.id, now=now, where=where)
    notified = send_dated_notices(now)
    db.session.commit()
    return DailyReport(hours_rows, recomputed, notified, deliver_pending())


def _notices(now: datetime):
    due_soon = (select(ProgramAssignment.id, ProgramAssignment.user_id, ProgramAssignment.due_at,
                       ProgramAssignment.certificate_id, ProgramAssignment.expires_at, ProgramAssignment.status,
                       Program.name)
                .join(Program, Program.id == ProgramAssignment.program_id))
    yield NotificationKind.DUE_SOON, due_soon.where(
        ProgramAssignment.status.notin_((*HOLDING, Status.OVERDUE, Status.EXPIRED)),
        ProgramAssignment.due_at >= now, ProgramAssignment.due_at <= now + timedelta(days=DUE_SOON_DAYS))
    yield NotificationKind.OVERDUE, due_soon.where(ProgramAssignment.status == Status.OVERDUE)
    yield NotificationKind.EXPIRING, due_soon.where(
        ProgramAssignment.status.in_(HOLDING), ProgramAssignment.expires_at > now,
        ProgramAssignment.expires_at <= now + timedelta(days=EXPIRY_NOTICE_DAYS))


def _notice(kind: str, row) -> dict:
    if kind == NotificationKind.EXPIRING:
        return {"user_id": row.user_id, "kind": kind, "dedupe_key": f"expiring:{row.certificate_id}",
                "params": {"program": row.name, "expires": row.expires_at.date().isoformat(),
                           "certificate_id": row.certificate_id}, "link": f"/certificates/{row.certificate_id}"}
    due = row.due_at.date().isoformat()
    return {"user_id": row.user_id, "kind": kind, "dedupe_key": f"{kind}:{row.id}:{due}",
            "params": {"program": row.name, "due": due}, "link": "/my/programs"}


def send_dated_notices(now: datetime) -> int:
    """Due in 14 days, overdue, certificate expiring in 60 days — once each (deduplicated); no commit. Returns
    how many notifications were new."""
    sent = 0
    for kind, query in _notices(now):
        result = db.session.execute(query.order_by(ProgramAssignment.id).execution_options(yield_per=CHUNK))
        for chunk in result.partitions():
            sent += notify_many([_notice(kind, row) for row in chunk])
    return sent
