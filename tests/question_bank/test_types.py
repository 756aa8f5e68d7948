"""The question-type registry: validation, candidate views without keys, normalisation and scoring."""

from __future__ import annotations

from decimal import Decimal

import pytest

from question_bank.types import ALL_OR_NOTHING, PARTIAL, PER_OPTION, QUESTION_TYPES, get_question_type, normalise_text

TWO = Decimal("2")
OPTIONS = ["甲", "乙", "丙", "丁"]


@pytest.mark.parametrize(("kind", "stem", "options", "key", "extra", "message"), [
    ("single", "题干", OPTIONS, "E", {}, "答案应为选项字母"),
    ("single", "题干", OPTIONS, "AB", {}, "单选题只能有一个正确选项"),
    ("single", "题干", ["甲"], "A", {}, "2–6 个非空选项"),
    ("multiple", "题干", OPTIONS, "A", {}, "多选题至少有两个正确选项"),
    ("multiple", "题干", OPTIONS, "AA", {}, "答案应为选项字母"),
    ("true_false", "题干", [], "正确", {}, "判断题答案"),
    ("fill_blank", "一个空____", [], [["甲"], ["乙"]], {}, "题干中有 1 个空"),
    ("fill_blank", "一个空____", [], [[]], {}, "每个空一组"),
    ("short_answer", "简述", [], "", {}, "需要参考答案"),
    ("single", "  ", OPTIONS, "A", {}, "题干不能为空"),
])
def test_invalid_definitions_are_explained(kind, stem, options, key, extra, message):
    errors = get_question_type(kind).validate(stem, options, key, extra)
    assert any(message in error for error in errors), errors


@pytest.mark.parametrize(("kind", "stem", "options", "key", "extra"), [
    ("single", "题干", OPTIONS, "B", {}),
    ("multiple", "题干", OPTIONS, "ACD", {}),
    ("true_false", "题干", [], False, {}),
    ("fill_blank", "____年，____工程启动", [], [["1994"], ["金税工程", "金税"]], {}),
    ("short_answer", "简述", [], "参考答案", {"keywords": ["要点"]}),
])
def test_valid_definitions_pass(kind, stem, options, key, extra):
    assert get_question_type(kind).validate(stem, options, key, extra) == []


def test_candidate_views_never_carry_the_key():
    for kind in QUESTION_TYPES.values():
        view = kind.candidate_view(OPTIONS)
        assert set(view) == {"options"}


def test_single_and_true_false_scoring():
    single = get_question_type("single")
    assert single.score("B", "b", TWO) == TWO and single.score("B", "C", TWO) == 0 and single.score("B", None, TWO) == 0
    judge = get_question_type("true_false")
    assert judge.score(True, "对", TWO) == TWO and judge.score(True, "√", TWO) == TWO
    assert judge.score(False, "错误", TWO) == TWO and judge.score(False, "正确", TWO) == 0
    assert judge.score(True, "也许", TWO) == 0


@pytest.mark.parametrize(("policy", "response", "expected"), [
    (ALL_OR_NOTHING, "ABD", "3"), (ALL_OR_NOTHING, "AB", "0"), (ALL_OR_NOTHING, "ABCD", "0"),
    (PARTIAL, "AB", "2.00"), (PARTIAL, "A", "1.00"), (PARTIAL, "ABC", "0"), (PARTIAL, "ABD", "3.00"),
    (PER_OPTION, "AB", "2.00"), (PER_OPTION, "ABC", "1.00"), (PER_OPTION, "AC", "0.00"), (PER_OPTION, "C", "0"),
    (PER_OPTION, "", "0"),
])
def test_multiple_choice_policies(policy, response, expected):
    assert get_question_type("multiple").score("ABD", response, Decimal("3"), policy) == Decimal(expected)


def test_fill_blank_normalises_width_space_and_case_and_accepts_alternatives():
    blank = get_question_type("fill_blank")
    key = [["1994"], ["金税工程", "金税"], ["G2B"]]
    assert blank.score(key, ["１９９４", " 金 税 ", "g2b"], Decimal("3")) == Decimal("3.00")
    assert blank.score(key, ["1994", "金关", "G2B"], Decimal("3")) == Decimal("2.00")
    assert blank.score(key, "1994", Decimal("3")) == Decimal("1.00")
    assert normalise_text("ＡＢＣ　ｄｅｆ") == "abcdef"


def test_short_answer_waits_for_a_person():
    kind = get_question_type("short_answer")
    assert kind.auto_graded is False and kind.score("参考", "回答", TWO) is None
