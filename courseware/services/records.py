"""The learner's own record: what to continue, course progress, 学时 this year against the target, required
courses due soon, and the printable 学习档案."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, extract, func, select

from courseware.hours import current_targets
from courseware.models import Course, Enrollment, Lesson, LessonProgress
from courseware.services.catalogue import CourseCard, course_cards
from training.core.clock import utcnow
from training.extensions import db
from training.org.models import User

DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class HoursStanding:
    year: int
    earned: float
    target: float
    online_minimum: float

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.earned / self.target)) if self.target else 100


@dataclass(frozen=True)
class LearnerOverview:
    continue_lesson: tuple[Lesson, int] | None  # lesson and seconds studied
    courses: list[CourseCard]
    hours: HoursStanding
    due_soon: list[tuple[Course, datetime]]


def hours_standing(user: User, year: int | None = None) -> HoursStanding:
    """学时 earned in ``year`` (online study on this platform) against the rank's annual target."""
    year = year or utcnow().year
    earned = db.session.scalar(select(func.coalesce(func.sum(Enrollment.hours_credited), 0)).where(
        Enrollment.user_id == user.id, Enrollment.completed_at >= datetime(year, 1, 1),
        Enrollment.completed_at < datetime(year + 1, 1, 1)))
    targets = current_targets()
    return HoursStanding(year, float(earned or 0), targets.annual_target(user.rank), targets.online_minimum)


def learner_overview(user: User) -> LearnerOverview:
    """Everything the learner's home page shows (a handful of queries, none per course)."""
    last = db.session.execute(
        select(Lesson, LessonProgress.seconds).join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(LessonProgress.user_id == user.id, LessonProgress.completed_at.is_(None), Lesson.published.is_(True))
        .order_by(LessonProgress.last_beat_at.desc().nulls_last(), LessonProgress.id.desc()).limit(1)).first()
    now = utcnow()
    due = db.session.execute(
        select(Course, Enrollment.due_at).join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user.id, Enrollment.completed_at.is_(None), Enrollment.due_at.is_not(None),
               Enrollment.due_at <= now + timedelta(days=DUE_SOON_DAYS))
        .order_by(Enrollment.due_at)).all()
    return LearnerOverview(tuple(last) if last else None, course_cards(user.id, enrolled_only=True),
                           hours_standing(user), [(course, due_at) for course, due_at in due])


@dataclass(frozen=True)
class RecordRow:
    course: Course
    source: str
    enrolled_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    hours: Decimal
    lessons_done: int


def learning_record(user: User) -> tuple[list[RecordRow], dict[int, float]]:
    """Every enrolment with its outcome, and 学时 per year (for the printable 学习档案 / 学时证明)."""
    done = (select(Lesson.course_id, func.count(LessonProgress.id).label("n"))
            .join(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user.id,
                                       LessonProgress.completed_at.is_not(None)))
            .group_by(Lesson.course_id).subquery())
    rows = db.session.execute(
        select(Course, Enrollment.source, Enrollment.enrolled_at, Enrollment.due_at, Enrollment.completed_at,
               Enrollment.hours_credited, func.coalesce(done.c.n, 0))
        .join(Enrollment, Enrollment.course_id == Course.id).outerjoin(done, done.c.course_id == Course.id)
        .where(Enrollment.user_id == user.id)
        .order_by(Enrollment.completed_at.desc().nulls_first(), Course.code)).all()
    per_year = dict(db.session.execute(
        select(extract("year", Enrollment.completed_at), func.sum(Enrollment.hours_credited))
        .where(Enrollment.user_id == user.id, Enrollment.completed_at.is_not(None))
        .group_by(extract("year", Enrollment.completed_at))).all())
    return [RecordRow(*row) for row in rows], {int(year): float(hours) for year, hours in per_year.items()}
