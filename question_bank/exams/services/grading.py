"""Objective grading at submission: each item scored by its question type with the exam's multiple-choice
policy; items a person must grade (short answers) keep ``score`` None and leave the attempt ``submitted``
until the grading queue (issue 6) finishes it. Runs on a Core connection inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update

from question_bank.exams.models import GRADED, SUBMITTED, Attempt, AttemptItem
from question_bank.models import QuestionVersion
from question_bank.types import get_question_type

attempts = Attempt.__table__
items = AttemptItem.__table__
_SET_SCORE = (update(items).where(items.c.id == bindparam("p_id"))
              .values(score=bindparam("p_score"), graded_at=bindparam("p_at")))


def is_blank(response) -> bool:
    """No answer given: nothing, an empty string or list, or a list of empty blanks (scored 0 without asking the
    question type)."""
    return response is None or response == "" or response == [] or (
        isinstance(response, list) and not any(str(part or "").strip() for part in response))


def grade_attempt(connection, attempt_id: int, policy: str, pass_score: Decimal, now: datetime) -> dict:
    """Score every auto-graded item from its saved response and total the attempt. Returns the attempt's new
    ``status``, ``score``, ``max_score`` and ``passed``."""
    rows = connection.execute(
        select(items.c.id, items.c.points, items.c.response, QuestionVersion.type, QuestionVersion.key)
        .join(QuestionVersion, QuestionVersion.id == items.c.question_version_id)
        .where(items.c.attempt_id == attempt_id)).all()
    updates, total, maximum, pending = [], Decimal("0"), Decimal("0"), False
    for row in rows:
        maximum += row.points
        kind = get_question_type(row.type)
        score = Decimal("0") if is_blank(row.response) else kind.score(row.key, row.response, row.points, policy)
        if score is None:
            pending = True
            continue
        total += score
        updates.append({"p_id": row.id, "p_score": score, "p_at": now})
    if updates:
        connection.execute(_SET_SCORE, updates)
    status = SUBMITTED if pending else GRADED
    passed = None if pending else total >= pass_score
    connection.execute(update(attempts).where(attempts.c.id == attempt_id).values(
        status=status, score=total, max_score=maximum, passed=passed, graded_at=None if pending else now))
    return {"status": status, "score": total, "max_score": maximum, "passed": passed}
