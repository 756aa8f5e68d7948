"""Autosave through the API: out-of-order and duplicate saves, the flag, and bodies that must store nothing."""

from __future__ import annotations

import pytest

from tests.factories import make_exam
from tests.question_bank.exams.conftest import at, first, item_row
from training.core.clock import frozen_clock, utcnow


@pytest.fixture
def exam(bank, learner):
    return make_exam(learner)


@pytest.fixture
def attempt(exam, learner, candidate_of):
    candidate = candidate_of(learner)
    return candidate, candidate.started(exam.id)


def test_out_of_order_saves_keep_the_newest_answer(attempt):
    candidate, body = attempt
    item = first(body, "single")
    assert candidate.save(body["id"], item["id"], "A", 1).json["saved_seq"] == 1
    third = candidate.save(body["id"], item["id"], "C", 3)
    assert third.status_code == 200 and third.json["saved_seq"] == 3 and third.json["stale"] is False
    late = candidate.save(body["id"], item["id"], "B", 2)
    assert late.status_code == 200
    assert late.json["stale"] is True and late.json["saved_seq"] == 3
    stored = item_row(item["id"])
    assert (stored.response, stored.response_seq) == ("C", 3)
    again = next(i for i in candidate.get(body["id"]).json["items"] if i["id"] == item["id"])
    assert (again["response"], again["saved_seq"]) == ("C", 3)


def test_a_duplicate_save_writes_once_and_gets_the_same_answer(attempt):
    candidate, body = attempt
    item = first(body, "fill_blank")
    start = utcnow().replace(microsecond=0)
    with frozen_clock(at(start, seconds=5)):
        once = candidate.save(body["id"], item["id"], ["一网通办"], 4)
    with frozen_clock(at(start, seconds=20)):
        twice = candidate.save(body["id"], item["id"], ["另一个答案"], 4)
    assert once.status_code == twice.status_code == 200
    assert once.json["stale"] is False and twice.json["stale"] is True
    assert twice.json["saved_seq"] == once.json["saved_seq"] == 4
    assert twice.json["saved_at"] == once.json["saved_at"]  # the first write's time: nothing was written again
    stored = item_row(item["id"])
    assert stored.response == ["一网通办"] and stored.response_seq == 4
    assert stored.saved_at == at(start, seconds=5)


def test_flag_toggles_with_newer_saves_and_keeps_the_answer(attempt):
    candidate, body = attempt
    item = first(body, "single")
    assert candidate.save(body["id"], item["id"], "B", 1, flagged=True).status_code == 200
    assert (item_row(item["id"]).flagged, item_row(item["id"]).response) == (True, "B")
    candidate.save(body["id"], item["id"], "B", 2)  # no flag in the body: the flag stays as it was
    assert item_row(item["id"]).flagged is True
    candidate.save(body["id"], item["id"], "B", 3, flagged=False)
    assert item_row(item["id"]).flagged is False
    stale = candidate.save(body["id"], item["id"], "B", 3, flagged=True)  # not newer: changes nothing
    assert stale.json["stale"] is True
    stored = item_row(item["id"])
    assert (stored.flagged, stored.response, stored.response_seq) == (False, "B", 3)
    seen = next(i for i in candidate.get(body["id"]).json["items"] if i["id"] == item["id"])
    assert seen["flagged"] is False and seen["response"] == "B"


@pytest.mark.parametrize(("payload", "status"), [
    ({"response": "A"}, 400),                          # no seq
    ({"response": "A", "seq": 0}, 400),
    ({"response": "A", "seq": -3}, 400),
    ({"response": "A", "seq": True}, 400),             # a bool is not a sequence number
    ({"response": "A", "seq": "2"}, 400),
    ({"response": "A", "seq": 1.5}, 400),
    (["A", 1], 400),                                   # not an object
    ("A", 400),
    ({"response": "长" * 10_001, "seq": 1}, 422),       # more than 10k characters
    ({"response": ["x"] * 21, "seq": 1}, 422),
    ({"response": {"A": True}, "seq": 1}, 422),
    ({"response": [1, 2], "seq": 1}, 422),
    ({"response": 7, "seq": 1}, 422),
], ids=["missing-seq", "seq-0", "negative-seq", "bool-seq", "string-seq", "float-seq", "list-body",
        "string-body", "huge-response", "too-many-parts", "object-response", "number-parts", "number-response"])
def test_invalid_bodies_are_refused_and_store_nothing(attempt, payload, status):
    candidate, body = attempt
    item = first(body, "single")
    response = candidate.save(body["id"], item["id"], raw=payload)
    assert response.status_code == status
    assert response.json["error"]["code"] in ("bad_request", "validation_failed")
    stored = item_row(item["id"])
    assert (stored.response, stored.response_seq, stored.saved_at, stored.flagged) == (None, 0, None, False)


def test_a_body_that_is_not_json_is_refused(attempt):
    candidate, body = attempt
    item = first(body, "single")
    response = candidate.client.put(f"/api/v1/attempts/{body['id']}/items/{item['id']}", data="seq=1",
                                    headers=candidate._headers())
    assert response.status_code == 400
    assert item_row(item["id"]).response_seq == 0


def test_a_response_of_exactly_the_limit_is_stored(attempt):
    candidate, body = attempt
    item = first(body, "fill_blank")
    text = "长" * 9_998  # 10 000 characters once quoted as JSON
    assert candidate.save(body["id"], item["id"], text, 1).status_code == 200
    assert item_row(item["id"]).response == text
    assert candidate.save(body["id"], item["id"], text + "长", 2).status_code == 422
    assert item_row(item["id"]).response_seq == 1


def test_a_sequence_number_out_of_range_is_a_bad_request(attempt):
    candidate, body = attempt
    item = first(body, "single")
    response = candidate.save(body["id"], item["id"], "A", 2 ** 63)
    assert response.status_code == 400
    assert item_row(item["id"]).response_seq == 0
