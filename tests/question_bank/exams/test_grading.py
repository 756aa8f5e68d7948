"""Grading through real attempts: the multiple-choice policies, fill-in normalisation, blanks, short answers
left for a person, pass/fail against the pass score, and the per-module breakdown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from question_bank.exams.models import AttemptItem
from question_bank.exams.services.results import result_for
from tests.factories import make_exam
from tests.question_bank.exams.conftest import (
    add_approved,
    attempt_row,
    correct_response,
    ensure_module,
    first,
    wrong_response,
)
from training.extensions import db


def sit_and_submit(candidate, exam, answers) -> dict:
    """Start, save ``answers(item) → response or None`` for every item, submit; returns the attempt body."""
    body = candidate.started(exam.id)
    for seq, item in enumerate(body["items"], start=1):
        response = answers(item)
        if response is not None:
            assert candidate.save(body["id"], item["id"], response, seq).status_code == 200
    assert candidate.submit(body["id"]).status_code == 200
    return body


MULTIPLE = [  # (policy, response in original letters, points out of 3) for the key ABC of four options
    ("all_or_nothing", "ABC", "3"), ("all_or_nothing", "CBA", "3"), ("all_or_nothing", "AB", "0"),
    ("all_or_nothing", "ABCD", "0"),
    ("partial", "ABC", "3"), ("partial", "AB", "2"), ("partial", "A", "1"), ("partial", "ABD", "0"),
    ("partial", ["A", "C"], "2"),
    ("per_option", "ABC", "3"), ("per_option", "AB", "2"), ("per_option", "ABCD", "2"), ("per_option", "ABD", "1"),
    ("per_option", "AD", "0"), ("per_option", "D", "0"), ("per_option", "", "0"),
]


@pytest.mark.parametrize(("policy", "response", "expected"), MULTIPLE)
def test_multiple_choice_policies(app_ctx, org, learner, candidate_of, policy, response, expected):
    add_approved("multiple", "哪些属于政务数据共享的原则？", "ABC", options=["按需共享", "无偿共享", "安全可控", "无条件公开"])
    exam = make_exam(learner, rows=(("", "multiple", 1, "3"),), scoring_policy=policy, shuffle_options=True,
                     pass_score=Decimal("3"))
    body = sit_and_submit(candidate_of(learner), exam, lambda item: response)
    attempt = attempt_row(body["id"])
    assert attempt.status == "graded"
    assert attempt.score == Decimal(expected) and attempt.items[0].score == Decimal(expected)
    assert attempt.passed is (expected == "3")


@pytest.mark.parametrize(("response", "expected"), [
    (["ＧｏｖＴｅｃｈ平台", "１２３４５"], "4"),           # full-width letters and digits
    (["  gov tech 平台 ", "12 345"], "4"),              # spaces anywhere
    (["GOVTECH平台", "12345"], "4"),                    # case
    (["govtech\u3000平台", "一二三"], "2"),              # an ideographic space; the second blank wrong
    (["数字政府", "１２３４５"], "4"),                   # the alternative answer of the first blank
    (["数字 政府"], "2"),                                # only the first blank given
    (["", "12345"], "2"),
    ("GovTech平台", "2"),                               # a bare string is the first blank
    (["平台GovTech", "54321"], "0"),
])
def test_fill_blank_normalisation(app_ctx, org, learner, candidate_of, response, expected):
    add_approved("fill_blank", "政务中台叫____，热线号码是____。", [["GovTech平台", "数字政府"], ["12345"]])
    exam = make_exam(learner, rows=(("", "fill_blank", 1, "4"),), pass_score=Decimal("1"))
    body = sit_and_submit(candidate_of(learner), exam, lambda item: response)
    assert attempt_row(body["id"]).score == Decimal(expected)


def test_unanswered_items_score_zero(bank, learner, candidate_of):
    exam = make_exam(learner)
    body = sit_and_submit(candidate_of(learner), exam, lambda item: ["", " "] if item["type"] == "fill_blank"
                          else None)
    attempt = attempt_row(body["id"])
    assert (attempt.status, attempt.score, attempt.passed) == ("graded", Decimal("0"), False)
    assert attempt.max_score == Decimal("3") * 2 + Decimal("2") * 3 + Decimal("2") + Decimal("2")
    assert all(item.score == Decimal("0") for item in attempt.items)


def test_true_false_answers_in_words(app_ctx, org, learner, candidate_of):
    add_approved("true_false", "电子证照与纸质证照具有同等法律效力。", True)
    exam = make_exam(learner, rows=(("", "true_false", 1, "1"),), pass_score=Decimal("1"))
    for response, expected in ((True, "1"), ("正确", "1")):
        candidate = candidate_of(learner)
        body = sit_and_submit(candidate, exam, lambda item, response=response: response)
        assert attempt_row(body["id"]).score == Decimal(expected)


def test_short_answers_wait_for_a_person(app_ctx, org, learner, candidate_of, graded_signals):
    add_approved("single", "政务外网与互联网的关系是？", "B", options=["物理隔离", "逻辑隔离"])
    add_approved("short_answer", "简述数据共享的意义。", "参考答案：打破信息孤岛。")
    exam = make_exam(learner, rows=(("", "single", 1, "2"), ("", "short_answer", 1, "10")), pass_score=Decimal("2"))
    candidate = candidate_of(learner)
    body = sit_and_submit(candidate, exam, lambda item: "B" if item["type"] == "single" else "打破信息孤岛，提高效率。")
    attempt = attempt_row(body["id"])
    assert attempt.status == "submitted" and attempt.passed is None and attempt.graded_at is None
    scores = {item.version.type: item.score for item in attempt.items}
    assert scores == {"single": Decimal("2"), "short_answer": None}
    assert attempt.max_score == Decimal("12")
    assert graded_signals == []
    result = candidate.result(body["id"]).json
    assert result["released"] is False and result["status"] == "submitted"
    assert candidate.exams().json["exams"][0]["attempt_in_progress"] is None


@pytest.mark.parametrize(("right", "passed"), [(2, True), (1, False)])
def test_passed_is_computed_against_the_pass_score(app_ctx, org, learner, candidate_of, right, passed):
    for n in range(3):
        add_approved("single", f"第{n}题：政务服务“好差评”由谁评价？", "A", options=["办事群众", "窗口人员"])
    exam = make_exam(learner, rows=(("", "single", 3, "2"),), pass_score=Decimal("4"))  # two right = exactly 4
    chosen = iter(["A"] * right + ["B"] * (3 - right))
    body = sit_and_submit(candidate_of(learner), exam, lambda item: next(chosen))
    attempt = attempt_row(body["id"])
    assert attempt.score == Decimal(2 * right) and attempt.passed is passed


def test_per_module_breakdown_sums_to_the_score(app_ctx, org, learner, candidate_of):
    ensure_module("M1")
    ensure_module("M2")
    for n in range(3):
        add_approved("single", f"M1 第{n}题", "A", options=["甲", "乙"], knowledge_point="M1.1")
        add_approved("true_false", f"M2 第{n}题", True, knowledge_point="M2.2")
    exam = make_exam(learner, rows=(("M1", "single", 3, "2"), ("M2", "true_false", 3, "1")), pass_score=Decimal("1"))
    answers = iter(["A", "B", "A"])
    candidate = candidate_of(learner)
    body = sit_and_submit(candidate, exam, lambda item: next(answers) if item["type"] == "single"
                          else (item["position"] % 2 == 0))
    attempt = attempt_row(body["id"])
    result = candidate.result(body["id"]).json
    modules = {module["code"]: module for module in result["modules"]}
    assert set(modules) == {"M1", "M2"}
    assert modules["M1"]["score"] == 4.0 and modules["M1"]["points"] == 6.0
    tf_score = sum(float(item.score) for item in attempt.items if item.version.type == "true_false")
    assert modules["M2"]["score"] == tf_score and modules["M2"]["points"] == 3.0
    assert sum(m["score"] for m in result["modules"]) == result["score"] == float(attempt.score)
    assert sum(m["points"] for m in result["modules"]) == result["max_score"] == float(attempt.max_score)
    assert result["passed"] is True and result["pass_score"] == 1.0


def test_breakdown_counts_questions_without_a_module(app_ctx, org, learner, candidate_of):
    add_approved("single", "有知识点的题", "A", options=["甲", "乙"], knowledge_point="M1.1")
    add_approved("single", "没有知识点的题", "A", options=["甲", "乙"], knowledge_point=None)
    exam = make_exam(learner, rows=(("", "single", 2, "2"),), pass_score=Decimal("1"))
    candidate = candidate_of(learner)
    body = sit_and_submit(candidate, exam, lambda item: "A")
    result = result_for(learner.id, body["id"])
    assert sum(m.points for m in result.modules) == result.attempt.max_score == Decimal("4")
    assert sum(m.score for m in result.modules) == result.attempt.score


def test_choice_answers_are_graded_in_original_letters_when_options_are_shuffled(app_ctx, org, learner,
                                                                                 candidate_of):
    add_approved("single", "一网通办的核心是？", "C", options=["多跑腿", "多盖章", "数据跑路", "纸质材料"])
    exam = make_exam(learner, rows=(("", "single", 1, "2"),), shuffle_options=True, pass_score=Decimal("2"))
    orders = set()
    for _n in range(6):
        candidate = candidate_of(learner)
        body = candidate.started(exam.id)
        item = body["items"][0]
        assert sorted(option["value"] for option in item["options"]) == list("ABCD")
        displayed = [option["value"] for option in item["options"]]
        orders.add("".join(displayed))
        chosen = next(option["value"] for option in item["options"] if option["html"] == "数据跑路")
        candidate.save(body["id"], item["id"], chosen, 1)
        candidate.submit(body["id"])
        stored = db.session.get(AttemptItem, item["id"])
        db.session.refresh(stored)
        assert stored.response == "C" and stored.score == Decimal("2") and stored.option_order == "".join(displayed)
        review = candidate.result(body["id"]).json["review"][0]
        shown_letter = "ABCD"[displayed.index("C")]
        assert review["key"] == review["response"] == shown_letter
        assert [o["letter"] for o in review["options"] if o["correct"]] == [shown_letter]
        assert next(o["html"] for o in review["options"] if o["correct"]) == "数据跑路"
        exam.max_attempts = 0
        db.session.commit()
    assert len(orders) > 1


def test_wrong_and_right_helpers_disagree(bank, learner, candidate_of):
    """The helpers other tests rely on: a right answer scores full points, a wrong one nothing."""
    exam = make_exam(learner)
    candidate = candidate_of(learner)
    body = sit_and_submit(candidate, exam, correct_response)
    assert attempt_row(body["id"]).score == attempt_row(body["id"]).max_score
    second = sit_and_submit(candidate, exam, wrong_response)
    assert attempt_row(second["id"]).score == Decimal("0")
    assert first(second, "single")["id"] != first(body, "single")["id"]
