"""The study clock: server-side heartbeats credit study time that cannot be idled (防挂机), lesson completion,
and course completion with 学时.

Rules (DOMAIN.md §3, issue 3): a beat credits at most the time since the previous accepted beat and never more
than 40 s; a gap longer than 60 s means the clock had stopped (tab hidden, learner idle, page closed), so the
beat only restarts it; each learner has one clock, on one lesson: a beat for another lesson moves it and
credits nothing, so two lessons open at once earn nothing; a lesson accrues at most twice its estimated time;
it completes when its estimated time is reached and the learner reached the end of the page.

The heartbeat is the hottest write path, so a counting beat is one read and one compare-and-set write, built
once at import: the clock says which lesson runs, the progress row's ``last_beat_at`` is the time anchor, and
the write only succeeds if the anchor is still the one read, so two simultaneous beats never both credit the
same interval.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from training.core.sql import insert_ignoring_conflicts, upsert
from training.extensions import db

MAX_CREDIT_SECONDS = 40
RESUME_GAP_SECONDS = 60
MIN_BEAT_SECONDS = 5
CAP_FACTOR = 2
LESSON_CACHE_SECONDS = 60

clocks = StudyClock.__table__
progress = LessonProgress.__table__


@dataclass(frozen=True)
class LessonFacts:
    minutes: int
    course_id: int

    @property
    def required(self) -> int:
        return self.minutes * 60

    @property
    def cap(self) -> int:
        return self.minutes * 60 * CAP_FACTOR


@dataclass(frozen=True)
class BeatResult:
    """What one heartbeat did. Seconds are study seconds; ``state`` is started | switched | counting | too_soon |
    paused | capped | busy."""

    credited: int
    seconds: int
    required_seconds: int
    cap_seconds: int
    reached_end: bool
    completed: bool
    course_completed: bool
    state: str


_LESSON = select(Lesson.minutes, Lesson.course_id).where(Lesson.id == bindparam("lesson_id"),
                                                         Lesson.published.is_(True))
# The learner's clock and their row on this lesson, in one read.
_STANDING = (
    select(clocks.c.lesson_id.label("clock_lesson"), progress.c.seconds, progress.c.reached_end,
           progress.c.completed_at, progress.c.last_beat_at)
    .select_from(clocks.outerjoin(progress, and_(progress.c.user_id == clocks.c.user_id,
                                                 progress.c.lesson_id == bindparam("lesson_id"))))
    .where(clocks.c.user_id == bindparam("user_id"))
)
_PROGRESS = select(progress.c.seconds, progress.c.reached_end, progress.c.completed_at, progress.c.last_beat_at).where(
    progress.c.user_id == bindparam("user_id"), progress.c.lesson_id == bindparam("lesson_id"))
_new_seconds = progress.c.seconds + bindparam("b_credit")
_at_end = or_(progress.c.reached_end, bindparam("b_end", type_=Boolean))
# A counting beat: add the credit if the anchor is unchanged and the cap not passed; complete the lesson when
# both its time and the end of the page are reached. Zero rows: another beat won, or the cap is near.
_COUNT = (
    update(progress)
    .where(progress.c.user_id == bindparam("b_user_id"), progress.c.lesson_id == bindparam("b_lesson_id"),
           progress.c.last_beat_at == bindparam("b_anchor"), _new_seconds <= bindparam("b_cap"))
    .values(seconds=_new_seconds, reached_end=_at_end, last_beat_at=bindparam("b_next_anchor"),
            completed_at=case((and_(progress.c.completed_at.is_(None), _new_seconds >= bindparam("b_required"),
                                    _at_end), bindparam("b_now")), else_=progress.c.completed_at))
    .returning(progress.c.seconds, progress.c.reached_end, progress.c.completed_at)
)

_lesson_cache: dict[int, tuple[float, LessonFacts]] = {}
register_process_cache(_lesson_cache.clear)


def _lesson_facts(connection, lesson_id: int) -> LessonFacts:
    """A published lesson's minutes and course, cached per process for a minute: an edited duration reaches
    every worker within that minute, and every beat saves a query."""
    cached = _lesson_cache.get(lesson_id)
    if cached is None or cached[0] < monotonic():
        row = connection.execute(_LESSON, {"lesson_id": lesson_id}).first()
        if row is None:
            _lesson_cache.pop(lesson_id, None)
            raise NotFound(_("课时不存在"))
        facts = LessonFacts(row.minutes, row.course_id)
        cached = _lesson_cache[lesson_id] = (monotonic() + LESSON_CACHE_SECONDS, facts)
    return cached[1]


def record_heartbeat(user_id: int, lesson_id: int, *, active: bool = True, reached_end: bool = False) -> BeatResult:
    """Apply one beat from ``user_id`` on ``lesson_id`` and commit. ``active`` is False when the page reports
    the learner idle or the tab hidden: the clock stops and nothing is credited."""
    with db.engine.begin() as connection:  # the engine's transaction: nothing here needs the ORM
        lesson = _lesson_facts(connection, lesson_id)
        now = utcnow()
        standing = connection.execute(_STANDING, {"user_id": user_id, "lesson_id": lesson_id}).first()
        on_this_lesson = standing is not None and standing.clock_lesson == lesson_id
        gap = (now - standing.last_beat_at).total_seconds() if on_this_lesson and standing.last_beat_at else None
        if not active:
            result, completed_now = _pause(connection, user_id, lesson_id, lesson, standing, now), False
        elif gap is None or gap > RESUME_GAP_SECONDS:
            moved = standing is not None and standing.clock_lesson not in (None, lesson_id)
            result, completed_now = _start(connection, user_id, lesson_id, lesson, reached_end, now,
                                           "switched" if moved else "started")
        elif gap < current_app.config.get("STUDY_MIN_BEAT_SECONDS", MIN_BEAT_SECONDS):
            result, completed_now = _settle(connection, user_id, lesson_id, lesson, 0, None, reached_end, now,
                                            "too_soon")
        else:
            result, completed_now = _count(connection, user_id, lesson_id, lesson, standing.last_beat_at, gap,
                                           reached_end, now)
        course_done = completed_now and _complete_course(connection, user_id, lesson.course_id, now)
    if course_done:
        course_completed.send(None, user_id=user_id, course_id=lesson.course_id)
    return BeatResult(**{**result.__dict__, "course_completed": course_done})


def _count(connection, user_id: int, lesson_id: int, lesson: LessonFacts, anchor: datetime, gap: float,
           reached_end: bool, now: datetime) -> tuple[BeatResult, bool]:
    """Credit the time since the anchor (≤ 40 s). The fraction of a second stays for the next beat; beyond the
    40 s cap the excess is dropped."""
    credit = int(min(gap, MAX_CREDIT_SECONDS))
    next_anchor = anchor + timedelta(seconds=credit) if gap <= MAX_CREDIT_SECONDS else now
    row = connection.execute(_COUNT, {"b_user_id": user_id, "b_lesson_id": lesson_id, "b_anchor": anchor,
                                      "b_credit": credit, "b_cap": lesson.cap, "b_end": reached_end,
                                      "b_next_anchor": next_anchor, "b_required": lesson.required,
                                      "b_now": now}).first()
    if row is not None:
        return BeatResult(credit, row.seconds, lesson.required, lesson.cap, bool(row.reached_end),
                          row.completed_at is not None, False, "counting"), row.completed_at == now
    return _settle(connection, user_id, lesson_id, lesson, credit, anchor, reached_end, now, "counting",
                   next_anchor)


def _settle(connection, user_id: int, lesson_id: int, lesson: LessonFacts, credit: int, anchor: datetime | None,
            reached_end: bool, now: datetime, state: str,
            next_anchor: datetime | None = None) -> tuple[BeatResult, bool]:
    """The careful path: read the row, credit up to the cap (only if ``anchor`` is still current), note the end
    of the page, complete the lesson when due. Returns the result and whether the lesson completed now."""
    keys = {"user_id": user_id, "lesson_id": lesson_id}
    row = connection.execute(_PROGRESS, keys).first()
    if anchor is not None and row.last_beat_at != anchor:
        credit, state = 0, "busy"  # a simultaneous beat credited this interval
    seconds = min(row.seconds + credit, lesson.cap)
    if credit and seconds == row.seconds:
        state = "capped"
    at_end = row.reached_end or reached_end
    completes = row.completed_at is None and seconds >= lesson.required and at_end
    values = {"seconds": seconds, "reached_end": at_end}
    if credit and state != "busy":
        values["last_beat_at"] = next_anchor or now
    if completes:
        values["completed_at"] = now
    if values != {"seconds": row.seconds, "reached_end": row.reached_end}:
        connection.execute(update(progress).where(progress.c.user_id == user_id, progress.c.lesson_id == lesson_id)
                           .values(**values))
    return BeatResult(seconds - row.seconds, seconds, lesson.required, lesson.cap, at_end,
                      row.completed_at is not None or completes, False, state), completes


def _start(connection, user_id: int, lesson_id: int, lesson: LessonFacts, reached_end: bool, now: datetime,
           state: str) -> tuple[BeatResult, bool]:
    """Put the clock on this lesson and anchor it now; enrol the learner in the course if need be."""
    connection.execute(upsert(clocks, {"user_id": user_id, "lesson_id": lesson_id, "moved_at": now}, ["user_id"],
                              {"lesson_id": lesson_id, "moved_at": now}))
    connection.execute(upsert(progress, {"user_id": user_id, "lesson_id": lesson_id, "seconds": 0,
                                         "reached_end": False, "started_at": now, "last_beat_at": now},
                              ["user_id", "lesson_id"], {"last_beat_at": now}))
    connection.execute(insert_ignoring_conflicts(
        Enrollment.__table__, {"user_id": user_id, "course_id": lesson.course_id, "source": "self",
                               "enrolled_at": now, "hours_credited": 0}, ["user_id", "course_id"]))
    return _settle(connection, user_id, lesson_id, lesson, 0, None, reached_end, now, state)


def _pause(connection, user_id: int, lesson_id: int, lesson: LessonFacts, standing, now: datetime) -> BeatResult:
    """Stop the clock (tab hidden or learner idle): nothing is credited, the next beat restarts it."""
    if standing is not None and standing.clock_lesson is not None:
        connection.execute(update(clocks).where(clocks.c.user_id == user_id).values(lesson_id=None, moved_at=now))
    row = connection.execute(_PROGRESS, {"user_id": user_id, "lesson_id": lesson_id}).first()
    seconds, at_end, completed = (row.seconds, row.reached_end, row.completed_at is not None) if row else (0, False,
                                                                                                          False)
    return BeatResult(0, seconds, lesson.required, lesson.cap, at_end, completed, False, "paused")


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
