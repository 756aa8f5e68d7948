"""Regrading after a key fix: the dry run changes nothing, applying changes exactly what was previewed (and
refuses when the data moved in between), pass/fail and signals follow, audited and scoped."""

from __future__ import annotations

from decimal import Decimal

import pytest

from question_bank.exams.models import Attempt, AttemptItem
from question_bank.exams.services import regrade
from question_bank.models import QuestionVersion
from question_bank.services.authoring import QuestionDraft, edit_question
from tests.conftest import login_as
from tests.factories import make_exam, make_user
from tests.question_bank.exams.conftest import add_approved, attempt_row
from training.core.audit import AuditEvent
from training.core.errors import Conflict, NotFound, ValidationFailed
from training.extensions import db

OPTIONS = ["政务内网", "政务外网", "互联网", "专用网"]


@pytest.fixture
def flawed(app_ctx, org):
    """A question keyed A by mistake (the right answer is B), and a true/false question keyed right."""
    question = add_approved("single", "承载非涉密政务业务的网络是？", "A", options=OPTIONS)
    add_approved("true_false", "政务服务应当便民高效。", True)
    return question


@pytest.fixture
def people(org):
    return [make_user(org.qc_division, employee_no=f"C{n:03d}", name=f"考生{n}号") for n in range(1, 5)]


@pytest.fixture
def exam(flawed, org, people):
    return make_exam(org.qc, rows=(("", "single", 1, "4"), ("", "true_false", 1, "2")), pass_score=Decimal("4"),
                     shuffle_options=True, max_attempts=1)


def sit(candidate_of, user, exam, single: str | None, true_false: bool = True) -> int:
    candidate = candidate_of(user)
    body = candidate.started(exam.id)
    for seq, item in enumerate(body["items"], start=1):
        response = single if item["type"] == "single" else true_false
        if response is not None:
            assert candidate.save(body["id"], item["id"], response, seq).status_code == 200
    assert candidate.submit(body["id"]).status_code == 200
    return body["id"]


@pytest.fixture
def sheets(exam, people, candidate_of):
    # B (right answer, marked wrong), A (wrong, marked right), B, and a blank
    return [sit(candidate_of, people[0], exam, "B"), sit(candidate_of, people[1], exam, "A"),
            sit(candidate_of, people[2], exam, "B", False), sit(candidate_of, people[3], exam, None)]


def fix_key(examiner, question) -> QuestionVersion:
    edit_question(examiner, question, QuestionDraft(type="single", stem_md="承载非涉密政务业务的网络是？", key="B",
                                                    options=OPTIONS, knowledge_point="M1.1"))
    db.session.commit()
    return db.session.scalar(db.select(QuestionVersion).where(QuestionVersion.question_id == question.id,
                                                              QuestionVersion.number == 2))


def snapshot(exam_id: int) -> list[tuple]:
    db.session.expire_all()
    items = db.session.execute(
        db.select(AttemptItem.id, AttemptItem.question_version_id, AttemptItem.score)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.exam_id == exam_id)
        .order_by(AttemptItem.id)).all()
    attempts = db.session.execute(db.select(Attempt.id, Attempt.score, Attempt.passed, Attempt.status)
                                  .where(Attempt.exam_id == exam_id).order_by(Attempt.id)).all()
    return [tuple(row) for row in items] + [tuple(row) for row in attempts]


def test_the_dry_run_changes_nothing_and_apply_changes_exactly_what_it_previewed(exam, sheets, flawed, examiner,
                                                                                    graded_signals):
    scores_before = [attempt_row(a).score for a in sheets]
    assert scores_before == [Decimal("2"), Decimal("6"), Decimal("0"), Decimal("2")]
    fixed = fix_key(examiner, flawed)
    before = snapshot(exam.id)
    plan = regrade.preview_regrade(examiner, exam.id, flawed.id, fixed.id)
    assert snapshot(exam.id) == before  # nothing written
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "exam.regrade")) == 0
    by_attempt = {c.attempt_id: c for c in plan.changes}
    assert sorted(by_attempt) == sorted(sheets[:3])  # the blank stays 0
    assert (by_attempt[sheets[0]].old_score, by_attempt[sheets[0]].new_score) == (Decimal("0"), Decimal("4"))
    assert (by_attempt[sheets[0]].old_total, by_attempt[sheets[0]].new_total) == (Decimal("2"), Decimal("6"))
    assert (by_attempt[sheets[0]].old_passed, by_attempt[sheets[0]].new_passed) == (False, True)
    assert (by_attempt[sheets[1]].new_total, by_attempt[sheets[1]].new_passed) == (Decimal("2"), False)
    assert (by_attempt[sheets[2]].new_total, by_attempt[sheets[2]].new_passed) == (Decimal("4"), True)
    assert plan.items == 4 and len(plan.pass_changes) == 3

    regrade.apply_regrade(examiner, exam.id, flawed.id, fixed.id, plan.fingerprint)
    after = snapshot(exam.id)
    changed_items = {c.item_id: c.new_score for c in plan.changes}
    changed_attempts = {c.attempt_id: (c.new_total, c.new_passed) for c in plan.changes}
    expected = []
    for row in before:
        if len(row) == 3:  # an item: moves to the new version if it is this question's, rescored if previewed
            item = db.session.get(AttemptItem, row[0])
            version = fixed.id if item.question_id == flawed.id else row[1]
            expected.append((row[0], version, changed_items.get(row[0], row[2])))
        else:
            total, passed = changed_attempts.get(row[0], (row[1], row[2]))
            expected.append((row[0], total, passed, row[3]))
    assert after == expected
    assert sorted(a for a, _u, _e in graded_signals if a in by_attempt) == sorted(by_attempt)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "exam.regrade"))
    assert event.actor_id == examiner.id and event.detail["changed"] == 3 and event.detail["pass_changed"] == 3


def test_apply_refuses_when_the_sheets_changed_after_the_preview(exam, flawed, examiner, people, candidate_of):
    sheets = [sit(candidate_of, people[0], exam, "B")]
    late = candidate_of(people[1])
    body = late.started(exam.id)  # answering while the examiner previews
    fixed = fix_key(examiner, flawed)
    plan = regrade.preview_regrade(examiner, exam.id, flawed.id, fixed.id)
    assert plan.in_progress == 1 and [c.attempt_id for c in plan.changes] == sheets
    item = next(i for i in body["items"] if i["type"] == "single")
    assert late.save(body["id"], item["id"], "B", 1).status_code == 200
    assert late.submit(body["id"]).status_code == 200  # a new sheet arrives between preview and apply
    before = snapshot(exam.id)
    with pytest.raises(Conflict):
        regrade.apply_regrade(examiner, exam.id, flawed.id, fixed.id, plan.fingerprint)
    assert snapshot(exam.id) == before


def test_an_attempt_in_progress_is_switched_and_graded_with_the_new_key(exam, flawed, examiner, people,
                                                                       candidate_of):
    candidate = candidate_of(people[0])
    body = candidate.started(exam.id)
    fixed = fix_key(examiner, flawed)
    plan = regrade.preview_regrade(examiner, exam.id, flawed.id, fixed.id)
    regrade.apply_regrade(examiner, exam.id, flawed.id, fixed.id, plan.fingerprint)
    item = next(i for i in body["items"] if i["type"] == "single")
    assert candidate.save(body["id"], item["id"], "B", 1).status_code == 200
    assert candidate.submit(body["id"]).status_code == 200
    stored = db.session.get(AttemptItem, item["id"])
    db.session.refresh(stored)
    assert stored.question_version_id == fixed.id and stored.score == Decimal("4")


def test_regrading_back_to_the_original_version_restores_the_scores(exam, sheets, flawed, examiner):
    original = [attempt_row(a).score for a in sheets]
    fixed = fix_key(examiner, flawed)
    regrade.apply_regrade(examiner, exam.id, flawed.id, fixed.id,
                          regrade.preview_regrade(examiner, exam.id, flawed.id, fixed.id).fingerprint)
    first = db.session.scalar(db.select(QuestionVersion).where(QuestionVersion.question_id == flawed.id,
                                                               QuestionVersion.number == 1))
    options = {o.question.id: o for o in regrade.regrade_options(examiner, exam.id)}
    assert [v.number for v in options[flawed.id].targets] == [1, 2]
    plan = regrade.preview_regrade(examiner, exam.id, flawed.id, first.id)
    regrade.apply_regrade(examiner, exam.id, flawed.id, first.id, plan.fingerprint)
    assert [attempt_row(a).score for a in sheets] == original


def test_an_incompatible_version_is_refused(exam, sheets, flawed, examiner):
    edit_question(examiner, flawed, QuestionDraft(type="single", stem_md="承载非涉密政务业务的网络是？", key="B",
                                                  options=OPTIONS[:3], knowledge_point="M1.1"))
    db.session.commit()
    three = db.session.scalar(db.select(QuestionVersion).where(QuestionVersion.question_id == flawed.id,
                                                               QuestionVersion.number == 2))
    with pytest.raises(ValidationFailed):
        regrade.preview_regrade(examiner, exam.id, flawed.id, three.id)


def test_regrade_is_scoped(client, exam, sheets, flawed, examiner, org, learner):
    fixed = fix_key(examiner, flawed)
    elsewhere = make_user(org.yl_bureau, employee_no="E0002", name="云命题", roles=[("examiner", org.yl)])
    with pytest.raises(NotFound):
        regrade.preview_regrade(elsewhere, exam.id, flawed.id, fixed.id)
    plan = regrade.preview_regrade(examiner, exam.id, flawed.id, fixed.id)
    before = snapshot(exam.id)
    with pytest.raises(NotFound):
        regrade.apply_regrade(elsewhere, exam.id, flawed.id, fixed.id, plan.fingerprint)
    login_as(client, elsewhere)
    assert client.get(f"/exams/manage/{exam.id}/regrade").status_code == 404
    assert client.post(f"/exams/manage/{exam.id}/regrade/{flawed.id}",
                       data={"version_id": fixed.id, "fingerprint": plan.fingerprint}).status_code == 404
    login_as(client, learner)
    assert client.get(f"/exams/manage/{exam.id}/regrade").status_code == 403
    assert snapshot(exam.id) == before


def test_regrading_through_the_pages(client, exam, sheets, flawed, examiner):
    fixed = fix_key(examiner, flawed)
    login_as(client, examiner)
    listing = client.get(f"/exams/manage/{exam.id}/regrade").get_data(as_text=True)
    assert flawed.code in listing
    preview = client.get(f"/exams/manage/{exam.id}/regrade/{flawed.id}?version_id={fixed.id}")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "考生1号" in page and "尚未改动任何数据" in page
    plan = regrade.preview_regrade(examiner, exam.id, flawed.id, fixed.id)
    assert plan.fingerprint in page
    response = client.post(f"/exams/manage/{exam.id}/regrade/{flawed.id}",
                           data={"version_id": fixed.id, "fingerprint": plan.fingerprint})
    assert response.status_code == 302
    assert attempt_row(sheets[0]).score == Decimal("6") and attempt_row(sheets[0]).passed is True
