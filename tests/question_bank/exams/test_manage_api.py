"""The examiners' API (exams they manage with counts; item analysis), the analysis page and the bank browser's
flags: shapes, figures equal to the service's, and scope (403 for learners, 404 outside the examiner's city)."""

from __future__ import annotations

import pytest

from question_bank.exams.models import GRADED, Attempt
from question_bank.exams.services import analysis
from tests.conftest import login_as
from tests.factories import make_exam, make_user
from tests.question_bank.exams.test_item_analysis import reference_exam, seed_exams
from training.extensions import db
from training.org.services.accounts import create_api_token

ITEM_KEYS = {"question_id", "version", "question_version_id", "type", "responses", "facility", "discrimination",
             "efficiency", "options", "blank", "flags"}


@pytest.fixture
def seeded(app_ctx, org, bank):
    return seed_exams(org, bank)


@pytest.fixture
def yl_examiner(org):
    return make_user(org.yl_bureau, employee_no="E0002", name="云命题", roles=[("examiner", org.yl)])


def bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_token(user, 'tests')[1]}"}


def test_managed_exams_lists_counts_in_scope(client, seeded, examiner, yl_examiner, org):
    fixed, drawn = seeded
    yl_exam = make_exam(org.yl, title="云岭考试")
    response = client.get("/api/v1/manage/exams", headers=bearer(examiner))
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json["exams"]}
    assert set(rows) == {fixed.id, drawn.id, yl_exam.id}
    for exam in (fixed, drawn):
        attempts = list(db.session.scalars(db.select(Attempt).where(Attempt.exam_id == exam.id)))
        assert rows[exam.id]["attempts"] == len(attempts) == 41 - 10 * (exam is drawn)
        assert rows[exam.id]["graded"] == sum(a.status == GRADED for a in attempts) == len(attempts) - 1
    assert rows[yl_exam.id]["attempts"] == rows[yl_exam.id]["graded"] == 0
    assert rows[fixed.id]["title"] == "固定卷" and rows[fixed.id]["paper_mode"] == "fixed"
    theirs = client.get("/api/v1/manage/exams", headers=bearer(yl_examiner)).json["exams"]
    assert [row["id"] for row in theirs] == [yl_exam.id]


def test_item_analysis_api_matches_the_reference(client, seeded, examiner):
    fixed, _drawn = seeded
    response = client.get(f"/api/v1/exams/{fixed.id}/item-analysis", headers=bearer(examiner))
    assert response.status_code == 200
    body, ref = response.json, reference_exam(fixed)
    assert body["exam_id"] == fixed.id and body["attempts"] == ref["attempts"]
    for name in ("alpha", "sem", "mean", "sd"):
        assert abs(body[name] - ref[name]) < 1e-9
    assert len(body["items"]) == len(ref["items"]) == 8
    for item in body["items"]:
        assert set(item) == ITEM_KEYS
        expected = ref["items"][item["question_version_id"]]
        assert item["responses"] == expected["responses"] and item["flags"] == expected["flags"]
        assert abs(item["facility"] - expected["facility"]) < 1e-9
        if item["type"] == "fill_blank":
            assert item["options"] is None
        else:
            assert [(o["option"], o["key"], o["count"], o["upper"], o["lower"]) for o in item["options"]] \
                == expected["options"]
    assert any(item["flags"] == ["negative_discrimination"] for item in body["items"])


def test_item_analysis_api_scope(client, seeded, learner, yl_examiner):
    fixed, _drawn = seeded
    assert client.get(f"/api/v1/exams/{fixed.id}/item-analysis").status_code == 401
    refused = client.get(f"/api/v1/exams/{fixed.id}/item-analysis", headers=bearer(learner))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/manage/exams", headers=bearer(learner)).status_code == 403
    hidden = client.get(f"/api/v1/exams/{fixed.id}/item-analysis", headers=bearer(yl_examiner))
    assert hidden.status_code == 404 and hidden.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/exams/999999/item-analysis", headers=bearer(yl_examiner)).status_code == 404


def test_analysis_page_renders_figures_and_flags(client, seeded, examiner):
    fixed, _drawn = seeded
    login_as(client, examiner)
    page = client.get(f"/exams/manage/{fixed.id}/analysis?sort=discrimination&dir=asc")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    result = analysis.exam_item_analysis(examiner, fixed.id)
    assert f"{result.alpha:.3f}" in html and f"{result.sem:.2f}" in html
    assert "克朗巴赫" in html and "区分度为负" in html and "选项分析" in html
    worst = min((item for item in result.items if item.discrimination is not None),
                key=lambda item: item.discrimination)
    assert html.index(worst.code) < min(html.index(item.code) for item in result.items if item is not worst
                                        and item.code != worst.code)
    only_flagged = client.get(f"/exams/manage/{fixed.id}/analysis?flagged=1").get_data(as_text=True)
    unflagged = [item.code for item in result.items if not item.flags
                 and all(other.code != item.code or not other.flags for other in result.items)]
    assert unflagged and all(f">{code}<" not in only_flagged for code in unflagged)


def test_analysis_page_scope(client, seeded, learner, yl_examiner):
    fixed, _drawn = seeded
    login_as(client, learner)
    assert client.get(f"/exams/manage/{fixed.id}/analysis").status_code == 403
    login_as(client, yl_examiner)
    assert client.get(f"/exams/manage/{fixed.id}/analysis").status_code == 404


def test_bank_browser_shows_flags_and_version_statistics(client, seeded, examiner, bank):
    login_as(client, examiner)
    flagged = analysis.question_flags([question.id for question in bank])
    html = client.get("/bank").get_data(as_text=True)
    assert "区分度为负" in html
    question_id = next(qid for qid, flags in flagged.items()
                       if any(flag == "negative_discrimination" for _number, flag in flags))
    detail = client.get(f"/bank/{question_id}").get_data(as_text=True)
    stats = analysis.version_statistics(question_id)
    assert "试题分析（各场考试汇总）" in detail and "区分度为负" in detail
    assert f"{stats[0].facility:.2f}" in detail and str(stats[0].responses) in detail
