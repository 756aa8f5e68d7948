"""Versions are immutable, the lifecycle is enforced, reviewers never approve their own work, and every
transition is audited. The shipped questions load as approved, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courseware.services.sync import sync_courseware
from question_bank.errors import QuestionInvalid, WorkflowViolation
from question_bank.models import Question, QuestionVersion
from question_bank.services.authoring import (
    QuestionDraft,
    create_question,
    edit_question,
    retire_question,
    review_question,
    submit_for_review,
)
from question_bank.shipped import load_shipped_questions
from tests.factories import make_user
from training.core.audit import AuditEvent
from training.core.errors import PermissionDenied
from training.extensions import db


@pytest.fixture
def syllabus(app_ctx, org):
    sync_courseware()


@pytest.fixture
def reviewer(org):
    return make_user(org.province, employee_no="R0001", name="郑审题", roles=[("reviewer", None)])


def draft(**changes) -> QuestionDraft:
    values = {"type": "single", "stem_md": "《行政许可法》自哪一天起施行？", "options": ["2003年8月27日", "2004年7月1日",
              "2008年5月1日", "2002年10月1日"], "key": "B", "explanation_md": "2004年7月1日起施行。",
              "difficulty": 2, "knowledge_point": "M3.3", "competency": "依法行政能力", "points": Decimal("2")}
    values.update(changes)
    return QuestionDraft(**values)


def test_create_and_edit_make_versions(syllabus, examiner):
    question = create_question(examiner, draft())
    assert question.code.startswith("Q") and question.status == "draft"
    assert (question.type, question.difficulty, question.competency) == ("single", 2, "依法行政能力")
    assert edit_question(examiner, question, draft()) is None  # nothing changed, no new version
    version = edit_question(examiner, question, draft(difficulty=3, explanation_md="施行日期为2004年7月1日。"))
    assert version.number == 2 and question.current_version == 2
    versions = db.session.scalars(db.select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                                  .order_by(QuestionVersion.number)).all()
    assert [v.difficulty for v in versions] == [2, 3]  # version 1 untouched
    assert versions[0].explanation_md == "2004年7月1日起施行。"


def test_invalid_drafts_are_refused_with_reasons(syllabus, examiner):
    with pytest.raises(QuestionInvalid) as caught:
        create_question(examiner, draft(key="F", knowledge_point="M99.1", difficulty=9))
    messages = caught.value.details
    assert any("答案应为选项字母" in m for m in messages) and any("M99.1" in m for m in messages)
    assert any("难度" in m for m in messages)
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 0


def test_lifecycle_and_audit(syllabus, examiner, reviewer):
    question = create_question(examiner, draft())
    with pytest.raises(WorkflowViolation):
        review_question(reviewer, question, approve=True)  # not submitted yet
    submit_for_review(examiner, question)
    with pytest.raises(WorkflowViolation):
        review_question(reviewer, question, approve=False, comment="  ")  # a rejection needs a reason
    review_question(reviewer, question, approve=False, comment="选项表述不够严谨")
    assert question.status == "rejected"
    edit_question(examiner, question, draft(options=["2003年8月27日", "2004年7月1日", "2008年5月1日", "2019年5月15日"]))
    submit_for_review(examiner, question)
    review_question(reviewer, question, approve=True)
    assert question.status == "approved"
    retire_question(examiner, question)
    assert question.status == "retired"
    with pytest.raises(WorkflowViolation):
        edit_question(examiner, question, draft(difficulty=4))
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.object_type == "question")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["question.create", "question.submit", "question.reject", "question.edit", "question.submit",
                       "question.approve", "question.retire"]


def test_author_and_last_editor_cannot_approve(syllabus, org, examiner):
    both = make_user(org.province, employee_no="X0001", roles=[("examiner", None), ("reviewer", None)])
    own = create_question(both, draft())
    submit_for_review(both, own)
    with pytest.raises(PermissionDenied):
        review_question(both, own, approve=True)
    edited = create_question(examiner, draft(stem_md="另一题：《政府信息公开条例》自何时起施行？", key="C"))
    edit_question(both, edited, draft(stem_md="另一题：《政府信息公开条例》从何时起施行？", key="C"))
    submit_for_review(examiner, edited)
    with pytest.raises(PermissionDenied):
        review_question(both, edited, approve=True)
    assert edited.status == "in_review"


def test_learners_cannot_author_or_review(syllabus, learner, examiner):
    with pytest.raises(PermissionDenied):
        create_question(learner, draft())
    question = create_question(examiner, draft())
    submit_for_review(examiner, question)
    with pytest.raises(PermissionDenied):
        review_question(learner, question, approve=True)


def test_shipped_questions_load_once_as_approved(syllabus):
    added = load_shipped_questions()
    assert added >= 400
    assert load_shipped_questions() == 0
    counts = dict(db.session.execute(db.select(Question.type, db.func.count()).group_by(Question.type)).all())
    assert set(counts) == {"single", "multiple", "true_false", "fill_blank", "short_answer"}
    modules = db.session.scalar(db.select(db.func.count(db.func.distinct(Question.module_id))))
    assert modules == 9
    assert db.session.scalar(db.select(db.func.count(Question.id)).where(Question.status != "approved")) == 0
    missing_explanations = db.session.scalar(db.select(db.func.count(QuestionVersion.id))
                                             .where(QuestionVersion.explanation_md == ""))
    assert missing_explanations == 0
