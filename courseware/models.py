"""Syllabus, courses, lessons, enrolments and study progress."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.core.clock import utcnow
from training.core.models import TimestampMixin
from training.extensions import db

KIND_REQUIRED = "required"
KIND_ELECTIVE = "elective"
KIND_LABELS_ZH = {"必修": KIND_REQUIRED, "选修": KIND_ELECTIVE}
TIERS = ("领导干部", "一般干部", "技术人员")


class SyllabusModule(db.Model):
    """A module of the syllabus (M1…M9), with the tiers that need it and its main competencies."""

    __tablename__ = "syllabus_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)

    knowledge_points: Mapped[list[KnowledgePoint]] = relationship(
        back_populates="module", order_by="KnowledgePoint.position")


class KnowledgePoint(db.Model):
    """A knowledge point (``M3.2``) of a module, mapped to one of the nine general competencies."""

    __tablename__ = "knowledge_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("syllabus_modules.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    competency: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)

    module: Mapped[SyllabusModule] = relationship(back_populates="knowledge_points")


lesson_knowledge_points = Table(
    "lesson_knowledge_points",
    db.metadata,
    Column("lesson_id", ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True),
    Column("knowledge_point_id", ForeignKey("knowledge_points.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Course(TimestampMixin, db.Model):
    """A course of a module. ``credit_hours`` is the declared credit (学时); None means the rule decides."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("syllabus_modules.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), default=KIND_REQUIRED)
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    credit_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    total_minutes: Mapped[int] = mapped_column(default=0)
    lesson_count: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(255), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")

    module: Mapped[SyllabusModule] = relationship(lazy="joined")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="course", order_by="Lesson.position")


class Lesson(TimestampMixin, db.Model):
    """A lesson. ``body_html`` and ``toc_html`` are rendered and sanitized when the body changes, never on a
    page view. ``source_hash`` is the hash of the file last synced; ``content_hash`` of the current body."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(160))
    minutes: Mapped[int] = mapped_column(default=30)
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    toc_html: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=True)
    source_path: Mapped[str] = mapped_column(String(255), default="")
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    edited_in_app: Mapped[bool] = mapped_column(default=False)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(back_populates="lessons")
    knowledge_points: Mapped[list[KnowledgePoint]] = relationship(
        secondary=lesson_knowledge_points, order_by="KnowledgePoint.code")


class Enrollment(db.Model):
    """A learner on a course: assigned by HR or self-enrolled; ``hours_credited`` (学时) set on completion."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"), Index("ix_enrollments_completed_at", "completed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="self")  # assigned | self
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    hours_credited: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))

    course: Mapped[Course] = relationship()


class LessonProgress(db.Model):
    """Seconds of study credited on a lesson by server-side heartbeats, and when it was completed."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    seconds: Mapped[int] = mapped_column(default=0)
    reached_end: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The clock's anchor on this lesson: time before it has been credited (or the clock restarted then).
    last_beat_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class StudyClock(db.Model):
    """Each learner's one study clock: the lesson it runs on (None while paused) and when it last moved.
    One row per user makes 'one lesson at a time' a property of the data; the time anchor of the running lesson
    is its progress row's ``last_beat_at``."""

    __tablename__ = "study_clocks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    moved_at: Mapped[datetime | None]
