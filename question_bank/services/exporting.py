"""Exporting the current filter of the bank to Excel, GIFT or Moodle XML (current versions only)."""

from __future__ import annotations

from sqlalchemy import select

from courseware.models import KnowledgePoint, SyllabusModule
from question_bank.formats.excel import draft_row, write_excel
from question_bank.formats.writers import draft_to_gift, draft_to_moodle, moodle_document
from question_bank.models import Question, QuestionVersion
from question_bank.services.authoring import QuestionDraft
from question_bank.services.browse import QuestionFilter, list_questions
from training.extensions import db
from training.org.models import User

EXPORT_FORMATS = ("excel", "gift", "moodle")
MAX_EXPORT = 100_000


def version_draft(version: QuestionVersion, kp_code: str | None) -> QuestionDraft:
    """A stored version as a draft (what the writers take)."""
    return QuestionDraft(type=version.type, stem_md=version.stem_md, key=version.key, options=list(version.options),
                         extra=dict(version.extra), explanation_md=version.explanation_md,
                         difficulty=version.difficulty, knowledge_point=kp_code, competency=version.competency,
                         points=version.points)


def export_questions(viewer: User, criteria: QuestionFilter, fmt: str) -> tuple[bytes, int]:
    """The matching questions' current versions in ``fmt``; returns the file and how many it holds (a format
    that cannot hold a question leaves it out)."""
    rows, _total = list_questions(viewer, criteria, page=1, per_page=MAX_EXPORT)
    ids = [row.id for row in rows]
    versions = db.session.execute(
        select(Question.code, QuestionVersion, KnowledgePoint.code, SyllabusModule.code)
        .join(QuestionVersion, (QuestionVersion.question_id == Question.id)
              & (QuestionVersion.number == Question.current_version))
        .outerjoin(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
        .outerjoin(SyllabusModule, SyllabusModule.id == KnowledgePoint.module_id)
        .where(Question.id.in_(ids)).order_by(Question.id)).all() if ids else []
    drafts = [(code, version_draft(version, kp), module or "") for code, version, kp, module in versions]
    if fmt == "excel":
        return write_excel([draft_row(draft, module) for _, draft, module in drafts]), len(drafts)
    if fmt == "gift":
        items = [text for code, draft, _ in drafts if (text := draft_to_gift(code, draft))]
        return ("\n\n".join(items) + "\n").encode("utf-8"), len(items)
    items = [text for code, draft, _ in drafts if (text := draft_to_moodle(code, draft))]
    return moodle_document(items).encode("utf-8"), len(items)
