"""Browsing the bank: filtered, paginated listings and coverage counts, in SQL over the copied filter columns
(fast with 50,000 questions; no version rows are read for a listing)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from courseware.models import KnowledgePoint, SyllabusModule
from question_bank.models import Question
from question_bank.permissions import can_use_bank
from training.core.errors import PermissionDenied
from training.extensions import db
from training.org.models import User


@dataclass(frozen=True)
class QuestionFilter:
    """Criteria of the bank browser and ``GET /api/v1/questions``; empty values do not filter."""

    module: str = ""
    knowledge_point: str = ""
    type: str = ""
    difficulty: int | None = None
    status: str = ""
    author: str = ""  # employee number
    competency: str = ""
    text: str = ""


@dataclass(frozen=True)
class QuestionRow:
    id: int
    code: str
    status: str
    type: str
    difficulty: int
    module: str | None
    knowledge_point: str | None
    competency: str
    stem: str
    author: str | None
    version: int


def _conditions(criteria: QuestionFilter, module, kp, author) -> list:
    conditions = []
    if criteria.module:
        conditions.append(module.code == criteria.module)
    if criteria.knowledge_point:
        conditions.append(kp.code == criteria.knowledge_point)
    if criteria.type:
        conditions.append(Question.type == criteria.type)
    if criteria.difficulty:
        conditions.append(Question.difficulty == criteria.difficulty)
    if criteria.status:
        conditions.append(Question.status == criteria.status)
    if criteria.author:
        conditions.append(author.employee_no == criteria.author)
    if criteria.competency:
        conditions.append(Question.competency == criteria.competency)
    if criteria.text.strip():
        conditions.append(Question.stem_text.contains(criteria.text.strip(), autoescape=True))
    return conditions


def _base_filters(criteria: QuestionFilter):
    """Joins needed by the filters, so that unfiltered counts read the questions table alone."""
    module, kp, author = aliased(SyllabusModule), aliased(KnowledgePoint), aliased(User)
    joins = []
    if criteria.module:
        joins.append((module, module.id == Question.module_id))
    if criteria.knowledge_point:
        joins.append((kp, kp.id == Question.knowledge_point_id))
    if criteria.author:
        joins.append((author, author.id == Question.author_id))
    return joins, _conditions(criteria, module, kp, author)


def _filtered(query, criteria: QuestionFilter):
    joins, conditions = _base_filters(criteria)
    for target, onclause in joins:
        query = query.join(target, onclause)
    return query.where(*conditions)


def list_questions(viewer: User, criteria: QuestionFilter, page: int = 1,
                   per_page: int = 50) -> tuple[list[QuestionRow], int]:
    """One page of matching questions (newest first) and the total; bank users only."""
    if not can_use_bank(viewer):
        raise PermissionDenied(_("题库仅向命题、审题人员开放"))
    total = db.session.scalar(_filtered(select(func.count(Question.id)), criteria)) or 0
    ids = db.session.scalars(_filtered(select(Question.id), criteria).order_by(Question.id.desc())
                             .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    if not ids:
        return [], total
    module, kp, author = aliased(SyllabusModule), aliased(KnowledgePoint), aliased(User)
    rows = db.session.execute(
        select(Question.id, Question.code, Question.status, Question.type, Question.difficulty, module.code,
               kp.code, Question.competency, Question.stem_text, author.name, Question.current_version)
        .outerjoin(module, module.id == Question.module_id).outerjoin(kp, kp.id == Question.knowledge_point_id)
        .outerjoin(author, author.id == Question.author_id)
        .where(Question.id.in_(ids)).order_by(Question.id.desc())).all()
    return [QuestionRow(*row) for row in rows], total


def coverage(viewer: User, criteria: QuestionFilter) -> dict[tuple[str, str, int], int]:
    """How many questions match per module × type × difficulty, so examiners see where the bank is thin
    (grouped on the questions table; module codes are looked up afterwards for the handful of modules)."""
    if not can_use_bank(viewer):
        raise PermissionDenied(_("题库仅向命题、审题人员开放"))
    rows = db.session.execute(_filtered(
        select(Question.module_id, Question.type, Question.difficulty, func.count()), criteria)
        .group_by(Question.module_id, Question.type, Question.difficulty)).all()
    codes = dict(db.session.execute(select(SyllabusModule.id, SyllabusModule.code)).all())
    return {(codes.get(module_id, "—"), kind, difficulty): n for module_id, kind, difficulty, n in rows}
