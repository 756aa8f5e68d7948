"""Attempts: start or resume (a newer device takes over), the candidate's view of an attempt, submission, and
finalisation of overdue attempts from their last saved answers (lazily on next access, and by
``flask exams close-overdue``).

The server's clock rules (issue 5): deadline = start + duration + the candidate's extra time, capped by the
window's close. Starting is the moment of the synchronized spike, so it runs on one Core connection: a few
indexed reads, the draw (pools cached per process), one INSERT for the attempt and one multi-row INSERT for
its items, and rendered questions from a per-version cache.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from question_bank.exams.errors import AttemptClosed, ExamClosed, TakenOver
from question_bank.exams.models import (
    EXAM_PUBLISHED,
    FIXED,
    GRADED,
    IN_PROGRESS,
    SUBMITTED,
    Attempt,
    AttemptItem,
    BlueprintRow,
    Exam,
    ExamAudience,
    ExamExtraTime,
    ExamPaperItem,
)
from question_bank.exams.services.drawing import DrawnItem, arrange_fixed, draw_paper
from question_bank.exams.services.grading import grade_attempt
from question_bank.exams.services.papers import candidate_views, item_json
from question_bank.models import QuestionVersion
from training.core.clock import utcnow
from training.core.errors import Conflict, NotFound
from training.core.signals import attempt_graded
from training.extensions import db
from training.org.models import Department, User

GRACE_SECONDS = 60
attempts = Attempt.__table__
items = AttemptItem.__table__
exams = Exam.__table__

_EXAM = select(exams).where(exams.c.id == bindparam("exam_id"))
_MINE = (select(attempts.c.id, attempts.c.number, attempts.c.status, attempts.c.deadline_at)
         .where(attempts.c.exam_id == bindparam("exam_id"), attempts.c.user_id == bindparam("user_id"))
         .order_by(attempts.c.number))
_ATTEMPT = select(attempts).where(attempts.c.id == bindparam("attempt_id"), attempts.c.user_id == bindparam("user_id"))
_ITEMS = (select(items.c.id, items.c.position, items.c.question_version_id, items.c.points, items.c.option_order,
                 items.c.response, items.c.response_seq, items.c.flagged)
          .where(items.c.attempt_id == bindparam("attempt_id")).order_by(items.c.position))
_DEPARTMENT_PATH = select(Department.path).join(User, User.department_id == Department.id).where(
    User.id == bindparam("user_id"))


@dataclass
class Finalised:
    """Attempts graded in a transaction: their signals go out after it commits."""

    graded: list[tuple[int, int, int]]

    def send(self) -> None:
        for attempt_id, user_id, exam_id in self.graded:
            attempt_graded.send(None, attempt_id=attempt_id, user_id=user_id, exam_id=exam_id)


def is_overdue(deadline_at: datetime, now: datetime) -> bool:
    """Past the deadline and its grace: no save can arrive any more, so the attempt can be finalised."""
    return now > deadline_at + timedelta(seconds=GRACE_SECONDS)


def remaining_seconds(deadline_at: datetime, now: datetime) -> int:
    return max(0, int((deadline_at - now).total_seconds()))


def start_or_resume(user_id: int, exam_id: int, attempt_id: int | None = None) -> dict:
    """Resume the candidate's attempt in progress (this device takes it over), or start a new one when the
    exam is open to them and attempts remain. With ``attempt_id``, only that attempt is resumed (409 when it
    is finished). Returns the attempt as the candidate sees it, with a new ``session`` token."""
    finalise_overdue(user_id, exam_id)  # its own transaction, so a refusal below cannot undo it
    for _try in range(3):
        try:
            with db.engine.begin() as connection:
                return _start_or_resume(connection, user_id, exam_id, attempt_id, utcnow())
        except IntegrityError:  # the same attempt number started at the same moment elsewhere: resume that one
            continue
    raise Conflict(_("请稍后重试"))


def _start_or_resume(connection, user_id: int, exam_id: int, attempt_id: int | None, now: datetime) -> dict:
    exam = connection.execute(_EXAM, {"exam_id": exam_id}).first()
    if exam is None or exam.status != EXAM_PUBLISHED:
        raise NotFound(_("考试不存在"))
    mine = connection.execute(_MINE, {"exam_id": exam_id, "user_id": user_id}).all()
    # overdue attempts were finalised just before; one that became overdue since counts as closed
    current = next((row for row in mine if row.status == IN_PROGRESS and not is_overdue(row.deadline_at, now)),
                   None)
    if attempt_id is not None:
        if all(row.id != attempt_id for row in mine):
            raise NotFound(_("答卷不存在"))
        if current is None or current.id != attempt_id:
            raise AttemptClosed(_("这份答卷已经交卷"))
    token = secrets.token_urlsafe(24)
    if current is not None:
        connection.execute(update(attempts).where(attempts.c.id == current.id).values(session_token=token))
        return attempt_payload(connection, current.id, user_id, now, token=token)
    _check_can_start(connection, exam, user_id, len(mine), now)
    new_id = _create_attempt(connection, exam, user_id, (mine[-1].number if mine else 0) + 1,
                             [row.id for row in mine], token, now)
    return attempt_payload(connection, new_id, user_id, now, token=token)


def _check_can_start(connection, exam, user_id: int, attempts_used: int, now: datetime) -> None:
    if not in_audience(connection, exam.id, user_id):
        raise NotFound(_("考试不存在"))
    if now < exam.opens_at:
        raise ExamClosed(_("考试尚未开始"))
    if now >= exam.closes_at:
        raise ExamClosed(_("考试已经结束"))
    if exam.max_attempts and attempts_used >= exam.max_attempts:
        raise ExamClosed(_("您的作答次数已用完"))


def in_audience(connection, exam_id: int, user_id: int) -> bool:
    """Whether the user is named in the audience, or works in a department subtree that is."""
    path = connection.execute(_DEPARTMENT_PATH, {"user_id": user_id}).scalar() or ""
    ancestors = [int(part) for part in path.strip("/").split("/") if part]
    audience = ExamAudience.__table__
    return connection.execute(
        select(audience.c.id).where(audience.c.exam_id == exam_id,
                                    or_(audience.c.user_id == user_id, audience.c.department_id.in_(ancestors)))
        .limit(1)).first() is not None


def _create_attempt(connection, exam, user_id: int, number: int, earlier: list[int], token: str,
                    now: datetime) -> int:
    seed = secrets.randbits(31)
    drawn = _draw(connection, exam, seed, earlier)
    extra = connection.execute(select(ExamExtraTime.minutes).where(
        ExamExtraTime.exam_id == exam.id, ExamExtraTime.user_id == user_id)).scalar() or 0
    deadline = min(now + timedelta(minutes=exam.duration_minutes + extra), exam.closes_at)
    attempt_id = connection.execute(insert(attempts).values(
        exam_id=exam.id, user_id=user_id, number=number, form_seed=seed, status=IN_PROGRESS, started_at=now,
        deadline_at=deadline, finished_by="", max_score=sum((item.points for item in drawn), Decimal("0")),
        session_token=token).returning(attempts.c.id)).scalar_one()
    connection.execute(insert(items), [
        {"attempt_id": attempt_id, "position": position, "question_id": item.question_id,
         "question_version_id": item.version_id, "points": item.points, "option_order": item.option_order,
         "response": None, "response_seq": 0, "flagged": False, "feedback": ""}
        for position, item in enumerate(drawn, start=1)])
    return attempt_id


def _draw(connection, exam, seed: int, earlier: list[int]) -> list[DrawnItem]:
    if exam.paper_mode == FIXED:
        paper = connection.execute(
            select(QuestionVersion.question_id, ExamPaperItem.question_version_id, ExamPaperItem.points,
                   QuestionVersion.type, QuestionVersion.options)
            .join(QuestionVersion, QuestionVersion.id == ExamPaperItem.question_version_id)
            .where(ExamPaperItem.exam_id == exam.id).order_by(ExamPaperItem.position)).all()
        return arrange_fixed([(qid, vid, points, kind, len(options or [])) for qid, vid, points, kind, options
                              in paper], seed, shuffle_questions=exam.shuffle_questions,
                             shuffle_options=exam.shuffle_options)
    blueprint_rows = BlueprintRow.__table__
    rows = connection.execute(select(blueprint_rows).where(blueprint_rows.c.blueprint_id == exam.blueprint_id)
                              .order_by(blueprint_rows.c.position)).all()
    seen = frozenset(connection.execute(select(items.c.question_id).where(items.c.attempt_id.in_(earlier)))
                     .scalars()) if earlier else frozenset()
    return draw_paper(connection, rows, seed, avoid=seen, shuffle_questions=exam.shuffle_questions,
                      shuffle_options=exam.shuffle_options)


def attempt_payload(connection, attempt_id: int, user_id: int, now: datetime, *, token: str | None = None,
                    caller_token: str | None = None) -> dict:
    """The attempt as its candidate sees it: items without keys, saved answers, remaining seconds. ``token`` is
    set when this call gave the attempt to the caller's device; otherwise ``holder`` tells whether the
    caller's ``caller_token`` still holds it."""
    attempt = connection.execute(_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id}).first()
    exam = connection.execute(_EXAM, {"exam_id": attempt.exam_id}).first()
    rows = connection.execute(_ITEMS, {"attempt_id": attempt_id}).all()
    views = candidate_views(connection, {row.question_version_id for row in rows})
    body = {"id": attempt.id, "exam": {"id": exam.id, "title": exam.title, "kind": exam.kind,
                                       "duration_minutes": exam.duration_minutes},
            "number": attempt.number, "status": attempt.status, "started_at": iso_utc(attempt.started_at),
            "deadline_at": iso_utc(attempt.deadline_at), "submitted_at": iso_utc(attempt.submitted_at),
            "remaining_seconds": remaining_seconds(attempt.deadline_at, now) if attempt.status == IN_PROGRESS else 0,
            "grace_seconds": GRACE_SECONDS, "seq_base": max((row.response_seq for row in rows), default=0),
            "items": [item_json(row, views[row.question_version_id]) for row in rows]}
    if token is not None:
        body["session"] = token
    else:
        body["holder"] = "this" if caller_token and caller_token == attempt.session_token else "other"
    return body


def iso_utc(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def get_attempt_state(user_id: int, attempt_id: int, caller_token: str | None) -> dict:
    """The candidate's own attempt (404 for anyone else's); finalised first if it is overdue."""
    finalised = Finalised([])
    with db.engine.begin() as connection:
        now = utcnow()
        _own_attempt(connection, user_id, attempt_id, now, finalised)
        body = attempt_payload(connection, attempt_id, user_id, now, caller_token=caller_token)
    finalised.send()
    return body


def _own_attempt(connection, user_id: int, attempt_id: int, now: datetime, finalised: Finalised):
    """The caller's attempt row after lazy finalisation; NotFound for another person's attempt."""
    attempt = connection.execute(_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id}).first()
    if attempt is None:
        raise NotFound(_("答卷不存在"))
    if attempt.status == IN_PROGRESS and is_overdue(attempt.deadline_at, now):
        exam = connection.execute(_EXAM, {"exam_id": attempt.exam_id}).first()
        finalise(connection, attempt.id, user_id, exam, now, "deadline", finalised)
        attempt = connection.execute(_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id}).first()
    return attempt


def finalise_overdue(user_id: int, exam_id: int | None = None) -> None:
    """Lazy finalisation of the user's attempts past their deadline and grace (of one exam, or all), from
    their saved answers, in a transaction of its own."""
    finalised = Finalised([])
    with db.engine.begin() as connection:
        now = utcnow()
        query = select(attempts.c.id, attempts.c.exam_id, attempts.c.deadline_at).where(
            attempts.c.user_id == user_id, attempts.c.status == IN_PROGRESS)
        if exam_id is not None:
            query = query.where(attempts.c.exam_id == exam_id)
        for attempt_id, attempt_exam_id, deadline in connection.execute(query).all():
            if is_overdue(deadline, now):
                exam = connection.execute(_EXAM, {"exam_id": attempt_exam_id}).first()
                finalise(connection, attempt_id, user_id, exam, now, "deadline", finalised)
    finalised.send()


def finalise_if_overdue(user_id: int, attempt_id: int) -> None:
    """Lazy finalisation of one of the caller's attempts (before showing its result); NotFound for another
    person's attempt."""
    finalised = Finalised([])
    with db.engine.begin() as connection:
        _own_attempt(connection, user_id, attempt_id, utcnow(), finalised)
    finalised.send()


def submit_attempt(user_id: int, attempt_id: int, caller_token: str | None) -> dict:
    """Hand in the attempt and grade it from the saved answers. Idempotent: submitting a finished attempt
    returns its state again. A device that lost the attempt to another one may not submit it."""
    finalised = Finalised([])
    with db.engine.begin() as connection:
        now = utcnow()
        attempt = _own_attempt(connection, user_id, attempt_id, now, finalised)
        if attempt.status == IN_PROGRESS:
            if not caller_token or caller_token != attempt.session_token:
                raise TakenOver(_("这份答卷已在另一台设备上打开，请在那台设备上交卷"))
            exam = connection.execute(_EXAM, {"exam_id": attempt.exam_id}).first()
            finalise(connection, attempt.id, user_id, exam, now, "candidate", finalised)
            attempt = connection.execute(_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id}).first()
    finalised.send()
    return {"id": attempt.id, "status": attempt.status, "submitted_at": iso_utc(attempt.submitted_at),
            "finished_by": attempt.finished_by}


def finalise(connection, attempt_id: int, user_id: int, exam, now: datetime, finished_by: str,
             finalised: Finalised) -> bool:
    """Close an attempt in progress and grade it from its last saved answers. The status change is a
    compare-and-set, so of two simultaneous finalisations only one grades."""
    ended = now
    if finished_by == "deadline":
        ended = connection.execute(select(attempts.c.deadline_at).where(attempts.c.id == attempt_id)).scalar()
    claimed = connection.execute(update(attempts).where(attempts.c.id == attempt_id,
                                                        attempts.c.status == IN_PROGRESS)
                                 .values(status=SUBMITTED, submitted_at=ended, finished_by=finished_by))
    if claimed.rowcount != 1:
        return False
    outcome = grade_attempt(connection, attempt_id, exam.scoring_policy, exam.pass_score, now)
    if outcome["status"] == GRADED:
        finalised.graded.append((attempt_id, user_id, exam.id))
    return True


def close_overdue(batch: int = 200) -> int:
    """Finalise every attempt past its deadline and grace, from the last saved answers (for cron). Returns how
    many were finalised; each batch is its own transaction."""
    total = 0
    while True:
        now = utcnow()
        finalised = Finalised([])
        with db.engine.begin() as connection:
            due = connection.execute(
                select(attempts.c.id, attempts.c.user_id, attempts.c.exam_id)
                .where(attempts.c.status == IN_PROGRESS,
                       attempts.c.deadline_at < now - timedelta(seconds=GRACE_SECONDS))
                .order_by(attempts.c.id).limit(batch)).all()
            exams_by_id: dict[int, object] = {}
            for attempt_id, user_id, exam_id in due:
                if exam_id not in exams_by_id:
                    exams_by_id[exam_id] = connection.execute(_EXAM, {"exam_id": exam_id}).first()
                total += finalise(connection, attempt_id, user_id, exams_by_id[exam_id], now, "deadline", finalised)
        finalised.send()
        if len(due) < batch:
            return total

