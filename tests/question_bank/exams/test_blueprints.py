"""The blueprint forecast: points-weighted expected difficulty, and a warning only when random forms would
differ much in difficulty."""

from __future__ import annotations

import pytest

from question_bank.exams.services.blueprints import (
    forecast,
    parse_rows,
    row_availability,
    row_scope_code,
    save_blueprint,
)
from question_bank.exams.services.exams import publish_exam
from tests.factories import make_exam
from tests.question_bank.exams.conftest import add_approved, ensure_module
from training.core.errors import ValidationFailed


def pool(kind: str, difficulties, knowledge_point: str) -> None:
    for n, difficulty in enumerate(difficulties):
        if kind == "true_false":
            add_approved(kind, f"{knowledge_point} 判断{n}", True, difficulty=difficulty,
                         knowledge_point=knowledge_point)
        else:
            add_approved(kind, f"{knowledge_point} 单选{n}", "A", options=["甲", "乙"], difficulty=difficulty,
                         knowledge_point=knowledge_point)


def forecast_of(*specs):
    rows, errors = parse_rows([{"scope": scope, "type": kind, "count": str(count), "points": points,
                                "difficulty_min": str(low), "difficulty_max": str(high)}
                               for scope, kind, count, points, low, high in specs])
    assert not errors, errors
    availability = [row_availability(row) for row in rows]
    return forecast(rows, availability), availability


@pytest.fixture
def syllabus(app_ctx, org):
    ensure_module("M1")


def test_expected_difficulty_is_weighted_by_points(syllabus):
    pool("single", [1] * 6, "M1.1")
    pool("true_false", [4] * 6, "M1.2")
    # weights: 2 × 2 points on difficulty 1, 2 × 1 point on difficulty 4 → (4·1 + 2·4) / 6 = 2.0
    # (the unweighted or count-weighted mean would be 2.5)
    result, availability = forecast_of(("M1.1", "single", 2, "2", 1, 5), ("M1.2", "true_false", 2, "1", 1, 5))
    assert [a.available for a in availability] == [6, 6]
    assert result.expected == pytest.approx(2.0)
    assert result.spread == 0 and result.warn is False


def test_equal_difficulties_never_warn(syllabus):
    pool("single", [3] * 8, "M1.1")
    pool("true_false", [3] * 8, "M1.2")
    result, _availability = forecast_of(("M1.1", "single", 1, "5", 1, 5), ("M1.2", "true_false", 1, "1", 1, 5))
    assert result.expected == pytest.approx(3.0)
    assert result.spread == 0 and result.warn is False


def test_a_wide_spread_of_difficulties_warns(syllabus):
    pool("single", [1] * 5 + [5] * 5, "M1.1")
    result, availability = forecast_of(("M1.1", "single", 1, "2", 1, 5))
    assert availability[0].variance == pytest.approx(4.0) and availability[0].mean_difficulty == pytest.approx(3.0)
    assert result.expected == pytest.approx(3.0)
    assert result.spread == pytest.approx(4.0)  # 2σ with σ² = 4 / 1 · (10 − 1) / (10 − 1)
    assert result.warn is True


def test_the_difficulty_range_of_a_row_narrows_its_pool(syllabus):
    pool("single", [1] * 5 + [5] * 5, "M1.1")
    result, availability = forecast_of(("M1.1", "single", 3, "2", 1, 2))
    assert availability[0].available == 5 and availability[0].enough
    assert result.expected == pytest.approx(1.0) and result.warn is False


def test_drawing_the_whole_pool_has_no_spread(syllabus):
    pool("single", [1, 5, 1, 5], "M1.1")
    result, _availability = forecast_of(("M1.1", "single", 4, "2", 1, 5))
    assert result.expected == pytest.approx(3.0) and result.spread == 0 and result.warn is False


def test_many_questions_per_row_narrow_the_spread(syllabus):
    pool("single", [1] * 50 + [5] * 50, "M1.1")
    few, _a = forecast_of(("M1.1", "single", 2, "2", 1, 5))
    many, _b = forecast_of(("M1.1", "single", 60, "2", 1, 5))
    assert few.warn is True and many.spread < few.spread


def test_an_empty_blueprint_has_no_forecast(syllabus):
    result = forecast([], [])
    assert result.expected is None and result.warn is False


def test_saved_rows_keep_their_scope_and_bad_rows_are_named(syllabus, examiner):
    pool("single", [2] * 3, "M1.1")
    saved = save_blueprint(examiner, None, "  章节测验 ", "", [
        {"scope": "m1.1", "type": "single", "count": "2", "points": "2.5"}, {"scope": "", "type": "", "count": ""}])
    assert saved.name == "章节测验" and [row_scope_code(row) for row in saved.rows] == ["M1.1"]
    assert saved.question_count == 2 and saved.total_points == 5
    with pytest.raises(ValidationFailed) as refused:
        save_blueprint(examiner, None, "错误方案", "", [
            {"scope": "M9", "type": "single", "count": "1", "points": "1"},
            {"scope": "", "type": "essay", "count": "0", "points": "-1"}])
    assert [message[:5] for message in refused.value.details] == ["第 1 行", "第 2 行", "第 2 行", "第 2 行"]


def test_publishing_a_fillable_draft_opens_it(syllabus, learner, examiner):
    pool("single", [2] * 3, "M1.1")
    draft = make_exam(learner, status="draft", rows=(("M1.1", "single", 3, "2"),))
    assert publish_exam(examiner, draft.id).status == "published"
