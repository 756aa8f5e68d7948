"""Reactions to what the lower layers announce (``training.core.signals``): progress is recomputed for the one
person concerned, after the event's own transaction committed. A failure here must not fail the learner's
request (the heartbeat, the submission): it is logged and rolled back, and the daily job catches up."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import or_, select

from training.certification.models import Program, ProgramAssignment, ProgramCourse
from training.certification.services.assignments import apply_rules_to_user
from training.certification.services.hours import refresh_person_hours
from training.certification.services.progress import refresh
from training.core.signals import attempt_graded, course_completed, user_placed
from training.extensions import db

log = logging.getLogger(__name__)


def _guarded(work, *args) -> None:
    try:
        work(*args)
    except Exception:
        db.session.rollback()
        if current_app.testing:  # tests must see the failure
            raise
        log.exception("certification: reacting to an event failed; the daily job will catch up")


def on_course_completed(_sender, *, user_id: int, course_id: int, **_extra) -> None:
    """A course completed: the person's yearly 学时, the programmes that contain the course and those being
    renewed (whose 学时 come from any course)."""
    def work() -> None:
        refresh_person_hours(user_id)
        db.session.commit()
        programs = select(ProgramCourse.program_id).where(ProgramCourse.course_id == course_id)
        ids = db.session.scalars(select(ProgramAssignment.program_id).where(
            ProgramAssignment.user_id == user_id,
            or_(ProgramAssignment.program_id.in_(programs), ProgramAssignment.renewing.is_(True)))).all()
        if ids:
            refresh(user_id, ids)
    _guarded(work)


def on_attempt_graded(_sender, *, user_id: int, exam_id: int, **_extra) -> None:
    """An attempt graded (or regraded): the person's programmes that ask for that exam."""
    def work() -> None:
        programs = select(Program.id).where(or_(Program.exam_id == exam_id, Program.renewal_exam_id == exam_id))
        ids = db.session.scalars(select(ProgramAssignment.program_id).where(
            ProgramAssignment.user_id == user_id,
            or_(ProgramAssignment.program_id.in_(programs), ProgramAssignment.renewing.is_(True)))).all()
        if ids:
            refresh(user_id, ids)
    _guarded(work)


def on_user_placed(user, **_extra) -> None:
    """A new or moved official: the department rules that now cover them."""
    _guarded(apply_rules_to_user, user.id)


def connect() -> None:
    """Subscribe the reactions (called once by the app factory; blinker keeps weak references, so these are
    module-level functions)."""
    course_completed.connect(on_course_completed)
    attempt_graded.connect(on_attempt_graded)
    user_placed.connect(on_user_placed)
