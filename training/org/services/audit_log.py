"""Reading the audit log (admins): filtered, newest first, paginated in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from training.core.audit import AuditEvent
from training.core.errors import PermissionDenied
from training.extensions import db
from training.org.models import User
from training.org.permissions import can_view_audit_log


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for the audit log; dates are inclusive calendar days (UTC)."""

    actor_employee_no: str = ""
    action: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor_name: str | None
    actor_employee_no: str | None
    action: str
    object_type: str
    object_id: str | None
    detail: dict
    ip: str | None


def list_audit_events(viewer: User, criteria: AuditFilter, page: int = 1,
                      per_page: int = 50) -> tuple[list[AuditRow], int]:
    """One page of events matching ``criteria`` and the total count; admins only."""
    if not can_view_audit_log(viewer):
        raise PermissionDenied("audit log is for administrators")
    actor = aliased(User)
    conditions = []
    if criteria.actor_employee_no:
        conditions.append(actor.employee_no == criteria.actor_employee_no.strip())
    if criteria.action:
        conditions.append(AuditEvent.action.startswith(criteria.action.strip(), autoescape=True))
    if criteria.object_type:
        conditions.append(AuditEvent.object_type == criteria.object_type.strip())
    if criteria.since:
        conditions.append(AuditEvent.at >= datetime.combine(criteria.since, datetime.min.time()))
    if criteria.until:
        conditions.append(AuditEvent.at < datetime.combine(criteria.until + timedelta(days=1),
                                                           datetime.min.time()))
    base = (select(AuditEvent.at, actor.name, actor.employee_no, AuditEvent.action, AuditEvent.object_type,
                   AuditEvent.object_id, AuditEvent.detail, AuditEvent.ip)
            .outerjoin(actor, actor.id == AuditEvent.actor_id).where(*conditions))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(base.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [AuditRow(*row) for row in rows], total
