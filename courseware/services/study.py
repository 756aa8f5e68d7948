"""The study clock: server-side heartbeats credit study time that cannot be idled (防挂机), lesson completion,
and course completion with 学时.

Rules (DOMAIN.md §3, issue 3): a beat credits at most the time since the previous accepted beat and never more
than 40 s; a gap longer than 60 s means the clock had stopped (tab hidden, learner idle, page closed), so the
beat only restarts it; a beat for another lesson moves the one clock and credits nothing; a lesson accrues at
most twice its estimated time; it completes when its estimated time is reached and the learner reached the end.
This path is hot, so it uses a few Core statements rather than the ORM unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from time import monotonic

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Boolean, and_, bindparam, case, or_, select, update

from courseware.hours import course_credit, current_rule
from courseware.models import Course, Enrollment, Lesson, LessonProgress, StudyClock
from training.core.caches import register_process_cache
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.core.signals import course_completed
from training.core.sql import insert_ignoring_conflicts
from training.extensions import db

MAX_CREDIT_SECONDS = 40
RESUME_GAP_SECONDS = 60
MIN_BEAT_SECONDS = 5
CAP_FACTOR = 2

clocks = StudyClock.__table__
progress_table = LessonProgress.__table__


@dataclass(frozen=True)
class LessonFacts:
    minutes: int
    course_id: int


@dataclass(frozen=True)
class BeatResult:
    """What one heartbeat did. Seconds are study seconds; ``state`` is started | counting | too_soon | paused |
    switched | capped | busy."""

    credited: int
    seconds: int
    required_seconds: int
    cap_seconds: int
    reached_end: bool
    completed: bool
    course_completed: bool
    state: str


# Prebuilt statements: the heartbeat is the hottest write path, so nothing is composed per request.
_LESSON = select(Lesson.minutes, Lesson.course_id).where(Lesson.id == bindparam("lesson_id"),
                                                         Lesson.published.is_(True))
_CLOCK = select(clocks.c.lesson_id, clocks.c.last_beat_at).where(clocks.c.user_id == bindparam("user_id"))
_CLOCK_SET = update(clocks).where(clocks.c.user_id == bindparam("b_user_id"),
                                  clocks.c.last_beat_at == bindparam("previous")).values(
    lesson_id=bindparam("new_lesson_id"), last_beat_at=bindparam("now"))
_PROGRESS = select(progress_table.c.seconds, progress_table.c.reached_end, progress_table.c.completed_at).where(
    progress_table.c.user_id == bindparam("user_id"), progress_table.c.lesson_id == bindparam("lesson_id"))
_new_seconds = progress_table.c.seconds + bindparam("b_credit")
_at_end = or_(progress_table.c.reached_end, bindparam("b_end", type_=Boolean))
# The common beat in one statement: add the credit when it stays under the cap, note the end of the page,
# complete the lesson when both conditions hold. Zero rows means no row yet or the cap is near: slow path.
_PROGRESS_ADD = (
    update(progress_table)
    .where(progress_table.c.user_id == bindparam("b_user_id"), progress_table.c.lesson_id == bindparam("b_lesson_id"),
           _new_seconds <= bindparam("b_cap"))
    .values(seconds=_new_seconds, reached_end=_at_end, last_beat_at=bindparam("b_now"),
            completed_at=case((and_(progress_table.c.completed_at.is_(None), _new_seconds >= bindparam("b_required"),
                                    _at_end), bindparam("b_now")), else_=progress_table.c.completed_at))
    .returning(progress_table.c.seconds, progress_table.c.reached_end, progress_table.c.completed_at)
)
_PROGRESS_SET = update(progress_table).where(progress_table.c.user_id == bindparam("b_user_id"),
                                             progress_table.c.lesson_id == bindparam("b_lesson_id"))


_LESSON_CACHE: dict[int, tuple[float, int, int]] = {}
LESSON_CACHE_SECONDS = 60
register_process_cache(_LESSON_CACHE.clear)


def _lesson_facts(connection, lesson_id: int) -> LessonFacts:
    """A published lesson's minutes and course, cached per process for a minute: an edited duration reaches
    every worker within that minute, and the heartbeat saves a query on every beat."""
    cached = _LESSON_CACHE.get(lesson_id)
    clock_now = monotonic()
    if cached is None or cached[0] < clock_now:
        row = connection.execute(_LESSON, {"lesson_id": lesson_id}).first()
        if row is None:
            _LESSON_CACHE.pop(lesson_id, None)
            raise NotFound(_("课时不存在"))
        cached = _LESSON_CACHE[lesson_id] = (clock_now + LESSON_CACHE_SECONDS, row.minutes, row.course_id)
    return LessonFacts(cached[1], cached[2])


def record_heartbeat(user_id: int, lesson_id: int, *, active: bool = True, reached_end: bool = False) -> BeatResult:
    """Apply one beat from ``user_id`` on ``lesson_id`` and commit. ``active`` is False when the page reports
    the learner idle or the tab hidden: the clock stops and nothing is credited."""
    # The engine's own transaction, not the ORM session: nothing here needs the unit of work.
    with db.engine.begin() as connection:
        lesson = _lesson_facts(connection, lesson_id)
        now = utcnow()
        credit, state = _advance_clock(connection, user_id, lesson_id, now, active)
        if state in ("started", "switched"):
            connection.execute(insert_ignoring_conflicts(
                Enrollment.__table__, {"user_id": user_id, "course_id": lesson.course_id, "source": "self",
                                       "enrolled_at": now, "hours_credited": 0}, ["user_id", "course_id"]))
        result, completed_now = _credit_progress(connection, user_id, lesson_id, lesson.minutes, credit,
                                                 reached_end, now, state)
        course_done = completed_now and _complete_course(connection, user_id, lesson.course_id, now)
    if course_done:
        course_completed.send(None, user_id=user_id, course_id=lesson.course_id)
    return replace(result, course_completed=course_done)


def _advance_clock(connection, user_id: int, lesson_id: int, now: datetime, active: bool) -> tuple[int, str]:
    """Move the user's one clock; returns (seconds to credit, state). Compare-and-set on ``last_beat_at`` so
    two simultaneous beats can never both credit the same interval."""
    row = connection.execute(_CLOCK, {"user_id": user_id}).first()
    if row is None:
        connection.execute(insert_ignoring_conflicts(
            clocks, {"user_id": user_id, "lesson_id": lesson_id if active else None, "last_beat_at": now},
            ["user_id"]))
        return 0, "started" if active else "paused"
    previous_lesson, previous_beat = row
    gap = (now - previous_beat).total_seconds() if previous_beat else None
    if not active:
        _set_clock(connection, user_id, previous_beat, None, now)
        return 0, "paused"
    if previous_lesson != lesson_id or gap is None or gap > RESUME_GAP_SECONDS:
        _set_clock(connection, user_id, previous_beat, lesson_id, now)
        switched = previous_lesson not in (None, lesson_id) and gap is not None and gap <= RESUME_GAP_SECONDS
        return 0, "switched" if switched else "started"
    if gap < current_app.config.get("STUDY_MIN_BEAT_SECONDS", MIN_BEAT_SECONDS):
        return 0, "too_soon"
    credit = int(min(gap, MAX_CREDIT_SECONDS))
    # Keep the fraction of a second for the next beat; beyond the 40 s cap the excess is dropped.
    restart = previous_beat + timedelta(seconds=credit) if gap <= MAX_CREDIT_SECONDS else now
    if not _set_clock(connection, user_id, previous_beat, lesson_id, restart):
        return 0, "busy"
    return credit, "counting"


def _set_clock(connection, user_id: int, previous_beat: datetime | None, lesson_id: int | None,
               now: datetime) -> bool:
    if previous_beat is None:
        statement = update(clocks).where(clocks.c.user_id == user_id, clocks.c.last_beat_at.is_(None)).values(
            lesson_id=lesson_id, last_beat_at=now)
        return connection.execute(statement).rowcount == 1
    return connection.execute(_CLOCK_SET, {"b_user_id": user_id, "previous": previous_beat,
                                           "new_lesson_id": lesson_id, "now": now}).rowcount == 1


def _credit_progress(connection, user_id: int, lesson_id: int, minutes: int, credit: int, reached_end: bool,
                     now: datetime, state: str) -> tuple[BeatResult, bool]:
    """Add ``credit`` seconds (within the cap) and note the end of the page; returns the result and whether the
    lesson was completed by this beat."""
    required, cap = minutes * 60, minutes * 60 * CAP_FACTOR
    if credit:
        added = connection.execute(_PROGRESS_ADD, {"b_user_id": user_id, "b_lesson_id": lesson_id, "b_credit": credit,
                                                   "b_cap": cap, "b_end": reached_end, "b_now": now,
                                                   "b_required": required}).first()
        if added is not None:
            completes = added.completed_at == now
            return BeatResult(credit, added.seconds, required, cap, bool(added.reached_end),
                              added.completed_at is not None, False, state), completes
    keys = {"user_id": user_id, "lesson_id": lesson_id}
    row = connection.execute(_PROGRESS, keys).first()
    if row is None:
        connection.execute(insert_ignoring_conflicts(
            progress_table, {**keys, "seconds": 0, "reached_end": False, "started_at": now}, ["user_id", "lesson_id"]))
        seconds, was_at_end, completed_at = 0, False, None
    else:
        seconds, was_at_end, completed_at = row
    new_seconds = min(seconds + credit, cap)
    if credit and new_seconds == seconds:
        state = "capped"
    at_end = was_at_end or reached_end
    completes = completed_at is None and new_seconds >= required and at_end
    values = {"seconds": new_seconds, "reached_end": at_end}
    if credit:
        values["last_beat_at"] = now
    if completes:
        values["completed_at"] = now
    if values != {"seconds": seconds, "reached_end": was_at_end}:
        connection.execute(_PROGRESS_SET.values(**values), {"b_user_id": user_id, "b_lesson_id": lesson_id})
    return BeatResult(new_seconds - seconds, new_seconds, required, cap, at_end,
                      completed_at is not None or completes, False, state), completes


def _complete_course(connection, user_id: int, course_id: int, now: datetime) -> bool:
    """When every published lesson of the course is complete, complete the enrolment and credit its 学时."""
    lessons = connection.execute(
        select(Lesson.minutes, LessonProgress.completed_at)
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Lesson.course_id == course_id, Lesson.published.is_(True))).all()
    if not lessons or any(completed is None for _, completed in lessons):
        return False
    declared = connection.execute(select(Course.credit_hours).where(Course.id == course_id)).scalar()
    hours = course_credit(declared, [minutes for minutes, _ in lessons], current_rule())
    result = connection.execute(
        update(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id,
                                 Enrollment.completed_at.is_(None))
        .values(completed_at=now, hours_credited=hours))
    return result.rowcount == 1


def lesson_state(user_id: int, lesson: Lesson) -> dict:
    """The learner's standing on a lesson, for the page and the API (seconds, required, cap, completed)."""
    row = db.session.execute(select(LessonProgress.seconds, LessonProgress.reached_end, LessonProgress.completed_at)
                             .where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id)).first()
    seconds, reached_end, completed_at = row if row else (0, False, None)
    return {"seconds": seconds, "required_seconds": lesson.minutes * 60,
            "cap_seconds": lesson.minutes * 60 * CAP_FACTOR, "reached_end": reached_end,
            "completed": completed_at is not None}
