"""Helpers of the practice and wrong-answer book tests: sitting an exam through the services with chosen right
and wrong answers, and reading a learner's book back from the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from question_bank.exams.services.attempts import start_or_resume, submit_attempt
from question_bank.exams.services.autosave import save_response
from question_bank.practice.models import WrongAnswer
from tests.question_bank.exams.conftest import (  # noqa: F401  (fixtures shared with the exam tests)
    add_approved,
    bank,
    correct_response,
    t0,
    wrong_response,
)
from training.extensions import db

NO_ROWS = (("", "single", 2, "2"), ("", "multiple", 1, "3"), ("", "true_false", 1, "1"), ("", "fill_blank", 1, "2"))


def sit(user, exam, choose: Callable[[dict], object]) -> dict:
    """Start, answer every item with ``choose(item)`` (None: leave it blank) and hand in. Returns the attempt
    as the candidate saw it at the start (items with ids, types, question ids)."""
    body = start_or_resume(user.id, exam.id)
    for seq, item in enumerate(body["items"], start=1):
        response = choose(item)
        if response is not None:
            save_response(user.id, body["id"], item["id"], response, seq, body["session"])
    submit_attempt(user.id, body["id"], body["session"])
    return body


def question_of(item: dict) -> int:
    from question_bank.exams.models import AttemptItem
    return db.session.get(AttemptItem, item["id"]).question_id


def book_rows(user) -> dict[int, WrongAnswer]:
    """The user's book rows by question id, read fresh."""
    db.session.expire_all()
    return {row.question_id: row for row in db.session.scalars(select(WrongAnswer).where(
        WrongAnswer.user_id == user.id))}


def open_ids(user) -> set[int]:
    return {qid for qid, row in book_rows(user).items() if row.mastered_at is None}


@pytest.fixture
def wrong_on_odd():
    """Answer items 1, 3, 5… wrong, the others right; blank for the fill-in item."""

    def choose(item):
        if item["type"] == "fill_blank":
            return None
        return wrong_response(item) if item["position"] % 2 else correct_response(item)

    return choose
