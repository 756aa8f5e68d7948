"""The manual grading queue: blind, keyword-highlighted, claimed per grader, never overwriting another grader's
score, finishing attempts (and sending the graded signal) when the last short answer is graded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from question_bank.exams.models import GradingClaim
from question_bank.exams.services import marking
from question_bank.exams.services.results import result_for
from tests.conftest import login_as
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import add_approved, attempt_row, correct_response, item_row
from training.core.audit import AuditEvent
from training.core.errors import Conflict, NotFound, ValidationFailed
from training.extensions import db

SHORT_KEY = "应当坚持数据分类分级，落实安全责任。"


@pytest.fixture
def short_bank(app_ctx, org):
    add_approved("single", "政务外网主要承载什么业务？", "B", options=["涉密业务", "非涉密业务", "个人业务", "商业业务"])
    return add_approved("short_answer", "简述政务数据共享中的安全要求。", SHORT_KEY,
                        extra={"keywords": ["分类分级", "安全责任", "最小必要"]})


@pytest.fixture
def candidates(org):
    return [make_user(org.qc_division, employee_no=f"C{n:03d}", name=f"考生{n}号") for n in range(1, 5)]


@pytest.fixture
def exam(short_bank, org, candidates):
    return make_exam(org.qc, rows=(("", "single", 1, "2"), ("", "short_answer", 1, "10")),
                     pass_score=Decimal("8"))


def sit(candidate_of, user, exam, text: str) -> int:
    """``user`` answers the single choice right and writes ``text`` for the short answer, then submits."""
    candidate = candidate_of(user)
    body = candidate.started(exam.id)
    for seq, item in enumerate(body["items"], start=1):
        response = text if item["type"] == "short_answer" else correct_response(item)
        assert candidate.save(body["id"], item["id"], response, seq).status_code == 200
    assert candidate.submit(body["id"]).status_code == 200
    return body["id"]



@pytest.fixture
def sheets(exam, candidates, candidate_of):
    texts = ["数据要分类分级管理，明确安全责任。", "要注意保密。", "坚持最小必要原则，落实安全责任。", "不太清楚。"]
    return [sit(candidate_of, user, exam, text) for user, text in zip(candidates, texts, strict=True)]


def the_version(examiner, exam) -> int:
    progress = marking.exam_progress(examiner, exam.id)
    assert len(progress.questions) == 1
    return progress.questions[0].version_id


def test_short_answers_wait_and_the_progress_counts_them(exam, sheets, examiner):
    assert all(attempt_row(a).status == "submitted" for a in sheets)
    progress = marking.exam_progress(examiner, exam.id)
    assert (progress.pending, progress.graded, progress.attempts_waiting, progress.attempts_graded) == (4, 0, 4, 0)
    assert progress.percent == 0
    assert marking.pending_by_exam(examiner) == {exam.id: 4}


def test_the_grading_page_is_blind_and_highlights_keywords(client, exam, sheets, examiner, candidates):
    version_id = the_version(examiner, exam)
    login_as(client, examiner)
    page = client.get(f"/exams/manage/{exam.id}/grading/{version_id}").get_data(as_text=True)
    assert "<mark>分类分级</mark>" in page and "<mark>安全责任</mark>" in page
    assert SHORT_KEY in page  # the reference answer
    for user in candidates:
        assert user.name not in page and user.employee_no not in page
    assert "清川" not in page  # no department either
    assert all(f"答卷 {a}" in page for a in sheets)


def test_highlight_escapes_the_response():
    html, found = marking.highlight("<script>x</script> 分类分级", ["分类分级", "安全"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "<mark>分类分级</mark>" in html
    assert found == [("分类分级", True), ("安全", False)]


def test_two_graders_are_given_different_responses(exam, sheets, examiner, org):
    second = make_user(org.province, employee_no="E0009", name="第二阅卷人", roles=[("examiner", None)])
    version_id = the_version(examiner, exam)
    marking.BATCH, original = 2, marking.BATCH
    try:
        first_batch = marking.grading_batch(examiner, exam.id, version_id)
        second_batch = marking.grading_batch(second, exam.id, version_id)
    finally:
        marking.BATCH = original
    mine = {item.item_id for item in first_batch.items}
    theirs = {item.item_id for item in second_batch.items}
    assert len(mine) == 2 and len(theirs) == 2 and not mine & theirs
    holders = dict(db.session.execute(db.select(GradingClaim.attempt_item_id, GradingClaim.grader_id)).all())
    assert {holders[i] for i in mine} == {examiner.id} and {holders[i] for i in theirs} == {second.id}


def test_a_grade_never_overwrites_another_graders(exam, sheets, examiner, org):
    second = make_user(org.province, employee_no="E0009", name="第二阅卷人", roles=[("examiner", None)])
    item = marking.grading_batch(examiner, exam.id, the_version(examiner, exam)).items[0]
    # both open the same ungraded response; the first to save wins, the second is told
    marking.grade_item(second, exam.id, item.item_id, "6", "要点基本齐全", None)
    with pytest.raises(Conflict):
        marking.grade_item(examiner, exam.id, item.item_id, "9", "很好", None)
    stored = item_row(item.item_id)
    assert (stored.score, stored.feedback, stored.graded_by_id) == (Decimal("6"), "要点基本齐全", second.id)
    # revising needs the grade one saw
    with pytest.raises(Conflict):
        marking.grade_item(examiner, exam.id, item.item_id, "7", "", None)
    marking.grade_item(examiner, exam.id, item.item_id, "7", "复核后加分", stored.graded_at)
    assert item_row(item.item_id).score == Decimal("7")


@pytest.mark.parametrize("score", ["-1", "10.5", "3.3", "abc", ""])
def test_scores_must_be_within_the_points_in_half_steps(exam, sheets, examiner, score):
    item = marking.grading_batch(examiner, exam.id, the_version(examiner, exam)).items[0]
    with pytest.raises(ValidationFailed):
        marking.grade_item(examiner, exam.id, item.item_id, score, "", None)
    assert item_row(item.item_id).score is None


def test_the_last_grade_finishes_the_attempt_and_publishes_it(exam, sheets, examiner, candidates,
                                                              graded_signals):
    version_id = the_version(examiner, exam)
    scores = {}
    while True:
        batch = marking.grading_batch(examiner, exam.id, version_id)
        if not batch.items:
            break
        for n, item in enumerate(batch.items):
            scores[item.sheet] = Decimal(str(4 + n * 2))
            marking.grade_item(examiner, exam.id, item.item_id, str(scores[item.sheet]), f"评语{n}", None)
    assert sorted(scores) == sorted(sheets)
    for attempt_id, user in zip(sheets, candidates, strict=True):
        attempt = attempt_row(attempt_id)
        assert attempt.status == "graded"
        assert attempt.score == Decimal("2") + scores[attempt_id]
        assert attempt.passed is (attempt.score >= Decimal("8"))
        result = result_for(user.id, attempt_id)
        assert result.released and any(r.feedback.startswith("评语") for r in result.review)
    assert sorted(a for a, _u, _e in graded_signals) == sorted(sheets)
    progress = marking.exam_progress(examiner, exam.id)
    assert (progress.pending, progress.graded, progress.percent) == (0, 4, 100)
    audits = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "exam.grade_item")).all()
    assert len(audits) == 4 and {e.actor_id for e in audits} == {examiner.id}


def test_a_candidate_sees_nothing_until_grading_is_complete(client, exam, sheets, candidates):
    result = result_for(candidates[0].id, sheets[0])
    assert not result.released and result.review == []


def test_an_examiner_of_another_city_cannot_grade(client, exam, sheets, examiner, org):
    elsewhere = make_user(org.yl_bureau, employee_no="E0002", name="云命题", roles=[("examiner", org.yl)])
    version_id = the_version(examiner, exam)
    item = marking.grading_batch(examiner, exam.id, version_id).items[0]
    for call in (lambda: marking.exam_progress(elsewhere, exam.id),
                 lambda: marking.grading_batch(elsewhere, exam.id, version_id),
                 lambda: marking.grade_item(elsewhere, exam.id, item.item_id, "5", "", None)):
        with pytest.raises(NotFound):
            call()
    assert item_row(item.item_id).score is None
    login_as(client, elsewhere)
    assert client.get(f"/exams/manage/{exam.id}/grading").status_code == 404
    assert client.post(f"/exams/manage/{exam.id}/grading/items/{item.item_id}",
                       data={"score": "5", "version_id": version_id}).status_code == 404


def test_an_objective_item_cannot_be_graded_by_hand(exam, sheets, examiner):
    objective = next(i for i in attempt_row(sheets[0]).items if i.version.type == "single")
    with pytest.raises(NotFound):
        marking.grade_item(examiner, exam.id, objective.id, "0", "", None)


def test_grading_through_the_pages(client, exam, sheets, examiner):
    login_as(client, examiner)
    assert exam.title in client.get("/exams/manage/grading").get_data(as_text=True)
    version_id = the_version(examiner, exam)
    page = client.get(f"/exams/manage/{exam.id}/grading").get_data(as_text=True)
    assert f"/exams/manage/{exam.id}/grading/{version_id}" in page
    batch = marking.grading_batch(examiner, exam.id, version_id)
    item = batch.items[0]
    response = client.post(f"/exams/manage/{exam.id}/grading/items/{item.item_id}",
                           data={"score": "8.5", "feedback": "论述清楚", "version_id": version_id})
    assert response.status_code == 302
    assert item_row(item.item_id).score == Decimal("8.5") and item_row(item.item_id).feedback == "论述清楚"
    revise = client.get(f"/exams/manage/{exam.id}/grading/{version_id}?graded=1").get_data(as_text=True)
    assert "论述清楚" in revise and "修改评分" in revise
