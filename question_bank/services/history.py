"""A question's history: versions, reviews, and a readable diff between two versions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from courseware.models import KnowledgePoint
from question_bank.models import Question, QuestionReview, QuestionVersion
from question_bank.permissions import can_use_bank
from question_bank.types import LETTERS, get_question_type
from training.core.errors import NotFound
from training.extensions import db
from training.org.models import User


@dataclass(frozen=True)
class ReviewRow:
    version: int
    reviewer: str | None
    decision: str
    comment: str
    at: object


def get_question(viewer: User, question_id: int) -> Question:
    """The question, for bank users only (NotFound otherwise: the bank does not exist for others)."""
    question = db.session.get(Question, question_id)
    if question is None or not can_use_bank(viewer):
        raise NotFound(_("试题不存在"))
    return question


def versions_of(question: Question) -> list[tuple[QuestionVersion, str | None]]:
    """All versions, newest first, each with its knowledge point code."""
    return list(db.session.execute(
        select(QuestionVersion, KnowledgePoint.code)
        .outerjoin(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
        .where(QuestionVersion.question_id == question.id).order_by(QuestionVersion.number.desc())).all())


def reviews_of(question: Question) -> list[ReviewRow]:
    rows = db.session.execute(
        select(QuestionVersion.number, User.name, QuestionReview.decision, QuestionReview.comment, QuestionReview.at)
        .join(QuestionVersion, QuestionVersion.id == QuestionReview.version_id)
        .outerjoin(User, User.id == QuestionReview.reviewer_id)
        .where(QuestionVersion.question_id == question.id).order_by(QuestionReview.at.desc())).all()
    return [ReviewRow(*row) for row in rows]


def version_lines(version: QuestionVersion, kp: str | None) -> list[str]:
    """A version as plain lines, for diffs."""
    kind = get_question_type(version.type)
    lines = [f"题型：{kind.label}", f"题干：{version.stem_md}"]
    lines += [f"选项{LETTERS[i]}：{option}" for i, option in enumerate(version.options)]
    lines += [f"答案：{kind.key_text(version.key)}", f"解析：{version.explanation_md}", f"难度：{version.difficulty}",
              f"知识点：{kp or '—'}", f"能力维度：{version.competency}", f"分值：{version.points}"]
    if version.extra.get("keywords"):
        lines.append("关键词：" + "，".join(version.extra["keywords"]))
    return lines


VersionWithKp = tuple[QuestionVersion, str | None]


def diff_versions(older: VersionWithKp, newer: VersionWithKp) -> list[tuple[str, str]]:
    """(kind, line) pairs: kind is ' ' (same), '-' (removed) or '+' (added)."""
    result = []
    for line in difflib.ndiff(version_lines(*older), version_lines(*newer)):
        if line[:1] in (" ", "-", "+"):
            result.append((line[0], line[2:]))
    return result
