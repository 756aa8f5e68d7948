"""Keys, explanations and scores never reach a candidate before the exam's release policy allows it: every
candidate-facing answer is searched for key fields and for the bank's distinctive key and explanation strings."""

from __future__ import annotations

import json

import pytest

from question_bank.exams.services.exams import release_results
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import (
    SECRET_BLANK,
    SECRET_EXPLANATION,
    SECRET_ROWS,
    SECRETS,
    at,
    correct_response,
    first,
    iso,
    make_secret_bank,
)
from training.core.clock import frozen_clock
from training.core.errors import NotFound

FORBIDDEN_FIELDS = ("key", "explanation", "score", "passed", "correct", "review", "modules")


def field_names(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {name for child in value.values() for name in field_names(child)}
    if isinstance(value, list):
        return {name for child in value for name in field_names(child)}
    return set()


def assert_no_keys(response) -> None:
    """Neither a key, explanation or score field, nor any key or explanation text, in a candidate's answer."""
    assert response.status_code < 300, response.get_data(as_text=True)
    body = response.json
    leaked = {name for name in field_names(body) if any(word in name.lower() for word in FORBIDDEN_FIELDS)}
    assert not leaked, leaked
    text = json.dumps(body, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text


def assert_released(response) -> None:
    """The released result: score and review with the keys (which proves the checks above can see them)."""
    body = response.json
    assert body["released"] is True and "score" in body and body["review"]
    text = json.dumps(body, ensure_ascii=False)
    assert SECRET_EXPLANATION in text and SECRET_BLANK in text


@pytest.fixture
def secret_bank(app_ctx, org):
    return make_secret_bank(3)


def sit(candidate, exam) -> dict:
    """Start, check every answer on the way, answer the choice and true/false items correctly and the text
    items with a text of the candidate's own (typing the key would put it in their own answer); returns the
    attempt."""
    started = candidate.start(exam.id)
    assert_no_keys(started)
    body = started.json
    for seq, item in enumerate(body["items"], start=1):
        response = ["我的答案"] if item["type"] == "fill_blank" else "我的看法" if item["type"] == "short_answer" \
            else correct_response(item)
        assert_no_keys(candidate.save(body["id"], item["id"], response, seq))
    assert_no_keys(candidate.get(body["id"]))
    assert_no_keys(candidate.exams())
    assert_no_keys(candidate.start(exam.id))  # resuming
    return body


def test_immediate_release_shows_keys_only_after_submission(secret_bank, learner, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, release_policy="immediate")
        candidate = candidate_of(learner)
        body = sit(candidate, exam)
        before = candidate.result(body["id"])
        assert_no_keys(before)
        assert before.json["released"] is False
        assert_no_keys(candidate.submit(body["id"]))
        assert_no_keys(candidate.get(body["id"]))  # the attempt itself never carries keys
        assert_no_keys(candidate.exams())
        assert_released(candidate.result(body["id"]))


def test_after_close_release_waits_for_the_window_to_close(secret_bank, learner, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, release_policy="after_close", closes_at=at(t0, hours=2))
        candidate = candidate_of(learner)
        body = sit(candidate, exam)
        assert_no_keys(candidate.submit(body["id"]))
        after_submit = candidate.result(body["id"])
        assert_no_keys(after_submit)
        assert after_submit.json["released"] is False and after_submit.json["status"] == "graded"
        assert_no_keys(candidate.get(body["id"]))
    with frozen_clock(at(t0, hours=1, minutes=59)):
        assert_no_keys(candidate.result(body["id"]))
        assert_no_keys(candidate.exams())
    with frozen_clock(at(t0, hours=2, minutes=5)):
        released = candidate.result(body["id"])
    assert_released(released)
    assert released.json["score"] == 2 * 2 + 2 * 3 + 2 * 1  # the choice and true/false items
    assert released.json["passed"] is True


def test_manual_release_waits_for_an_examiner_in_scope(secret_bank, org, learner, examiner, candidate_of, t0):
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, release_policy="manual", closes_at=at(t0, hours=2))
        candidate = candidate_of(learner)
        body = sit(candidate, exam)
        assert_no_keys(candidate.submit(body["id"]))
        assert_no_keys(candidate.result(body["id"]))
    with frozen_clock(at(t0, days=3)):  # long after the close: still by hand
        assert_no_keys(candidate.result(body["id"]))
        outsider = make_user(org.yl_bureau, employee_no="E0009", roles=[("examiner", org.yl)])
        for actor in (outsider, learner):
            with pytest.raises(NotFound):
                release_results(actor, exam.id)
        assert_no_keys(candidate.result(body["id"]))
        release_results(examiner, exam.id)
        assert_released(candidate.result(body["id"]))


def test_pending_manual_grading_shows_nothing_even_when_immediate(app_ctx, org, learner, candidate_of):
    make_secret_bank(2, short_answer=True)
    exam = make_exam(learner, rows=(("", "single", 1, "2"), ("", "short_answer", 1, "10")))
    candidate = candidate_of(learner)
    body = sit(candidate, exam)
    assert_no_keys(candidate.submit(body["id"]))
    pending = candidate.result(body["id"])
    assert_no_keys(pending)
    assert pending.json["released"] is False and pending.json["status"] == "submitted"


def test_after_close_keys_are_not_released_while_another_candidate_can_still_save(secret_bank, org, learner,
                                                                                candidate_of, t0):
    other = make_user(org.qc_division, employee_no="L0002")
    with frozen_clock(t0):
        exam = make_exam(org.qc, rows=SECRET_ROWS, release_policy="after_close", closes_at=at(t0, minutes=20))
        early = candidate_of(learner)
        body = early.started(exam.id)
        early.submit(body["id"])
        late = candidate_of(other)
        late_body = late.started(exam.id)  # its deadline is capped at the close
    with frozen_clock(at(t0, minutes=20, seconds=30)):
        released = early.result(body["id"]).json["released"]
        blank = first(late_body, "fill_blank")
        saved = late.save(late_body["id"], blank["id"], [SECRET_BLANK], 1,
                          made_at=iso(at(t0, minutes=19, seconds=59)))
    assert not (released and saved.status_code == 200)
