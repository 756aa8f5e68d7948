"""The candidate's side: the exams open to them with their standing, and an exam's start page facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from question_bank.exams.models import EXAM_PUBLISHED, GRADED, IN_PROGRESS, Attempt, Exam, ExamAudience, ExamExtraTime
from question_bank.exams.services.attempts import finalise_overdue, in_audience
from question_bank.exams.services.exams import paper_summary
from question_bank.exams.services.results import exam_results_released, is_released
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.extensions import db
from training.org.models import User

#: Closed exams stay on the candidate's list this long (with their results).
SHOW_CLOSED_DAYS = 180


@dataclass
class ExamCard:
    """An exam on a candidate's list. ``state``: upcoming | open | in_progress | used_up | closed."""

    exam: Exam
    state: str
    attempts_used: int
    attempts_left: int | None
    in_progress_id: int | None
    last_attempt_id: int | None
    best_score: Decimal | None
    window_seconds_left: int
    extra_minutes: int = 0


def _audience_filter(user: User):
    ancestors = user.department.ancestor_ids() if user.department else []
    return Exam.id.in_(select(ExamAudience.exam_id).where(
        or_(ExamAudience.user_id == user.id, ExamAudience.department_id.in_(ancestors))))


@dataclass(frozen=True)
class Standing:
    """A candidate's attempts at one exam, summarised."""

    used: int = 0
    best: Decimal | None = None
    last_id: int | None = None
    open_id: int | None = None


def my_exams(user: User) -> list[ExamCard]:
    """Published exams whose audience includes the user, open and upcoming first, with their standing: four
    queries whatever the number of exams."""
    finalise_overdue(user.id)
    now = utcnow()
    exams = list(db.session.scalars(
        select(Exam).where(Exam.status == EXAM_PUBLISHED, _audience_filter(user),
                           Exam.closes_at > now - timedelta(days=SHOW_CLOSED_DAYS))
        .order_by((Exam.closes_at <= now), Exam.closes_at, Exam.id)))
    ids = [exam.id for exam in exams]
    open_ids = dict(db.session.execute(select(Attempt.exam_id, Attempt.id).where(
        Attempt.user_id == user.id, Attempt.status == IN_PROGRESS, Attempt.exam_id.in_(ids))).all())
    best_graded = func.max(case((Attempt.status == GRADED, Attempt.score)))
    released = {exam.id for exam in exams if exam_results_released(exam, now)}
    standing = {exam_id: Standing(used, best if exam_id in released else None, last, open_ids.get(exam_id))
                for exam_id, used, best, last in db.session.execute(
                    select(Attempt.exam_id, func.count(), best_graded, func.max(Attempt.id))
                    .where(Attempt.user_id == user.id, Attempt.exam_id.in_(ids)).group_by(Attempt.exam_id))}
    extra = dict(db.session.execute(select(ExamExtraTime.exam_id, ExamExtraTime.minutes).where(
        ExamExtraTime.user_id == user.id)).all())
    return [_card(exam, standing.get(exam.id, Standing()), extra.get(exam.id, 0), now) for exam in exams]


def _card(exam: Exam, standing: Standing, extra: int, now: datetime) -> ExamCard:
    left = None if not exam.max_attempts else max(exam.max_attempts - standing.used, 0)
    if standing.open_id:
        state = "in_progress"
    elif now < exam.opens_at:
        state = "upcoming"
    elif now >= exam.closes_at:
        state = "closed"
    elif left == 0:
        state = "used_up"
    else:
        state = "open"
    return ExamCard(exam, state, standing.used, left, standing.open_id, standing.last_id, standing.best,
                    max(0, int((exam.closes_at - now).total_seconds())), extra)


def exam_for_candidate(user: User, exam_id: int) -> tuple[ExamCard, int, Decimal, list[Attempt]]:
    """The start page: the exam's card, question count, total points and the user's attempts; NotFound unless
    the exam is published for them (or they already sat it)."""
    finalise_overdue(user.id)
    exam = db.session.get(Exam, exam_id)
    mine = list(db.session.scalars(select(Attempt).where(Attempt.exam_id == exam_id, Attempt.user_id == user.id)
                                   .order_by(Attempt.number))) if exam else []
    if exam is None or exam.status != EXAM_PUBLISHED or (
            not mine and not in_audience(db.session.connection(), exam.id, user.id)):
        raise NotFound(_("考试不存在"))
    now = utcnow()
    standing = Standing(len(mine), max((a.score for a in mine if is_released(exam, a, now)), default=None),
                        mine[-1].id if mine else None,
                        next((a.id for a in mine if a.status == IN_PROGRESS), None))
    extra = db.session.scalar(select(ExamExtraTime.minutes).where(ExamExtraTime.exam_id == exam.id,
                                                                  ExamExtraTime.user_id == user.id)) or 0
    count, points = paper_summary(exam)
    return _card(exam, standing, extra, now), count, points, mine
