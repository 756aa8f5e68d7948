"""Blueprints, exams, attempts and their items.

An attempt's items cite immutable question versions, keep the candidate's response with the client's sequence
number, and carry per-item score, grader and feedback, so manual grading, regrading, the wrong-answer book and
item analysis (issue 6) read and write the same rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.core.clock import utcnow
from training.core.models import TimestampMixin
from training.extensions import db

# Exam kinds, paper modes, release policies, statuses
FORMAL, MOCK, PRACTICE = "formal", "mock", "practice"
KINDS = (FORMAL, MOCK, PRACTICE)
RANDOM, FIXED = "random", "fixed"
RELEASE_IMMEDIATE, RELEASE_AFTER_CLOSE, RELEASE_MANUAL = "immediate", "after_close", "manual"
RELEASE_POLICIES = (RELEASE_IMMEDIATE, RELEASE_AFTER_CLOSE, RELEASE_MANUAL)
EXAM_DRAFT, EXAM_PUBLISHED, EXAM_ARCHIVED = "draft", "published", "archived"
# Attempt statuses: answering; submitted and waiting for a person to grade; fully graded.
IN_PROGRESS, SUBMITTED, GRADED = "in_progress", "submitted", "graded"


class Blueprint(TimestampMixin, db.Model):
    """A recipe for a paper (组卷方案): rows of module/knowledge point × type × difficulty × count × points."""

    __tablename__ = "exam_blueprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    rows: Mapped[list[BlueprintRow]] = relationship(back_populates="blueprint", order_by="BlueprintRow.position",
                                                    cascade="all, delete-orphan")

    @property
    def question_count(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def total_points(self) -> Decimal:
        return sum((row.points * row.count for row in self.rows), Decimal("0"))


class BlueprintRow(db.Model):
    """``count`` questions of ``type`` with difficulty in [min, max] from a module or a knowledge point, each
    worth ``points``. Neither module nor knowledge point: the whole bank."""

    __tablename__ = "exam_blueprint_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    blueprint_id: Mapped[int] = mapped_column(ForeignKey("exam_blueprints.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("syllabus_modules.id"))
    knowledge_point_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_points.id"))
    type: Mapped[str] = mapped_column(String(16))
    difficulty_min: Mapped[int] = mapped_column(default=1)
    difficulty_max: Mapped[int] = mapped_column(default=5)
    count: Mapped[int] = mapped_column(default=1)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))

    blueprint: Mapped[Blueprint] = relationship(back_populates="rows")
    module = relationship("SyllabusModule")
    knowledge_point = relationship("KnowledgePoint")


class Exam(TimestampMixin, db.Model):
    """An exam: its paper (a blueprint drawn per candidate, or a fixed paper), window, timing, scoring and
    release rules. ``department`` is the organiser: examiners manage exams within their scope."""

    __tablename__ = "exams"
    __table_args__ = (Index("ix_exams_status_window", "status", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    instructions_md: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=FORMAL)
    status: Mapped[str] = mapped_column(String(16), default=EXAM_DRAFT)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    blueprint_id: Mapped[int | None] = mapped_column(ForeignKey("exam_blueprints.id", ondelete="SET NULL"),
                                                     index=True)
    paper_mode: Mapped[str] = mapped_column(String(16), default=RANDOM)
    opens_at: Mapped[datetime] = mapped_column()
    closes_at: Mapped[datetime] = mapped_column()
    duration_minutes: Mapped[int] = mapped_column(default=60)
    max_attempts: Mapped[int] = mapped_column(default=1)  # 0: unlimited
    pass_score: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("60"))
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    release_policy: Mapped[str] = mapped_column(String(16), default=RELEASE_IMMEDIATE)
    released_at: Mapped[datetime | None] = mapped_column()
    scoring_policy: Mapped[str] = mapped_column(String(16), default="all_or_nothing")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    department = relationship("Department")
    blueprint: Mapped[Blueprint | None] = relationship()
    paper: Mapped[list[ExamPaperItem]] = relationship(order_by="ExamPaperItem.position",
                                                      cascade="all, delete-orphan")
    audience: Mapped[list[ExamAudience]] = relationship(cascade="all, delete-orphan")
    extra_time: Mapped[list[ExamExtraTime]] = relationship(cascade="all, delete-orphan")


class ExamPaperItem(db.Model):
    """One question of a fixed paper, pinned to a version."""

    __tablename__ = "exam_paper_items"
    __table_args__ = (UniqueConstraint("exam_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))

    version = relationship("QuestionVersion")


class ExamAudience(db.Model):
    """Who may sit the exam: a department subtree or one user per row."""

    __tablename__ = "exam_audience"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    department = relationship("Department")
    user = relationship("User")


class ExamExtraTime(db.Model):
    """Extra minutes one candidate gets on every attempt (an accommodation)."""

    __tablename__ = "exam_extra_time"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    minutes: Mapped[int] = mapped_column(default=0)

    user = relationship("User")


class Attempt(db.Model):
    """One sitting. ``deadline_at`` is fixed at start (start + duration + extra time, capped by the window);
    ``session_token`` names the device that holds the attempt (a newer device takes over)."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("exam_id", "user_id", "number"),
                      Index("ix_attempts_status_deadline", "status", "deadline_at"),
                      Index("ix_attempts_user", "user_id", "exam_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    form_seed: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    # candidate | deadline (finalised from the last saved answers after the deadline)
    finished_by: Mapped[str] = mapped_column(String(16), default="")
    graded_at: Mapped[datetime | None] = mapped_column()
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    max_score: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    passed: Mapped[bool | None] = mapped_column()
    session_token: Mapped[str] = mapped_column(String(43), default="")
    # when this attempt's wrong answers went into the candidate's wrong-answer book (once results are released)
    book_collected_at: Mapped[datetime | None] = mapped_column()

    exam: Mapped[Exam] = relationship()
    user = relationship("User")
    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt", order_by="AttemptItem.position",
                                                    cascade="all, delete-orphan")


class AttemptItem(db.Model):
    """One question of an attempt. ``option_order`` is the original letters in display order (``"CADB"``);
    ``response`` is kept in original letters. ``score`` is None until graded."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column()
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), index=True)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    option_order: Mapped[str] = mapped_column(String(8), default="")
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    response_seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime | None] = mapped_column()
    flagged: Mapped[bool] = mapped_column(default=False)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column()
    feedback: Mapped[str] = mapped_column(Text, default="")

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version = relationship("QuestionVersion")


class GradingClaim(db.Model):
    """An examiner holding an item of the grading queue for a while, so that two examiners grading the same
    exam are handed different responses. A claim older than the hold time is free to take over."""

    __tablename__ = "grading_claims"

    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_items.id", ondelete="CASCADE"),
                                                 primary_key=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
