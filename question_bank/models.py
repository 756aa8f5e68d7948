"""Questions, their immutable versions, and reviews."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.core.clock import utcnow
from training.core.models import TimestampMixin
from training.extensions import db

DRAFT, IN_REVIEW, APPROVED, REJECTED, RETIRED = "draft", "in_review", "approved", "rejected", "retired"
STATUSES = (DRAFT, IN_REVIEW, APPROVED, REJECTED, RETIRED)


class Question(TimestampMixin, db.Model):
    """A question's identity and lifecycle. The fields that browsing and drawing filter on are copied from the
    current version (``current_version``) so that a 50,000-question bank is filtered through indexes alone."""

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_browse", "status", "module_id", "type", "difficulty"),
        Index("ix_questions_source", "source", "source_ref"),
        # drawing a paper row by knowledge point (the module rows use ix_questions_browse)
        Index("ix_questions_draw_kp", "status", "knowledge_point_id", "type", "difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    last_editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    current_version: Mapped[int] = mapped_column(default=1)
    type: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[int] = mapped_column(default=3)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("syllabus_modules.id"), index=True)
    knowledge_point_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_points.id"), index=True)
    competency: Mapped[str] = mapped_column(String(16), default="")
    stem_text: Mapped[str] = mapped_column(Text, default="")
    # normalised stem (similarity.normalise_stem): exact duplicates in one indexed lookup
    stem_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    # manual | shipped | excel | gift | aiken | moodle
    source: Mapped[str] = mapped_column(String(16), default="manual")
    source_ref: Mapped[str] = mapped_column(String(255), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    versions: Mapped[list[QuestionVersion]] = relationship(back_populates="question",
                                                           order_by="QuestionVersion.number")


class QuestionVersion(db.Model):
    """One immutable version: an edit adds a version, it never changes one (attempts cite versions)."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),
                      Index("ix_question_versions_content_hash", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    type: Mapped[str] = mapped_column(String(16))
    stem_md: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    key: Mapped[Any] = mapped_column(JSON)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # short answer: keywords
    explanation_md: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[int] = mapped_column(default=3)
    knowledge_point_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_points.id"))
    competency: Mapped[str] = mapped_column(String(16), default="")
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(back_populates="versions")


class QuestionNgram(db.Model):
    """A prefix token of a question's current stem (see similarity.py): the near-duplicate index."""

    __tablename__ = "question_ngrams"

    ngram: Mapped[str] = mapped_column(String(8), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class QuestionReview(db.Model):
    """A reviewer's decision on one version."""

    __tablename__ = "question_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
