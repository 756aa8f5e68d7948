"""The exam web pages (only when their templates exist): the candidate's pages never show keys, explanations or
unreleased scores; the examiners' pages render for examiners in scope."""

from __future__ import annotations

from pathlib import Path

import pytest

import question_bank.exams
from question_bank.exams.models import Blueprint, Exam
from tests.conftest import login_as
from tests.factories import make_exam
from tests.question_bank.exams.conftest import (
    SECRET_EXPLANATION,
    SECRET_ROWS,
    SECRETS,
    Candidate,
    at,
    attempt_row,
    correct_response,
    make_secret_bank,
)
from training.core.clock import frozen_clock
from training.extensions import db

TEMPLATES = Path(question_bank.exams.__file__).parent / "templates" / "exams"
CANDIDATE_PAGES = ("mine.html", "start.html", "attempt.html", "result.html")
MANAGE_PAGES = ("list.html", "detail.html", "edit.html", "blueprints.html", "blueprint.html")
candidate_pages = pytest.mark.skipif(not all((TEMPLATES / name).exists() for name in CANDIDATE_PAGES),
                                     reason="the candidate's exam templates are not written yet")
manage_pages = pytest.mark.skipif(not all((TEMPLATES / "manage" / name).exists() for name in MANAGE_PAGES),
                                  reason="the exam management templates are not written yet")
REVEALING = ("参考答案：", "解析：", "各模块得分", "答卷回顾")


def assert_nothing_revealed(html: str) -> None:
    for secret in SECRETS + REVEALING:
        assert secret not in html, secret


def sit_in_browser(client, learner, exam) -> tuple[int, list[str]]:
    """The browser's way: start page, start button, attempt page; the page's script then takes the attempt over
    through the API and saves answers (choice items right, text items with the candidate's own words).
    Returns the attempt id and every page seen."""
    login_as(client, learner)
    pages = [client.get("/exams").text, client.get(f"/exams/{exam.id}").text]
    started = client.post(f"/exams/{exam.id}/start")
    assert started.status_code == 302 and "/exams/attempts/" in started.location
    attempt_id = int(started.location.rstrip("/").split("/")[-1])
    page = client.get(f"/exams/attempts/{attempt_id}")
    assert page.status_code == 200 and f'data-attempt-id="{attempt_id}"' in page.text
    pages.append(page.text)
    script = Candidate(client, learner, bearer=False)
    body = script.start(exam.id, attempt_id=attempt_id).json
    for seq, item in enumerate(body["items"], start=1):
        response = ["我的答案"] if item["type"] == "fill_blank" else correct_response(item)
        assert script.save(attempt_id, item["id"], response, seq).status_code == 200
    pages += [client.get("/exams").text, client.get(f"/exams/{exam.id}").text,
              client.get(f"/exams/attempts/{attempt_id}").text]
    assert script.submit(attempt_id).status_code == 200
    return attempt_id, pages


@candidate_pages
def test_candidate_pages_before_and_after_immediate_release(client, app_ctx, org, learner):
    make_secret_bank(3)
    exam = make_exam(learner, rows=SECRET_ROWS, release_policy="immediate", title="电子政务能力测试")
    attempt_id, pages = sit_in_browser(client, learner, exam)
    assert "电子政务能力测试" in pages[0]
    for page in pages:
        assert_nothing_revealed(page)
    assert client.get(f"/exams/attempts/{attempt_id}").status_code == 302  # finished: on to the result
    result = client.get(f"/exams/attempts/{attempt_id}/result")
    assert result.status_code == 200
    assert SECRET_EXPLANATION in result.text and "参考答案：" in result.text  # released now


@candidate_pages
@pytest.mark.parametrize("policy", ["after_close", "manual"])
def test_unreleased_results_show_no_score_and_no_keys(client, org, learner, examiner, t0, policy):
    make_secret_bank(3)
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, release_policy=policy, closes_at=at(t0, hours=2))
        attempt_id, pages = sit_in_browser(client, learner, exam)
        score = attempt_row(attempt_id).score
        assert score == 12
        for url in (f"/exams/{exam.id}", f"/exams/attempts/{attempt_id}/result"):
            page = client.get(url)
            assert page.status_code == 200
            pages.append(page.text)
            assert "12.0 /" not in page.text and "合格" not in page.text
    for page in pages:
        assert_nothing_revealed(page)


@candidate_pages
def test_my_exams_page_shows_no_unreleased_score(client, org, learner, t0):
    make_secret_bank(3)
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, release_policy="after_close", closes_at=at(t0, hours=2))
        attempt_id, _pages = sit_in_browser(client, learner, exam)
        assert attempt_row(attempt_id).score == 12
        page = client.get("/exams").text
    assert "最好成绩" not in page and ">12.0<" not in page


@candidate_pages
def test_after_close_result_page_is_released_after_the_close(client, org, learner, t0):
    make_secret_bank(3)
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, release_policy="after_close", closes_at=at(t0, hours=2))
        attempt_id, _pages = sit_in_browser(client, learner, exam)
    with frozen_clock(at(t0, hours=3)):
        page = client.get(f"/exams/attempts/{attempt_id}/result").text
        start_page = client.get(f"/exams/{exam.id}").text
    assert "12.0 / 16.0" in page and SECRET_EXPLANATION in page
    assert "12.0 / 16.0" in start_page


@candidate_pages
def test_an_overdue_attempt_page_leads_to_its_result(client, org, learner, t0):
    make_secret_bank(3)
    with frozen_clock(t0):
        exam = make_exam(learner, rows=SECRET_ROWS, duration_minutes=30)
        login_as(client, learner)
        started = client.post(f"/exams/{exam.id}/start")
        attempt_id = int(started.location.rstrip("/").split("/")[-1])
    with frozen_clock(at(t0, minutes=40)):
        start_page = client.get(f"/exams/{exam.id}")  # finalises lazily
        assert start_page.status_code == 200
        assert client.get(f"/exams/attempts/{attempt_id}").status_code == 302
        result = client.get(f"/exams/attempts/{attempt_id}/result").text
    assert attempt_row(attempt_id).finished_by == "deadline"
    assert "自动交卷" in result


@manage_pages
def test_examiner_pages_render(client, app_ctx, org, learner, examiner):
    make_secret_bank(3)
    exam = make_exam(learner, rows=SECRET_ROWS, title="年度考试")
    blueprint_id = db.session.get(Exam, exam.id).blueprint_id
    login_as(client, examiner)
    for url in ("/exams/manage", f"/exams/manage/{exam.id}", f"/exams/manage/{exam.id}/edit", "/exams/manage/new",
                "/exams/manage/blueprints", "/exams/manage/blueprints/new", f"/exams/manage/blueprints/{blueprint_id}"):
        page = client.get(url)
        assert page.status_code == 200, url
    assert "年度考试" in client.get("/exams/manage").text
    detail = client.get(f"/exams/manage/{exam.id}").text
    assert "预计试卷难度" in detail


@manage_pages
def test_blueprint_editor_checks_and_refuses_an_unfillable_blueprint(client, app_ctx, org, examiner):
    make_secret_bank(3)
    login_as(client, examiner)
    form = {"name": "期中方案", "description": "", "row_scope": ["", "M1"], "row_type": ["single", "true_false"],
            "row_difficulty_min": ["1", "1"], "row_difficulty_max": ["5", "5"], "row_count": ["5", "2"],
            "row_points": ["2", "1"]}
    checked = client.post("/exams/manage/blueprints/new", data={**form, "action": "check"})
    assert checked.status_code == 200 and "仅 3 道，不足" in checked.text
    refused = client.post("/exams/manage/blueprints/new", data={**form, "action": "save"})
    assert refused.status_code == 200 and "第 1 行需要 5 道" in refused.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Blueprint)) == 0
    saved = client.post("/exams/manage/blueprints/new", data={**form, "row_count": ["3", "2"], "action": "save"})
    assert saved.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Blueprint)) == 1
