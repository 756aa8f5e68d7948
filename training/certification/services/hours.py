"""The yearly 学时 summary (``YearlyHours``): one person's years on ``course_completed``, everyone's at once in
the daily job (set-based), so the roster sorts and filters on it without summing enrolments per request."""

from __future__ import annotations

from sqlalchemy import delete, extract, func, insert, literal, select

from courseware.models import Enrollment
from training.certification.models import YearlyHours
from training.core.clock import utcnow
from training.extensions import db


def _per_year(user_ids=None):
    year = extract("year", Enrollment.completed_at)
    query = (select(Enrollment.user_id, year, func.sum(Enrollment.hours_credited), func.count(), literal(utcnow()))
             .where(Enrollment.completed_at.is_not(None)).group_by(Enrollment.user_id, year))
    return query.where(Enrollment.user_id.in_(user_ids)) if user_ids is not None else query


def refresh_person_hours(user_id: int) -> None:
    """Rewrite one person's yearly 学时 from their enrolments (no commit)."""
    db.session.execute(delete(YearlyHours).where(YearlyHours.user_id == user_id))
    db.session.execute(insert(YearlyHours).from_select(
        ["user_id", "year", "hours", "courses", "updated_at"], _per_year([user_id])))


def rebuild_yearly_hours() -> int:
    """Rewrite everyone's yearly 学时 in one statement (the daily job; after bulk imports); commits. Returns the
    number of (person, year) rows."""
    db.session.execute(delete(YearlyHours))
    db.session.execute(insert(YearlyHours).from_select(
        ["user_id", "year", "hours", "courses", "updated_at"], _per_year()))
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(YearlyHours))
