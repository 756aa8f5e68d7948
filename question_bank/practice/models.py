"""The wrong-answer book and the practice record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.core.clock import utcnow
from training.extensions import db

# Where a wrong answer or a practice answer came from
SOURCE_PRACTICE, SOURCE_BOOK, SOURCE_EXAM = "practice", "book", "exam"
MASTERY_STREAK = 2  # right this many times in a row: the question leaves the book


class WrongAnswer(db.Model):
    """One question in a learner's wrong-answer book (错题本). ``streak`` counts right answers in a row since
    the last wrong one; at ``MASTERY_STREAK`` the question is mastered and leaves the book (``mastered_at``).
    Answering it wrong again later puts it back."""

    __tablename__ = "wrong_answers"
    __table_args__ = (Index("ix_wrong_answers_open", "user_id", "mastered_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    # the version last answered wrong (practice shows the question's current approved version when there is one)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    times_wrong: Mapped[int] = mapped_column(default=1)
    streak: Mapped[int] = mapped_column(default=0)
    first_wrong_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_wrong_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_practised_at: Mapped[datetime | None] = mapped_column()
    mastered_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(16), default=SOURCE_EXAM)  # where it was first answered wrong

    question = relationship("Question")
    version = relationship("QuestionVersion")


class PracticeAnswer(db.Model):
    """One answer given in practice or while working through the wrong-answer book, checked at once."""

    __tablename__ = "practice_answers"
    __table_args__ = (Index("ix_practice_answers_user", "user_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    source: Mapped[str] = mapped_column(String(16), default=SOURCE_PRACTICE)  # practice | book
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    correct: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
