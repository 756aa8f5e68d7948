"""The questions shipped with the product (``question_bank/content/M*.toml``), loaded as approved questions
by ``flask demo load``: idempotent, keyed by file and position."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from courseware.models import KnowledgePoint
from question_bank.errors import QuestionInvalid
from question_bank.models import APPROVED, Question
from question_bank.services.authoring import QuestionDraft, add_question, validate_draft
from question_bank.types import DEFAULT_POINTS
from training.core.audit import record_audit
from training.extensions import db

CONTENT_ROOT = Path(__file__).resolve().parent / "content"


def draft_from_entry(entry: dict) -> QuestionDraft:
    """One ``[[question]]`` table → a draft (options only for choice types; keywords kept as extra)."""
    kind = entry.get("type", "")
    return QuestionDraft(
        type=kind, stem_md=str(entry.get("stem", "")).strip(), key=entry.get("answer"),
        options=[str(option) for option in entry.get("options", [])],
        extra={"keywords": list(entry["keywords"])} if kind == "short_answer" and "keywords" in entry else {},
        explanation_md=str(entry.get("explanation", "")).strip(), difficulty=entry.get("difficulty", 3),
        knowledge_point=entry.get("knowledge_point"), competency=entry.get("competency", ""),
        points=Decimal(str(entry.get("points", DEFAULT_POINTS.get(kind, 1)))))


def read_shipped(root: Path = CONTENT_ROOT) -> tuple[list[tuple[str, QuestionDraft]], list[str]]:
    """(ref, draft) for every shipped question, and every error as ``file #n: message``."""
    known = {kp.code: kp for kp in db.session.scalars(select(KnowledgePoint))}
    drafts, errors = [], []
    for path in sorted(root.glob("M*.toml")):
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("question", [])
        for number, entry in enumerate(entries, start=1):
            ref = f"{path.name}#{number}"
            draft = draft_from_entry(entry)
            problems = validate_draft(draft, known)
            if problems:
                errors.append(f"{ref}: {'；'.join(problems)}")
            else:
                drafts.append((ref, draft))
    return drafts, errors


def load_shipped_questions(root: Path = CONTENT_ROOT) -> int:
    """Add the shipped questions not loaded yet, as approved; returns how many were added. Commits.
    Needs the syllabus (``flask courseware sync``) first."""
    drafts, errors = read_shipped(root)
    if errors:
        raise QuestionInvalid(f"{len(errors)} 道随产品发布的试题有错误", details=errors)
    loaded = set(db.session.scalars(select(Question.source_ref).where(Question.source == "shipped")))
    known = {kp.code: kp for kp in db.session.scalars(select(KnowledgePoint))}
    added = 0
    for ref, draft in drafts:
        if ref not in loaded:
            add_question(None, draft, status=APPROVED, source="shipped", source_ref=ref, knowledge_points=known)
            added += 1
    if added:
        record_audit(None, "question.load_shipped", "question_bank", None, added=added)
    db.session.commit()
    return added
