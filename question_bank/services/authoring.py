"""Writing questions: validation by type, immutable versions, and the review lifecycle
(draft → in review → approved / rejected → retired), every transition audited. A reviewer never approves a
question they wrote or last edited."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from courseware.content_files import COMPETENCIES
from courseware.models import KnowledgePoint
from question_bank.errors import QuestionInvalid, WorkflowViolation
from question_bank.models import (
    APPROVED,
    DRAFT,
    IN_REVIEW,
    REJECTED,
    RETIRED,
    Question,
    QuestionReview,
    QuestionVersion,
)
from question_bank.permissions import can_author_questions, can_review_questions
from question_bank.services.duplicates import index_question
from question_bank.types import QUESTION_TYPES
from training.core.audit import record_audit
from training.core.errors import PermissionDenied
from training.core.markdown import render_markdown, to_plain_text
from training.extensions import db
from training.org.models import User


@dataclass
class QuestionDraft:
    """Everything a version holds, as an author or an import gives it."""

    type: str
    stem_md: str
    key: Any
    options: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    explanation_md: str = ""
    difficulty: int = 3
    knowledge_point: str | None = None  # code, e.g. "M3.2"
    competency: str = ""
    points: Decimal = Decimal("1")

    def content_hash(self) -> str:
        """Identity of the content (used for 'nothing changed' and for re-import idempotency)."""
        data = {**asdict(self), "points": str(Decimal(self.points).normalize())}
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def validate_draft(draft: QuestionDraft, knowledge_points: dict[str, KnowledgePoint] | None = None) -> list[str]:
    """Every problem with the draft, in Chinese; empty when it can be saved."""
    kind = QUESTION_TYPES.get(draft.type)
    if kind is None:
        return [f"未知的题型“{draft.type}”"]
    errors = kind.validate(draft.stem_md, draft.options, draft.key, draft.extra)
    if not isinstance(draft.difficulty, int) or not 1 <= draft.difficulty <= 5:
        errors.append("难度应为 1–5")
    if draft.knowledge_point:
        known = knowledge_points if knowledge_points is not None else _knowledge_points({draft.knowledge_point})
        if draft.knowledge_point not in known:
            errors.append(f"知识点“{draft.knowledge_point}”不在大纲中")
    if draft.competency and draft.competency not in COMPETENCIES:
        errors.append(f"能力维度“{draft.competency}”不是九项通用能力之一")
    try:
        if Decimal(draft.points) <= 0:
            errors.append("分值应大于 0")
    except ArithmeticError:
        errors.append("分值应为数字")
    return errors


def _knowledge_points(codes: set[str]) -> dict[str, KnowledgePoint]:
    rows = db.session.scalars(select(KnowledgePoint).where(KnowledgePoint.code.in_(codes))) if codes else []
    return {kp.code: kp for kp in rows}


def _apply_version(question: Question, draft: QuestionDraft, number: int, actor_id: int | None,
                   kp: KnowledgePoint | None) -> QuestionVersion:
    version = QuestionVersion(question=question, number=number, type=draft.type, stem_md=draft.stem_md,
                              options=list(draft.options), key=draft.key, extra=dict(draft.extra),
                              explanation_md=draft.explanation_md, difficulty=draft.difficulty,
                              knowledge_point_id=kp.id if kp else None, competency=draft.competency,
                              points=Decimal(draft.points), content_hash=draft.content_hash(), created_by_id=actor_id)
    db.session.add(version)
    question.current_version, question.type, question.difficulty = number, draft.type, draft.difficulty
    question.knowledge_point_id = kp.id if kp else None
    question.module_id = kp.module_id if kp else None
    question.competency = draft.competency or (kp.competency if kp else "")
    question.stem_text = to_plain_text(render_markdown(draft.stem_md))
    question.last_editor_id = actor_id
    return version


def add_question(actor_id: int | None, draft: QuestionDraft, *, status: str = DRAFT, source: str = "manual",
                 source_ref: str = "", tags: list[str] | None = None,
                 knowledge_points: dict[str, KnowledgePoint] | None = None) -> Question:
    """Add a validated question with its first version (flushes; the caller commits and audits)."""
    known = knowledge_points if knowledge_points is not None else _knowledge_points(
        {draft.knowledge_point} if draft.knowledge_point else set())
    errors = validate_draft(draft, known)
    if errors:
        raise QuestionInvalid("；".join(errors), details=errors)
    question = Question(code="", status=status, author_id=actor_id, source=source, source_ref=source_ref,
                        tags=list(tags or []), type=draft.type)
    db.session.add(question)
    _apply_version(question, draft, 1, actor_id, known.get(draft.knowledge_point) if draft.knowledge_point else None)
    db.session.flush()
    question.code = f"Q{question.id:06d}"
    index_question(question)
    return question


def create_question(actor: User, draft: QuestionDraft) -> Question:
    """An examiner writes a new question: it starts as a draft."""
    if not can_author_questions(actor):
        raise PermissionDenied(_("无权编写试题"))
    question = add_question(actor.id, draft)
    record_audit(actor.id, "question.create", "question", question.id, code=question.code, type=draft.type)
    db.session.commit()
    return question


def edit_question(actor: User, question: Question, draft: QuestionDraft) -> QuestionVersion | None:
    """Save an edit as a new version (None when nothing changed). An edited question needs review again."""
    if not can_author_questions(actor):
        raise PermissionDenied(_("无权编辑试题"))
    if question.status == RETIRED:
        raise WorkflowViolation(_("已停用的试题不能编辑"))
    current = current_version(question)
    if current.content_hash == draft.content_hash():
        return None
    known = _knowledge_points({draft.knowledge_point} if draft.knowledge_point else set())
    errors = validate_draft(draft, known)
    if errors:
        raise QuestionInvalid("；".join(errors), details=errors)
    version = _apply_version(question, draft, current.number + 1, actor.id,
                             known.get(draft.knowledge_point) if draft.knowledge_point else None)
    before = question.status
    question.status = DRAFT
    index_question(question)
    record_audit(actor.id, "question.edit", "question", question.id, version=version.number, status=[before, DRAFT])
    db.session.commit()
    return version


def current_version(question: Question) -> QuestionVersion:
    return db.session.scalar(select(QuestionVersion).where(QuestionVersion.question_id == question.id,
                                                           QuestionVersion.number == question.current_version))


def _transition(actor: User, question: Question, allowed_from: tuple[str, ...], to: str, action: str,
                **detail) -> None:
    if question.status not in allowed_from:
        raise WorkflowViolation(_("试题当前状态不允许此操作"))
    before, question.status = question.status, to
    record_audit(actor.id, action, "question", question.id, status=[before, to], version=question.current_version,
                 **detail)


def submit_for_review(actor: User, question: Question) -> None:
    """Draft or rejected → in review."""
    if not can_author_questions(actor):
        raise PermissionDenied(_("无权提交审核"))
    _transition(actor, question, (DRAFT, REJECTED), IN_REVIEW, "question.submit")
    db.session.commit()


def review_question(actor: User, question: Question, approve: bool, comment: str = "") -> QuestionReview:
    """In review → approved or rejected (a rejection needs a comment). Never by the author or the last editor."""
    if not can_review_questions(actor):
        raise PermissionDenied(_("无权审核试题"))
    if actor.id in (question.author_id, question.last_editor_id):
        raise PermissionDenied(_("不能审核自己编写或最后修改的试题"))
    if not approve and not comment.strip():
        raise WorkflowViolation(_("退回试题时请填写意见"))
    _transition(actor, question, (IN_REVIEW,), APPROVED if approve else REJECTED,
                "question.approve" if approve else "question.reject", comment=comment.strip())
    review = QuestionReview(version_id=current_version(question).id, reviewer_id=actor.id,
                            decision="approve" if approve else "reject", comment=comment.strip())
    db.session.add(review)
    db.session.commit()
    return review


def retire_question(actor: User, question: Question) -> None:
    """Any status but retired → retired: never drawn again; past attempts keep their versions."""
    if not (can_author_questions(actor) or can_review_questions(actor)):
        raise PermissionDenied(_("无权停用试题"))
    _transition(actor, question, (DRAFT, IN_REVIEW, APPROVED, REJECTED), RETIRED, "question.retire")
    db.session.commit()
