"""Results: when a candidate may see their score and the review (the exam's release policy), the score with a
per-module breakdown, and the review with keys and explanations — only once released."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import format_datetime, pgettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from courseware.models import KnowledgePoint, SyllabusModule
from question_bank.exams.models import (
    GRADED,
    IN_PROGRESS,
    RELEASE_AFTER_CLOSE,
    RELEASE_IMMEDIATE,
    RELEASE_MANUAL,
    Attempt,
    AttemptItem,
    Exam,
)
from question_bank.exams.services.attempts import GRACE_SECONDS, finalise_if_overdue, iso_utc
from question_bank.models import QuestionVersion
from question_bank.types import LETTERS, get_question_type
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.core.markdown import render_inline_markdown, render_markdown
from training.extensions import db


def exam_results_released(exam: Exam, now: datetime) -> bool:
    """Whether the exam's release policy lets graded attempts show scores, keys and explanations now. "After
    the window" means after the close *and* the 60 s grace in which late saves are still accepted, so no key
    is out while anybody can still answer."""
    if exam.release_policy == RELEASE_IMMEDIATE:
        return True
    if exam.release_policy == RELEASE_AFTER_CLOSE:
        return now >= exam.closes_at + timedelta(seconds=GRACE_SECONDS)
    return exam.release_policy == RELEASE_MANUAL and exam.released_at is not None


def is_released(exam: Exam, attempt: Attempt, now: datetime) -> bool:
    """Scores, keys and explanations reach the candidate only when the attempt is fully graded and the exam's
    release policy allows it."""
    return attempt.status == GRADED and exam_results_released(exam, now)


def release_note(exam: Exam, attempt: Attempt) -> str:
    """Why the result is not shown yet."""
    if attempt.status == IN_PROGRESS:
        return _("答卷尚未提交")
    if attempt.status != GRADED:
        return _("答卷中有需要人工评阅的题目，评阅完成后公布成绩")
    if exam.release_policy == RELEASE_AFTER_CLOSE:
        return _("成绩将在考试结束（%(at)s）后公布", at=format_datetime(exam.closes_at, "yyyy-MM-dd HH:mm"))
    return _("成绩将由考试组织者统一公布")


@dataclass(frozen=True)
class ModuleScore:
    code: str
    title: str
    score: Decimal
    points: Decimal


@dataclass(frozen=True)
class ReviewItem:
    position: int
    type: str
    stem_html: str
    options: list[tuple[str, str, bool, bool]]  # (display letter, html, chosen, correct)
    response_text: str
    key_text: str
    explanation_html: str
    score: Decimal | None
    points: Decimal
    feedback: str


@dataclass(frozen=True)
class Result:
    attempt: Attempt
    exam: Exam
    released: bool
    note: str
    modules: list[ModuleScore]
    review: list[ReviewItem]


def own_attempt(user_id: int, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise NotFound(_("答卷不存在"))
    return attempt


def result_for(user_id: int, attempt_id: int, *, with_review: bool = True) -> Result:
    """The candidate's result of their own attempt (404 for another's), finalised first if it is overdue.
    Before release: no score, no keys."""
    finalise_if_overdue(user_id, attempt_id)
    attempt = own_attempt(user_id, attempt_id)
    exam = attempt.exam
    released = is_released(exam, attempt, utcnow())
    if not released:
        return Result(attempt, exam, False, release_note(exam, attempt), [], [])
    return Result(attempt, exam, True, "", module_scores(attempt.id),
                  review_items(attempt.id) if with_review else [])


def module_scores(attempt_id: int) -> list[ModuleScore]:
    """Score and points per syllabus module, aggregated in SQL. The module is the one of the knowledge point of
    the version the candidate answered (a later edit of the question does not move it); questions without a
    knowledge point are counted under "未归入模块", so the rows add up to the total."""
    rows = db.session.execute(
        select(SyllabusModule.code, SyllabusModule.title, func.coalesce(func.sum(AttemptItem.score), 0),
               func.sum(AttemptItem.points))
        .select_from(AttemptItem).join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .outerjoin(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
        .outerjoin(SyllabusModule, SyllabusModule.id == KnowledgePoint.module_id)
        .where(AttemptItem.attempt_id == attempt_id)
        .group_by(SyllabusModule.code, SyllabusModule.title, SyllabusModule.position)
        .order_by(SyllabusModule.position.is_(None), SyllabusModule.position))
    return [ModuleScore(code or "—", title or _("未归入模块"), Decimal(score), Decimal(points))
            for code, title, score, points in rows]


def review_items(attempt_id: int) -> list[ReviewItem]:
    """Every item with the candidate's answer, the key and the explanation (only call once released)."""
    rows = db.session.execute(
        select(AttemptItem, QuestionVersion).join(QuestionVersion, QuestionVersion.id ==
                                                  AttemptItem.question_version_id)
        .where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)).all()
    return [_review_item(item, version) for item, version in rows]


def _review_item(item: AttemptItem, version: QuestionVersion) -> ReviewItem:
    kind = get_question_type(version.type)
    options = []
    if version.type in ("single", "multiple"):
        chosen = set(kind.normalise_response(item.response) or "")
        order = item.option_order or LETTERS[:len(version.options)]
        for display, letter in zip(LETTERS, order, strict=False):
            text = version.options[LETTERS.index(letter)]
            options.append((display, render_inline_markdown(text), letter in chosen, letter in str(version.key)))
    return ReviewItem(item.position, version.type, render_markdown(version.stem_md), options,
                      _response_text(version.type, item, kind), _key_text(version, item),
                      render_markdown(version.explanation_md or ""), item.score, item.points, item.feedback or "")


def _display(letters: str, order: str) -> str:
    """Original letters → the letters the candidate saw."""
    return "".join(sorted(LETTERS[order.index(letter)] for letter in letters if letter in order))


def _response_text(kind_name: str, item: AttemptItem, kind) -> str:
    response = kind.normalise_response(item.response) if item.response is not None else None
    if response is None or response == "" or response == []:
        return _("未作答")
    if kind_name in ("single", "multiple"):
        return _display(response, item.option_order) if item.option_order else response
    if kind_name == "true_false":
        return pgettext("true_false", "正确") if response else pgettext("true_false", "错误")
    if kind_name == "fill_blank":
        return "｜".join(str(part) for part in item.response) if isinstance(item.response, list) else str(
            item.response)
    return str(item.response)


def _key_text(version: QuestionVersion, item: AttemptItem) -> str:
    if version.type == "true_false":
        return pgettext("true_false", "正确") if version.key else pgettext("true_false", "错误")
    if version.type in ("single", "multiple") and item.option_order:
        return _display(str(version.key), item.option_order)
    return get_question_type(version.type).key_text(version.key)


def result_json(result: Result) -> dict:
    """The result for the API: nothing but the status before release."""
    attempt = result.attempt
    body: dict = {"attempt_id": attempt.id, "exam_id": attempt.exam_id, "status": attempt.status,
                  "submitted_at": iso_utc(attempt.submitted_at), "released": result.released}
    if not result.released:
        return {**body, "note": result.note}
    return {**body, "score": float(attempt.score or 0), "max_score": float(attempt.max_score),
            "pass_score": float(result.exam.pass_score), "passed": attempt.passed,
            "modules": [{"code": m.code, "title": m.title, "score": float(m.score), "points": float(m.points)}
                        for m in result.modules],
            "review": [{"position": r.position, "type": r.type, "stem_html": r.stem_html,
                        "options": [{"letter": d, "html": h, "chosen": c, "correct": k} for d, h, c, k in r.options],
                        "response": r.response_text, "key": r.key_text, "explanation_html": r.explanation_html,
                        "score": float(r.score) if r.score is not None else None, "points": float(r.points),
                        "feedback": r.feedback} for r in result.review]}
