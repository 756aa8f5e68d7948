"""Overdue attempts are finalised from their last saved answers: lazily when the candidate comes back, and by
``flask exams close-overdue``; submitting twice gives one result and one ``attempt_graded``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from question_bank.exams.services.attempts import close_overdue
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import at, attempt_row, correct_response, first, wrong_response
from training.core.clock import frozen_clock
from training.extensions import db


@pytest.fixture
def exam(bank, org, t0):
    with frozen_clock(t0):
        return make_exam(org.qc, duration_minutes=30)


def answer_some(candidate, body) -> Decimal:
    """Answers every single-choice item correctly, one fill-in correctly and every true/false wrongly (the rest
    blank, and one correct answer superseded by a wrong later one); returns the points the right answers are
    worth."""
    expected, seq = Decimal("0"), 0
    for item in body["items"]:
        seq += 1
        if item["type"] == "single":
            assert candidate.save(body["id"], item["id"], correct_response(item), seq).status_code == 200
            expected += Decimal(str(item["points"]))
        elif item["type"] == "true_false":
            assert candidate.save(body["id"], item["id"], wrong_response(item), seq).status_code == 200
    blank = first(body, "fill_blank")
    assert candidate.save(body["id"], blank["id"], correct_response(blank), seq + 1).status_code == 200
    expected += Decimal(str(blank["points"]))
    multiple = first(body, "multiple")
    candidate.save(body["id"], multiple["id"], correct_response(multiple), seq + 2)
    candidate.save(body["id"], multiple["id"], wrong_response(multiple), seq + 3)  # the last saved answer counts
    return expected


LAZY_PATHS = [
    pytest.param(lambda candidate, attempt_id: candidate.get(attempt_id), id="get-attempt"),
    pytest.param(lambda candidate, attempt_id: candidate.exams(), id="my-exams"),
    pytest.param(lambda candidate, attempt_id: candidate.result(attempt_id), id="result"),
]


@pytest.mark.parametrize("path", LAZY_PATHS)
def test_an_overdue_attempt_is_graded_from_its_saved_answers_on_next_access(exam, learner, candidate_of, t0,
                                                                          graded_signals, path):
    candidate = candidate_of(learner)
    with frozen_clock(at(t0, minutes=1)):
        body = candidate.started(exam.id)
        expected = answer_some(candidate, body)
    deadline = at(t0, minutes=31)
    with frozen_clock(at(deadline, seconds=61)):
        response = path(candidate, body["id"])
    assert response.status_code == 200
    attempt = attempt_row(body["id"])
    assert (attempt.status, attempt.finished_by) == ("graded", "deadline")
    assert attempt.submitted_at == deadline  # finished at the deadline, not when someone noticed
    assert attempt.score == expected and 0 < expected < attempt.max_score
    assert attempt.passed is (expected >= exam.pass_score)
    assert graded_signals == [(body["id"], learner.id, exam.id)]


def test_the_lazy_path_answers_with_the_finished_attempt(exam, learner, candidate_of, t0):
    candidate = candidate_of(learner)
    with frozen_clock(t0):
        body = candidate.started(exam.id)
    with frozen_clock(at(t0, minutes=40)):
        state = candidate.get(body["id"]).json
        cards = candidate.exams().json["exams"]
    assert state["status"] == "graded" and state["remaining_seconds"] == 0
    assert cards[0]["attempt_in_progress"] is None and cards[0]["attempts_used"] == 1


def test_close_overdue_finalises_only_attempts_past_deadline_and_grace(app, exam, org, learner, candidate_of, t0,
                                                                     graded_signals):
    in_grace = make_user(org.qc_division, employee_no="L0002")
    in_time = make_user(org.qc_division, employee_no="L0003")
    late = candidate_of(learner)
    with frozen_clock(t0):
        overdue_body = late.started(exam.id)
        expected = answer_some(late, overdue_body)
    with frozen_clock(at(t0, seconds=30)):
        grace_body = candidate_of(in_grace).started(exam.id)
    with frozen_clock(at(t0, minutes=10)):
        time_body = candidate_of(in_time).started(exam.id)

    runner = app.test_cli_runner()
    with frozen_clock(at(t0, minutes=30, seconds=61)):
        result = runner.invoke(args=["exams", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "1 份" in result.output
    overdue = attempt_row(overdue_body["id"])
    assert (overdue.status, overdue.finished_by, overdue.score) == ("graded", "deadline", expected)
    assert overdue.submitted_at == at(t0, minutes=30)
    assert attempt_row(grace_body["id"]).status == "in_progress"
    assert attempt_row(time_body["id"]).status == "in_progress"
    assert graded_signals == [(overdue_body["id"], learner.id, exam.id)]

    with frozen_clock(at(t0, minutes=30, seconds=61)):
        assert "0 份" in runner.invoke(args=["exams", "close-overdue"]).output
    with frozen_clock(at(t0, minutes=40, seconds=61)):
        assert close_overdue(batch=1) == 2  # several batches
    db.session.expire_all()
    assert {attempt_row(grace_body["id"]).status, attempt_row(time_body["id"]).status} == {"graded"}
    assert len(graded_signals) == 3


def test_submitting_twice_gives_one_result(exam, learner, candidate_of, t0, graded_signals):
    candidate = candidate_of(learner)
    with frozen_clock(t0):
        body = candidate.started(exam.id)
        expected = answer_some(candidate, body)
    with frozen_clock(at(t0, minutes=5)):
        once = candidate.submit(body["id"])
        result_once = candidate.result(body["id"]).json
    with frozen_clock(at(t0, minutes=6)):
        twice = candidate.submit(body["id"])
        result_twice = candidate.result(body["id"]).json
    assert once.status_code == twice.status_code == 200
    assert once.json == twice.json
    assert once.json["submitted_at"] == at(t0, minutes=5).isoformat() + "Z"
    assert once.json["finished_by"] == "candidate"
    assert result_once["score"] == result_twice["score"] == float(expected)
    attempt = attempt_row(body["id"])
    assert attempt.submitted_at == at(t0, minutes=5) and attempt.score == expected
    assert graded_signals == [(body["id"], learner.id, exam.id)]


def test_a_submitted_attempt_is_not_finalised_again(exam, learner, candidate_of, t0, graded_signals):
    candidate = candidate_of(learner)
    with frozen_clock(t0):
        body = candidate.started(exam.id)
        candidate.submit(body["id"])
    with frozen_clock(at(t0, hours=2)):
        assert close_overdue() == 0
        candidate.get(body["id"])
        candidate.exams()
    assert attempt_row(body["id"]).finished_by == "candidate"
    assert len(graded_signals) == 1
