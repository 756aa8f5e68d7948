"""The server's clock rules: deadline = start + duration + extra time, capped by the window's close; saves after
the deadline only within the 60 s grace and only for changes made before it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from question_bank.exams.models import ExamAudience
from question_bank.exams.services.exams import set_extra_time
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import at, attempt_row, first, iso, item_row
from training.core.clock import frozen_clock
from training.core.errors import NotFound
from training.extensions import db


@pytest.fixture
def exam(timed_exam):
    return timed_exam


def test_deadline_is_start_plus_duration_plus_extra_time(exam, learner, examiner, org, candidate_of, t0):
    other = make_user(org.qc_division, employee_no="L0002", name="赵学员")
    exam.audience.append(ExamAudience(user_id=other.id))
    db.session.commit()
    set_extra_time(examiner, exam.id, learner.employee_no, 15)
    with frozen_clock(at(t0, minutes=2)):
        mine = candidate_of(learner).started(exam.id)
        theirs = candidate_of(other).started(exam.id)
    assert mine["deadline_at"] == iso(at(t0, minutes=2 + 30 + 15))
    assert mine["remaining_seconds"] == 45 * 60
    assert attempt_row(mine["id"]).deadline_at == at(t0, minutes=47)
    assert theirs["deadline_at"] == iso(at(t0, minutes=32)) and theirs["remaining_seconds"] == 30 * 60


def test_extra_time_is_capped_by_the_window(bank, learner, examiner, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(learner, duration_minutes=30, closes_at=at(t0, minutes=40))
    set_extra_time(examiner, exam.id, learner.employee_no, 20)
    with frozen_clock(at(t0, minutes=5)):
        body = candidate_of(learner).started(exam.id)
    assert body["deadline_at"] == iso(at(t0, minutes=40))
    assert body["remaining_seconds"] == 35 * 60


def test_extra_time_removed_and_only_in_scope(exam, learner, examiner, org, candidate_of, t0):
    set_extra_time(examiner, exam.id, learner.employee_no, 15)
    set_extra_time(examiner, exam.id, learner.employee_no, 0)
    outsider = make_user(org.yl_bureau, employee_no="E0009", roles=[("examiner", org.yl)])
    with pytest.raises(NotFound):
        set_extra_time(outsider, exam.id, learner.employee_no, 30)
    with frozen_clock(t0):
        body = candidate_of(learner).started(exam.id)
    assert body["deadline_at"] == iso(at(t0, minutes=30))


def test_the_window_closing_caps_a_plain_attempt(bank, learner, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(learner, duration_minutes=60, closes_at=at(t0, minutes=10))
        body = candidate_of(learner).started(exam.id)
    assert body["deadline_at"] == iso(at(t0, minutes=10)) and body["remaining_seconds"] == 600


# (seconds after the deadline the save arrives, seconds of made_at relative to the deadline or None, accepted)
CASES = [
    (-1, None, True),       # in time
    (1, None, False),       # late, no claim to have been made in time
    (30, None, False),      # within grace but no made_at
    (30, -5, True),         # within grace, made before the deadline
    (60, -5, True),         # the last second of grace
    (61, -5, False),        # after grace, even with an early made_at
    (30, 10, False),        # within grace but made after the deadline
]


@pytest.mark.parametrize(("arrives", "made", "accepted"), CASES,
                         ids=["in-time", "late", "grace-no-made_at", "grace-made-before", "grace-last-second",
                              "61s-after", "grace-made-after"])
def test_saves_around_the_deadline(exam, learner, candidate_of, t0, arrives, made, accepted):
    candidate = candidate_of(learner)
    with frozen_clock(t0):
        body = candidate.started(exam.id)
        item = first(body, "single")
        assert candidate.save(body["id"], item["id"], "A", 1).status_code == 200
    deadline = at(t0, minutes=30)
    extra = {"made_at": iso(deadline + timedelta(seconds=made))} if made is not None else {}
    with frozen_clock(deadline + timedelta(seconds=arrives)):
        response = candidate.save(body["id"], item["id"], "B", 2, **extra)
    stored = item_row(item["id"])
    if accepted:
        assert response.status_code == 200 and response.json["saved_seq"] == 2
        assert (stored.response, stored.response_seq) == ("B", 2)
    else:
        assert response.status_code == 409 and response.json["error"]["code"] == "attempt_closed"
        assert (stored.response, stored.response_seq) == ("A", 1)


def test_an_attempt_within_grace_is_not_finalised_yet(exam, learner, candidate_of, t0):
    candidate = candidate_of(learner)
    with frozen_clock(t0):
        body = candidate.started(exam.id)
    with frozen_clock(at(t0, minutes=30, seconds=30)):
        state = candidate.get(body["id"]).json
    assert state["status"] == "in_progress" and state["remaining_seconds"] == 0
    assert attempt_row(body["id"]).status == "in_progress"


def test_a_save_after_submission_is_refused(exam, learner, candidate_of):
    candidate = candidate_of(learner)
    body = candidate.started(exam.id)
    item = first(body, "single")
    assert candidate.submit(body["id"]).status_code == 200
    response = candidate.save(body["id"], item["id"], "A", 1)
    assert response.status_code == 409 and response.json["error"]["code"] == "attempt_closed"
    assert item_row(item["id"]).response is None


def test_exam_window_rules_for_starting(bank, learner, candidate_of, t0):
    with frozen_clock(t0):
        upcoming = make_exam(learner, opens_at=at(t0, hours=1), closes_at=at(t0, hours=2))
        once = make_exam(learner, max_attempts=1)
    candidate = candidate_of(learner)
    with frozen_clock(t0):
        refused = candidate.start(upcoming.id)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "exam_closed"
        body = candidate.started(once.id)
        candidate.submit(body["id"])
        used_up = candidate.start(once.id)
    assert used_up.status_code == 409 and used_up.json["error"]["code"] == "exam_closed"
    with frozen_clock(at(t0, hours=2)):
        assert candidate.start(upcoming.id).status_code == 409  # closed at its end
