"""Answering one practice or book question and the feedback after it: the question as the learner sees it
(never the key), the check of an answer (only for a question actually offered to this learner), the practice
record, the book update, and the feedback page with the key and the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import select

from question_bank.exams.services.grading import is_blank
from question_bank.models import APPROVED, Question, QuestionVersion
from question_bank.practice.models import MASTERY_STREAK, SOURCE_BOOK, SOURCE_PRACTICE, PracticeAnswer, WrongAnswer
from question_bank.practice.services.book import book_version_ids, record_answer
from question_bank.types import LETTERS, count_blanks, get_question_type
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.core.markdown import render_inline_markdown, render_markdown
from training.extensions import db

SOURCES = (SOURCE_PRACTICE, SOURCE_BOOK)
MAX_FIELDS, MAX_LENGTH = 20, 200


@dataclass(frozen=True)
class QuestionView:
    """A question as the learner answers it: stem, options in their original order, number of blanks."""

    question_id: int
    version_id: int
    type: str
    type_label: str
    stem_html: str
    options: list[tuple[str, str]]  # (letter, html)
    blanks: int


def question_view(version: QuestionVersion) -> QuestionView:
    """What the learner sees before answering (no key, no explanation)."""
    kind = get_question_type(version.type)
    options = [(LETTERS[index], render_inline_markdown(text))
               for index, text in enumerate(kind.candidate_view(version.options)["options"])]
    return QuestionView(version.question_id, version.id, version.type, str(kind.label),
                        render_markdown(version.stem_md), options,
                        count_blanks(version.stem_md) if version.type == "fill_blank" else 0)


def parse_response(type_name: str, values: list[str]):
    """A form's answer fields (``answer``, repeated for multiple choice and blanks) → the response the
    question type scores (at most ``MAX_FIELDS`` fields of ``MAX_LENGTH`` characters are read)."""
    values = [str(value).strip()[:MAX_LENGTH] for value in values[:MAX_FIELDS]]
    if type_name == "multiple":
        return "".join(values)
    if type_name == "fill_blank":
        return values
    if type_name == "true_false":
        return {"true": True, "false": False}.get(values[0] if values else "")
    return values[0] if values else None


def offered_version(user_id: int, question_id: int, version_id: int, source: str) -> QuestionVersion:
    """The version the learner may answer: in practice, the current version of an approved question; in the
    book, a question of the learner's own book (its current approved version or the one answered wrong). Any
    other question is "not found", so that posting an answer never reveals a key it should not."""
    version = db.session.get(QuestionVersion, version_id)
    if version is None or version.question_id != question_id or source not in SOURCES \
            or not get_question_type(version.type).auto_graded:
        raise NotFound(_("题目不存在或当前不能练习"))
    if source == SOURCE_PRACTICE:
        question = db.session.get(Question, question_id)
        if question.status == APPROVED and question.current_version == version.number:
            return version
    else:
        entry = db.session.get(WrongAnswer, (user_id, question_id))
        if entry is not None and version.id in book_version_ids(entry):
            return version
    raise NotFound(_("题目不存在或当前不能练习"))


def answer_question(user_id: int, question_id: int, version_id: int, values: list[str], source: str) -> int:
    """Check the learner's answer to a question offered to them, record it (``PracticeAnswer``) and apply it
    to the wrong-answer book, in one transaction. A response is right when it earns full points. Returns the
    answer's id (for the feedback page)."""
    version = offered_version(user_id, question_id, version_id, source)
    kind = get_question_type(version.type)
    response = parse_response(version.type, values)
    score = kind.score(version.key, response, version.points)
    correct = score is not None and Decimal(score) >= Decimal(version.points)
    now = utcnow()
    answer = PracticeAnswer(user_id=user_id, question_id=question_id, question_version_id=version.id,
                            source=source, response=response, correct=correct, answered_at=now)
    db.session.add(answer)
    record_answer(user_id, question_id, version.id, correct, source, at=now)
    db.session.commit()
    return answer.id


@dataclass(frozen=True)
class BookStatus:
    """Where the question stands in the learner's book now."""

    in_book: bool
    streak: int
    added_now: bool  # this answer put it in the book
    left_now: bool  # it has been mastered (no longer in the book)

    @property
    def remaining(self) -> int:
        return max(0, MASTERY_STREAK - self.streak)


@dataclass(frozen=True)
class Feedback:
    """The page after an answer: right or wrong, the learner's answer, the key, the explanation."""

    answer_id: int
    source: str
    correct: bool
    question: QuestionView
    options: list[tuple[str, str, bool, bool]]  # (letter, html, chosen, is key)
    response_text: str
    key_text: str
    explanation_html: str
    book: BookStatus
    answered_at: datetime


def feedback_for(user_id: int, answer_id: int) -> Feedback:
    """Feedback on one of the learner's own answers (404 for anyone else's): only answers to questions that
    were offered to them exist, so the key shown here is one they may see."""
    answer = db.session.get(PracticeAnswer, answer_id)
    if answer is None or answer.user_id != user_id:
        raise NotFound(_("答题记录不存在"))
    version = db.session.get(QuestionVersion, answer.question_version_id)
    entry = db.session.scalar(select(WrongAnswer).where(WrongAnswer.user_id == user_id,
                                                        WrongAnswer.question_id == answer.question_id))
    kind = get_question_type(version.type)
    chosen = set(kind.normalise_response(answer.response) or "") if version.type in ("single", "multiple") else set()
    view = question_view(version)
    options = [(letter, html, letter in chosen, letter in str(version.key)) for letter, html in view.options]
    book = BookStatus(
        in_book=entry is not None and entry.mastered_at is None, streak=entry.streak if entry else 0,
        added_now=entry is not None and entry.mastered_at is None and entry.first_wrong_at == answer.answered_at,
        left_now=entry is not None and entry.mastered_at is not None and entry.mastered_at >= answer.answered_at)
    return Feedback(answer.id, answer.source, answer.correct, view, options, response_text(version, answer.response),
                    key_text(version), render_markdown(version.explanation_md or ""), book, answer.answered_at)


def response_text(version: QuestionVersion, response) -> str:
    """The learner's answer as text."""
    if is_blank(response):
        return _("未作答")
    if version.type == "true_false":
        return pgettext("true_false", "正确") if response else pgettext("true_false", "错误")
    if version.type == "fill_blank":
        return "｜".join(str(part) if str(part).strip() else "—" for part in response)
    return str(response)


def key_text(version: QuestionVersion) -> str:
    """The key as the learner reads it."""
    if version.type == "true_false":
        return pgettext("true_false", "正确") if version.key else pgettext("true_false", "错误")
    return get_question_type(version.type).key_text(version.key)
