"""HR reminders: who is behind schedule in the officer's scope, and in-app reminders to them (once a day per
person per programme), audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy import Select, and_, func, or_, select

from training.certification.constants import DUE_SOON_DAYS, HOLDING, NotificationKind, Status
from training.certification.models import Program, ProgramAssignment
from training.certification.services.notifications import notify_many
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import NotFound, PermissionDenied, ValidationFailed
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import can_manage_department, scope_clause

MESSAGE_LENGTH = 1000
MAX_RECIPIENTS = 5000
REMINDER_LINK = "/my/programs"


@dataclass(frozen=True)
class BehindRow:
    """One person in one programme who is behind schedule."""

    assignment_id: int
    user_id: int
    employee_no: str
    name: str
    department: str
    program: str
    program_code: str
    status: str
    due_at: datetime | None
    expires_at: datetime | None
    percent: int


@dataclass(frozen=True)
class BehindPage:
    """A page of ``BehindRow`` with the total count."""

    items: list[BehindRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _behind_select(viewer: User, program_id: int | None, department: Department | None, now: datetime) -> Select:
    """Assignments in the viewer's HR scope that are overdue, expired, or not certified and due within 14 days
    (active people only)."""
    due_soon = and_(ProgramAssignment.status.not_in(list(HOLDING)), ProgramAssignment.due_at.is_not(None),
                    ProgramAssignment.due_at <= now + timedelta(days=DUE_SOON_DAYS))
    conditions = [scope_clause(viewer, Department.path, Role.HR), User.is_active.is_(True),
                  or_(ProgramAssignment.status.in_([Status.OVERDUE, Status.EXPIRED]), due_soon)]
    if program_id is not None:
        conditions.append(ProgramAssignment.program_id == program_id)
    if department is not None:
        conditions.append(Department.path.startswith(department.path, autoescape=True))
    return (select(ProgramAssignment.id, User.id, User.employee_no, User.name, Department.name, Program.name,
                   Program.code, ProgramAssignment.status, ProgramAssignment.due_at, ProgramAssignment.expires_at,
                   ProgramAssignment.percent)
            .select_from(ProgramAssignment)
            .join(User, User.id == ProgramAssignment.user_id)
            .join(Department, Department.id == User.department_id)
            .join(Program, Program.id == ProgramAssignment.program_id)
            .where(*conditions))


def behind_schedule(viewer: User, *, program_id: int | None = None, department_id: int | None = None,
                    page: int = 1, per_page: int = 50) -> BehindPage:
    """People behind schedule in ``viewer``'s HR scope (optionally one programme, one department subtree),
    earliest due first, paginated and counted in SQL. NotFound for a department outside the scope."""
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if not can_manage_department(viewer, department):
            raise NotFound(_("部门不存在或不在您的管理范围内"))
    query = _behind_select(viewer, program_id, department, utcnow())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    rows = db.session.execute(query.order_by(ProgramAssignment.due_at.is_(None), ProgramAssignment.due_at,
                                             Department.path, User.employee_no, Program.code)
                              .limit(per_page).offset((page - 1) * per_page))
    return BehindPage(items=[BehindRow(*row) for row in rows], total=total, page=page, per_page=per_page)


def local_today() -> date:
    """Today in the platform's time zone (a reminder day runs from midnight to midnight there, not in UTC)."""
    return to_user_timezone(utcnow()).date()


def send_reminders(actor: User, assignment_ids: Iterable[int], message: str) -> int:
    """Send ``message`` as an in-app reminder to the people of ``assignment_ids`` — at most one per person per
    programme per day. Every id must lie in the actor's HR scope, else PermissionDenied and nothing is sent.
    Audited ``reminder.send``; commits. Returns how many reminders were sent (repeats of today skipped)."""
    ids = sorted({int(i) for i in assignment_ids})
    text = (message or "").strip()
    if not ids:
        raise ValidationFailed(_("请选择要提醒的人员"))
    if len(ids) > MAX_RECIPIENTS:
        raise ValidationFailed(_("一次最多提醒 %(n)d 人次", n=MAX_RECIPIENTS))
    if not text or len(text) > MESSAGE_LENGTH:
        raise ValidationFailed(_("提醒内容不能为空，且不超过 %(n)d 个字", n=MESSAGE_LENGTH))
    rows = db.session.execute(
        select(ProgramAssignment.id, ProgramAssignment.user_id, Program.name, ProgramAssignment.due_at)
        .join(Program, Program.id == ProgramAssignment.program_id)
        .join(User, User.id == ProgramAssignment.user_id)
        .join(Department, Department.id == User.department_id)
        .where(ProgramAssignment.id.in_(ids), scope_clause(actor, Department.path, Role.HR))).all()
    if len(rows) != len(ids):
        raise PermissionDenied(_("所选人员中有 %(n)d 人不在您的管理范围内，未发送任何提醒",
                                 n=len(ids) - len(rows)))
    day = local_today().isoformat()
    sent = notify_many({
        "user_id": user_id, "kind": NotificationKind.REMINDER, "dedupe_key": f"reminder:{assignment_id}:{day}",
        "params": {"program": program, "due": due_at.date().isoformat() if due_at else None,
                   "assignment_id": assignment_id},
        "link": REMINDER_LINK, "title": _("学习提醒：《%(program)s》", program=program), "body": text,
    } for assignment_id, user_id, program, due_at in rows)
    record_audit(actor.id, "reminder.send", "program_assignment", None, count=sent, requested=len(ids),
                 assignment_ids=ids[:200], message=text[:200])
    db.session.commit()
    return sent
