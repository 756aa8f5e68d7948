"""The wrong-answer book (错题本): collecting wrong answers from released exam attempts, recording practice
answers against it (mastery after ``MASTERY_STREAK`` right answers in a row), and reading it back per module.

Collection is lazy and idempotent: whoever looks at the book (the book page, the home page, a released
result) calls :func:`collect_wrong_answers` first. Attempts are claimed with one conditional UPDATE on
``attempts.book_collected_at`` before their wrong items are upserted, so two requests collecting at once never
count an attempt twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, null, or_, select, update
from sqlalchemy.orm import aliased

from courseware.models import SyllabusModule
from question_bank.exams.models import (
    GRADED,
    RELEASE_AFTER_CLOSE,
    RELEASE_IMMEDIATE,
    RELEASE_MANUAL,
    Attempt,
    AttemptItem,
    Exam,
)
from question_bank.exams.services.attempts import GRACE_SECONDS
from question_bank.models import APPROVED, Question, QuestionVersion
from question_bank.practice.models import MASTERY_STREAK, SOURCE_EXAM, WrongAnswer
from training.core.clock import utcnow
from training.core.sql import dialect_insert
from training.extensions import db

wrong_answers = WrongAnswer.__table__
attempts = Attempt.__table__
items = AttemptItem.__table__
SHORT_ANSWER = "short_answer"


def released_exams(now: datetime):
    """Ids of exams whose results candidates may see now — the rule of
    ``question_bank.exams.services.results.exam_results_released`` in SQL."""
    cutoff = now - timedelta(seconds=GRACE_SECONDS)
    return select(Exam.id).where(or_(
        Exam.release_policy == RELEASE_IMMEDIATE,
        and_(Exam.release_policy == RELEASE_AFTER_CLOSE, Exam.closes_at <= cutoff),
        and_(Exam.release_policy == RELEASE_MANUAL, Exam.released_at.is_not(None))))


_COLUMNS = ["user_id", "question_id", "question_version_id", "times_wrong", "streak", "first_wrong_at",
            "last_wrong_at", "last_practised_at", "source"]


def _wrong_upsert(statement, update_practised: bool):
    """``INSERT … ON CONFLICT DO UPDATE`` putting (back) into the book: one more time wrong, streak reset, no
    longer mastered. ``statement`` inserts the ``_COLUMNS``, one row per question."""
    excluded = statement.excluded
    set_ = {"times_wrong": wrong_answers.c.times_wrong + excluded.times_wrong, "streak": 0,
            "question_version_id": excluded.question_version_id, "last_wrong_at": excluded.last_wrong_at,
            "mastered_at": None}
    if update_practised:
        set_["last_practised_at"] = excluded.last_practised_at
    return statement.on_conflict_do_update(index_elements=["user_id", "question_id"], set_=set_)


def collect_wrong_answers(user_id: int) -> int:
    """Put the wrong answers of the user's graded attempts whose results are released (any exam kind) into
    their wrong-answer book, once per attempt. Every auto-graded item scoring less than its points counts
    (a blank is wrong); short answers are left out. A read when there is nothing to collect; otherwise the
    attempts are claimed (conditional UPDATE), their wrong items upserted grouped per question, and the
    transaction committed. Returns how many attempts this call collected."""
    now = utcnow()
    pending = db.session.scalars(
        select(attempts.c.id).where(attempts.c.user_id == user_id, attempts.c.status == GRADED,
                                    attempts.c.book_collected_at.is_(None),
                                    attempts.c.exam_id.in_(released_exams(now)))).all()
    if not pending:
        return 0
    claimed = db.session.execute(
        update(attempts).where(attempts.c.id.in_(pending), attempts.c.book_collected_at.is_(None))
        .values(book_collected_at=now).returning(attempts.c.id)).scalars().all()
    if claimed:
        answered_at = func.coalesce(attempts.c.submitted_at, literal(now))
        rows = (select(literal(user_id), items.c.question_id, func.max(items.c.question_version_id), func.count(),
                       literal(0), func.min(answered_at), func.max(answered_at), null(), literal(SOURCE_EXAM))
                .select_from(items).join(attempts, attempts.c.id == items.c.attempt_id)
                .join(QuestionVersion, QuestionVersion.id == items.c.question_version_id)
                .where(items.c.attempt_id.in_(claimed), QuestionVersion.type != SHORT_ANSWER,
                       func.coalesce(items.c.score, 0) < items.c.points)
                .group_by(items.c.question_id))
        db.session.execute(_wrong_upsert(dialect_insert(wrong_answers).from_select(_COLUMNS, rows),
                                         update_practised=False))
    db.session.commit()
    return len(claimed)


@dataclass(frozen=True)
class BookState:
    """Where a question stands in the learner's book after an answer."""

    in_book: bool  # in the book (not mastered) after this answer
    streak: int
    mastered_now: bool  # this answer made it leave the book
    was_in_book: bool

    @property
    def remaining(self) -> int:
        """Right answers in a row still needed to leave the book."""
        return max(0, MASTERY_STREAK - self.streak) if self.in_book else 0


def record_answer(user_id: int, question_id: int, version_id: int, correct: bool, source: str, *,
                  at: datetime | None = None) -> BookState:
    """Apply one practice answer to the book: wrong → into the book (or back: one more time wrong, streak 0);
    right on a question in the book → streak + 1, leaving the book at ``MASTERY_STREAK`` in a row. Runs in the
    caller's transaction (does not commit); ``at`` is when the answer was given (now by default)."""
    now = at or utcnow()
    was_in_book = db.session.scalar(select(WrongAnswer.streak).where(
        WrongAnswer.user_id == user_id, WrongAnswer.question_id == question_id,
        WrongAnswer.mastered_at.is_(None))) is not None
    if not correct:
        row = dict(zip(_COLUMNS, (user_id, question_id, version_id, 1, 0, now, now, now, source), strict=True))
        db.session.execute(_wrong_upsert(dialect_insert(wrong_answers).values(**row), update_practised=True))
        return BookState(True, 0, False, was_in_book)
    new_streak = wrong_answers.c.streak + 1
    streak = db.session.execute(
        update(wrong_answers)
        .where(wrong_answers.c.user_id == user_id, wrong_answers.c.question_id == question_id,
               wrong_answers.c.mastered_at.is_(None))
        .values(streak=new_streak, last_practised_at=now,
                mastered_at=case((new_streak >= MASTERY_STREAK, now), else_=None))
        .returning(wrong_answers.c.streak)).scalar()
    if streak is None:
        return BookState(False, 0, False, False)
    mastered = streak >= MASTERY_STREAK
    return BookState(not mastered, streak, mastered, True)


@dataclass(frozen=True)
class ModuleCount:
    module_id: int | None
    code: str
    title: str
    count: int


def open_counts(user_id: int) -> list[ModuleCount]:
    """Questions still in the user's book per syllabus module (only modules with some), in syllabus order;
    questions without a module last. One grouped query."""
    rows = db.session.execute(
        select(SyllabusModule.id, SyllabusModule.code, SyllabusModule.title, func.count())
        .select_from(WrongAnswer).join(Question, Question.id == WrongAnswer.question_id)
        .outerjoin(SyllabusModule, SyllabusModule.id == Question.module_id)
        .where(WrongAnswer.user_id == user_id, WrongAnswer.mastered_at.is_(None))
        .group_by(SyllabusModule.id, SyllabusModule.code, SyllabusModule.title, SyllabusModule.position)
        .order_by(SyllabusModule.position.is_(None), SyllabusModule.position)).all()
    return [ModuleCount(module_id, code or "—", title or "", count) for module_id, code, title, count in rows]


def mastered_count(user_id: int) -> int:
    """How many questions of the user's book have been mastered (and left it)."""
    return db.session.scalar(select(func.count()).select_from(WrongAnswer).where(
        WrongAnswer.user_id == user_id, WrongAnswer.mastered_at.is_not(None))) or 0


@dataclass(frozen=True)
class BookSummary:
    """The learner's book at a glance (home page card, book page header)."""

    modules: list[ModuleCount]
    mastered: int

    @property
    def total(self) -> int:
        return sum(module.count for module in self.modules)

    def count_for(self, module_id: int | None) -> int:
        """Open questions of one module (all of them for None)."""
        if module_id is None:
            return self.total
        return next((module.count for module in self.modules if module.module_id == module_id), 0)


def book_summary(user_id: int, *, with_mastered: bool = True) -> BookSummary:
    """Collect first (lazily), then the open questions per module and, optionally, the mastered count."""
    collect_wrong_answers(user_id)
    return BookSummary(open_counts(user_id), mastered_count(user_id) if with_mastered else 0)


@dataclass(frozen=True)
class BookEntry:
    """One question still in the book, as the book page lists it."""

    question_id: int
    code: str
    stem_text: str
    type: str
    module_code: str | None
    times_wrong: int
    last_wrong_at: datetime
    streak: int

    @property
    def remaining(self) -> int:
        """Right answers in a row still needed to leave the book."""
        return max(0, MASTERY_STREAK - self.streak)


def _open_rows(user_id: int, module_id: int | None):
    query = (select(WrongAnswer).join(Question, Question.id == WrongAnswer.question_id)
             .where(WrongAnswer.user_id == user_id, WrongAnswer.mastered_at.is_(None)))
    return query.where(Question.module_id == module_id) if module_id is not None else query


def book_entries(user_id: int, module_id: int | None = None, *, page: int = 1,
                 per_page: int = 20) -> list[BookEntry]:
    """One page of the questions still in the learner's book (of one module, or all), the most recently
    answered wrong first."""
    rows = db.session.execute(
        _open_rows(user_id, module_id)
        .with_only_columns(WrongAnswer.question_id, Question.code, Question.stem_text, Question.type,
                           SyllabusModule.code, WrongAnswer.times_wrong, WrongAnswer.last_wrong_at,
                           WrongAnswer.streak)
        .outerjoin(SyllabusModule, SyllabusModule.id == Question.module_id)
        .order_by(WrongAnswer.last_wrong_at.desc(), WrongAnswer.question_id)
        .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [BookEntry(*row) for row in rows]


def next_book_question(user_id: int, module_id: int | None = None) -> tuple[WrongAnswer, QuestionVersion] | None:
    """The book question to practise next (the least recently practised first) with the version to show: the
    question's current version when it is approved (and still graded at once), else the version last answered
    wrong. None when the book (or the module's part of it) is empty. One query."""
    current = aliased(QuestionVersion)
    stored = aliased(QuestionVersion)
    row = db.session.execute(
        _open_rows(user_id, module_id).add_columns(stored, current)
        .join(stored, stored.id == WrongAnswer.question_version_id)
        .outerjoin(current, and_(current.question_id == Question.id, current.number == Question.current_version,
                                 Question.status == APPROVED, current.type != SHORT_ANSWER))
        .order_by(WrongAnswer.last_practised_at.is_not(None), WrongAnswer.last_practised_at,
                  WrongAnswer.last_wrong_at, WrongAnswer.question_id).limit(1)).first()
    if row is None:
        return None
    entry, stored_version, current_version = row
    return entry, current_version or stored_version


def book_version_ids(entry: WrongAnswer) -> set[int]:
    """The versions a learner may answer for a question of their book: the one last answered wrong and the
    question's current approved version."""
    ids = {entry.question_version_id}
    current = db.session.scalar(
        select(QuestionVersion.id).join(Question, Question.id == QuestionVersion.question_id)
        .where(Question.id == entry.question_id, Question.status == APPROVED,
               QuestionVersion.number == Question.current_version))
    if current is not None:
        ids.add(current)
    return ids
