"""Resuming on a second device: the same attempt with its acknowledged answers and remaining time; the first
device loses it (its saves and its submission are refused, nothing changes); never two attempts in progress."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from question_bank.exams.models import Attempt
from question_bank.exams.services.attempts import start_or_resume
from tests.question_bank.exams.conftest import at, attempt_row, first, item_row
from training.core.clock import frozen_clock
from training.extensions import db


@pytest.fixture
def exam(timed_exam):
    return timed_exam


def attempts_of(user, exam) -> list[Attempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attempt).where(Attempt.user_id == user.id, Attempt.exam_id == exam.id)))


def test_a_second_device_resumes_and_takes_over(exam, learner, candidate_of, t0):
    laptop, tablet = candidate_of(learner), candidate_of(learner, bearer=False)
    with frozen_clock(t0):
        body = laptop.started(exam.id)
        single, blank = first(body, "single"), first(body, "fill_blank")
        assert laptop.save(body["id"], single["id"], "D", 1, flagged=True).status_code == 200
        assert laptop.save(body["id"], blank["id"], ["一网通办"], 2).status_code == 200
    with frozen_clock(at(t0, minutes=10)):
        resumed = tablet.start(exam.id)
    assert resumed.status_code == 201
    resumed = resumed.json
    assert resumed["id"] == body["id"] and resumed["number"] == 1
    assert resumed["session"] != body["session"]
    assert resumed["deadline_at"] == body["deadline_at"]
    assert resumed["remaining_seconds"] == 20 * 60  # not reset
    items = {item["id"]: item for item in resumed["items"]}
    assert [item["id"] for item in resumed["items"]] == [item["id"] for item in body["items"]]
    assert (items[single["id"]]["response"], items[single["id"]]["saved_seq"], items[single["id"]]["flagged"]) \
        == ("D", 1, True)
    assert (items[blank["id"]]["response"], items[blank["id"]]["saved_seq"]) == (["一网通办"], 2)
    assert resumed["seq_base"] == 2
    assert len(attempts_of(learner, exam)) == 1

    with frozen_clock(at(t0, minutes=11)):
        refused = laptop.save(body["id"], single["id"], "A", 3)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "taken_over"
        stored = item_row(single["id"])
        assert (stored.response, stored.response_seq, stored.flagged) == ("D", 1, True)
        assert laptop.get(body["id"]).json["holder"] == "other"
        assert tablet.get(body["id"]).json["holder"] == "this"
        accepted = tablet.save(body["id"], single["id"], "B", 3)
        assert accepted.status_code == 200 and accepted.json["saved_seq"] == 3
        assert item_row(single["id"]).response == "B"

        submit = laptop.submit(body["id"])
        assert submit.status_code == 409 and submit.json["error"]["code"] == "taken_over"
        assert attempt_row(body["id"]).status == "in_progress"
        assert tablet.submit(body["id"]).status_code == 200
    assert attempt_row(body["id"]).status == "graded"


def test_the_first_device_can_take_the_attempt_back(exam, learner, candidate_of):
    laptop, tablet = candidate_of(learner), candidate_of(learner)
    body = laptop.started(exam.id)
    tablet.started(exam.id)
    item = first(body, "single")
    assert laptop.save(body["id"], item["id"], "A", 1).status_code == 409
    again = laptop.start(exam.id, attempt_id=body["id"])
    assert again.status_code == 201 and again.json["id"] == body["id"]
    assert laptop.save(body["id"], item["id"], "A", 1).status_code == 200
    assert tablet.save(body["id"], item["id"], "C", 2).json["error"]["code"] == "taken_over"
    assert item_row(item["id"]).response == "A"


def test_a_request_without_the_session_token_holds_nothing(exam, learner, candidate_of):
    holder, stranger = candidate_of(learner), candidate_of(learner)
    body = holder.started(exam.id)
    item = first(body, "single")
    assert stranger.get(body["id"]).json["holder"] == "other"
    assert stranger.save(body["id"], item["id"], "A", 1).json["error"]["code"] == "taken_over"
    assert stranger.submit(body["id"]).json["error"]["code"] == "taken_over"
    assert item_row(item["id"]).response is None and attempt_row(body["id"]).status == "in_progress"


def test_two_starts_resume_one_attempt(exam, learner, candidate_of):
    one, two = candidate_of(learner), candidate_of(learner)
    first_start = one.started(exam.id)
    second_start = two.started(exam.id)
    assert first_start["id"] == second_start["id"]
    assert [a.status for a in attempts_of(learner, exam)] == ["in_progress"]


def test_simultaneous_starts_create_one_attempt(app, exam, learner):
    exam_id, user_id, ids, errors = exam.id, learner.id, [], []
    barrier = threading.Barrier(4)

    def start():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                ids.append(start_or_resume(user_id, exam_id)["id"])
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(ids) == 4 and len(set(ids)) == 1
    rows = db.session.execute(select(Attempt.status, func.count()).where(Attempt.exam_id == exam_id)
                              .group_by(Attempt.status)).all()
    assert rows == [("in_progress", 1)]


def test_resuming_a_finished_attempt_is_refused(exam, learner, candidate_of):
    candidate = candidate_of(learner)
    body = candidate.started(exam.id)
    candidate.submit(body["id"])
    refused = candidate.start(exam.id, attempt_id=body["id"])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "attempt_closed"
    assert candidate.start(exam.id, attempt_id="1").status_code == 400
    second = candidate.started(exam.id)  # a plain start begins the second attempt (max 2)
    assert second["id"] != body["id"] and second["number"] == 2
