"""Figures for the home page, aggregated in SQL within the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from training.core.audit import AuditEvent
from training.core.clock import utcnow
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import scope_clause, scope_paths


@dataclass(frozen=True)
class PeopleSummary:
    """Headcount of a scope and accounts that need attention."""

    headcount: int
    never_logged_in: int
    locked: int
    departments: int


def department_trail(department: Department) -> list[Department]:
    """Ancestors from the root down to ``department`` (one query)."""
    ids = department.ancestor_ids()
    found = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def people_summary(viewer: User, *roles: Role) -> PeopleSummary:
    """Headcount, never-logged-in and locked accounts in the viewer's scope for ``roles`` (one query)."""
    in_scope = scope_clause(viewer, Department.path, *roles)
    now = utcnow()
    row = db.session.execute(
        select(func.count(User.id),
               func.coalesce(func.sum(case((User.last_login_at.is_(None), 1), else_=0)), 0),
               func.coalesce(func.sum(case((User.locked_until > now, 1), else_=0)), 0),
               func.count(func.distinct(User.department_id)))
        .join(User.department).where(in_scope, User.is_active.is_(True))
    ).one()
    return PeopleSummary(*row)


def scope_roots(viewer: User, *roles: Role) -> list[Department]:
    """The root departments of the viewer's scope for ``roles`` (all top-level ones for admins)."""
    paths = scope_paths(viewer, *roles)
    query = select(Department).order_by(Department.path)
    query = query.where(Department.parent_id.is_(None)) if paths is None else query.where(Department.path.in_(paths))
    return list(db.session.scalars(query))


def child_headcounts(root: Department) -> list[tuple[Department, int]]:
    """Direct sub-departments of ``root`` with the active headcount of each one's whole subtree (one query)."""
    child = select(Department).where(Department.parent_id == root.id).subquery()
    counts = (select(child.c.id, func.count(User.id).label("n"))
              .select_from(child)
              .join(Department, Department.path.startswith(child.c.path))
              .outerjoin(User, and_(User.department_id == Department.id, User.is_active.is_(True)))
              .group_by(child.c.id).subquery())
    rows = db.session.execute(select(Department, counts.c.n).join(counts, counts.c.id == Department.id)
                              .order_by(Department.code)).all()
    return [(department, n) for department, n in rows]


def recent_audit_events(limit: int = 8) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit events with the actor's name (admins' home page)."""
    return list(db.session.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all())
