"""Manual grading (阅卷) of the items a person must score — short answers — question by question and blind.

Examiners grade one question across all candidates: the queue hands each grader a batch of ungraded responses
of that question and *claims* them for ``HOLD`` (``GradingClaim``), so two examiners grading the same exam are
given different responses. Saving a grade is a compare-and-set on the item (``graded_at`` as it was shown), so
a grade is never silently overwritten by another examiner's. When the last item of a submitted attempt is
graded, the attempt is totalled and becomes ``graded`` (its result then follows the exam's release policy) and
``attempt_graded`` is sent after the commit. Graders never see names, employee numbers or departments: an
answer sheet is known by its number only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import and_, case, delete, func, or_, select, update

from question_bank.exams.models import GRADED, SUBMITTED, Attempt, AttemptItem, Exam, GradingClaim
from question_bank.exams.services.exams import get_managed_exam, list_managed_exams
from question_bank.models import QuestionVersion
from question_bank.types import QUESTION_TYPES
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import Conflict, NotFound, ValidationFailed
from training.core.markdown import render_markdown
from training.core.signals import attempt_graded
from training.core.sql import insert_ignoring_conflicts
from training.extensions import db
from training.org.models import User

HOLD = timedelta(minutes=15)
BATCH = 5
MANUAL_TYPES = tuple(name for name, kind in QUESTION_TYPES.items() if not kind.auto_graded)


@dataclass(frozen=True)
class QuestionProgress:
    """Grading progress of one question version of an exam."""

    version_id: int
    question_id: int
    stem_html: Markup
    points: Decimal
    graded: int
    pending: int

    @property
    def total(self) -> int:
        return self.graded + self.pending


@dataclass(frozen=True)
class ExamProgress:
    exam: Exam
    questions: list[QuestionProgress]
    attempts_waiting: int
    attempts_graded: int

    @property
    def pending(self) -> int:
        return sum(q.pending for q in self.questions)

    @property
    def graded(self) -> int:
        return sum(q.graded for q in self.questions)

    @property
    def percent(self) -> int:
        total = self.pending + self.graded
        return 100 if total == 0 else int(self.graded * 100 / total)


@dataclass(frozen=True)
class GradingItem:
    """One response as a grader sees it: no candidate identity, only the sheet number."""

    item_id: int
    sheet: int
    response_html: Markup
    keywords: list[tuple[str, bool]]  # (keyword, found in the response)
    points: Decimal
    score: Decimal | None
    feedback: str
    graded_at: datetime | None
    graded_by_me: bool


@dataclass(frozen=True)
class GradingBatch:
    exam: Exam
    version: QuestionVersion
    stem_html: Markup
    reference_html: Markup
    items: list[GradingItem]
    pending: int


def _manual_items(exam_id: int):
    """Items of submitted or graded attempts of the exam whose question a person grades."""
    return (select(AttemptItem.id).join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
            .where(Attempt.exam_id == exam_id, Attempt.status.in_((SUBMITTED, GRADED)),
                   QuestionVersion.type.in_(MANUAL_TYPES)))


def exam_progress(actor: User, exam_id: int) -> ExamProgress:
    """Per question: responses graded and waiting; attempts waiting for a grade and fully graded (SQL
    aggregates)."""
    exam = get_managed_exam(actor, exam_id)
    graded = func.sum(case((AttemptItem.score.is_not(None), 1), else_=0))
    rows = db.session.execute(
        select(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.stem_md,
               func.max(AttemptItem.points), func.coalesce(graded, 0), func.count(AttemptItem.id))
        .select_from(AttemptItem).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Attempt.exam_id == exam.id, Attempt.status.in_((SUBMITTED, GRADED)),
               QuestionVersion.type.in_(MANUAL_TYPES))
        .group_by(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.stem_md)
        .order_by(QuestionVersion.question_id, QuestionVersion.id)).all()
    questions = [QuestionProgress(vid, qid, Markup(render_markdown(stem)), points, int(done), int(total - done))
                 for vid, qid, stem, points, done, total in rows]
    counts = dict(db.session.execute(
        select(Attempt.status, func.count()).where(Attempt.exam_id == exam.id,
                                                   Attempt.status.in_((SUBMITTED, GRADED)))
        .group_by(Attempt.status)).all())
    return ExamProgress(exam, questions, counts.get(SUBMITTED, 0), counts.get(GRADED, 0))


def pending_by_exam(actor: User) -> dict[int, int]:
    """Responses waiting for a grade per exam the actor manages (one aggregate)."""
    exam_ids = [exam.id for exam, _count in list_managed_exams(actor)]
    if not exam_ids:
        return {}
    return dict(db.session.execute(
        select(Attempt.exam_id, func.count(AttemptItem.id)).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Attempt.exam_id.in_(exam_ids), Attempt.status == SUBMITTED, AttemptItem.score.is_(None),
               QuestionVersion.type.in_(MANUAL_TYPES))
        .group_by(Attempt.exam_id)).all())


def highlight(response: str, keywords: list[str]) -> tuple[Markup, list[tuple[str, bool]]]:
    """The response escaped, with every keyword occurrence wrapped in ``<mark>`` (case-insensitive), and which
    keywords were found."""
    text = str(response or "")
    ordered = list(dict.fromkeys(str(k).strip() for k in keywords if str(k).strip()))
    found = [(word, word.casefold() in text.casefold()) for word in ordered]
    words = sorted(ordered, key=len, reverse=True)  # longest first, so a keyword inside another is not split
    if not words or not text:
        return Markup(escape(text)).replace("\n", Markup("<br>")), found
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts).replace("\n", Markup("<br>")), found


def _version_of_exam(exam: Exam, version_id: int) -> QuestionVersion:
    version = db.session.get(QuestionVersion, version_id)
    used = version is not None and version.type in MANUAL_TYPES and db.session.scalar(
        _manual_items(exam.id).where(AttemptItem.question_version_id == version_id).limit(1)) is not None
    if not used:
        raise NotFound(_("本场考试没有这道需人工评阅的试题"))
    return version


def _claim_batch(actor: User, exam_id: int, version_id: int, now: datetime) -> None:
    """Hold up to ``BATCH`` ungraded responses of the question for ``actor``: those already held by them first,
    then free ones (never claimed, or held by someone past ``HOLD``)."""
    held = db.session.scalar(
        select(func.count()).select_from(GradingClaim).join(AttemptItem, AttemptItem.id ==
                                                             GradingClaim.attempt_item_id)
        .where(GradingClaim.grader_id == actor.id, AttemptItem.question_version_id == version_id,
               AttemptItem.score.is_(None), GradingClaim.claimed_at >= now - HOLD))
    wanted = BATCH - held
    if wanted <= 0:
        return
    free = db.session.scalars(
        _manual_items(exam_id).outerjoin(GradingClaim, GradingClaim.attempt_item_id == AttemptItem.id)
        .where(AttemptItem.question_version_id == version_id, AttemptItem.score.is_(None),
               Attempt.status == SUBMITTED,
               or_(GradingClaim.attempt_item_id.is_(None), GradingClaim.claimed_at < now - HOLD))
        .order_by(AttemptItem.attempt_id).limit(wanted)).all()
    for item_id in free:
        # a concurrent grader's claim wins: insert if unclaimed, else take over only a stale claim
        taken = db.session.execute(insert_ignoring_conflicts(
            GradingClaim.__table__, {"attempt_item_id": item_id, "grader_id": actor.id, "claimed_at": now},
            ["attempt_item_id"])).rowcount
        if not taken:
            db.session.execute(update(GradingClaim).where(GradingClaim.attempt_item_id == item_id,
                                                          GradingClaim.claimed_at < now - HOLD)
                               .values(grader_id=actor.id, claimed_at=now))


def grading_batch(actor: User, exam_id: int, version_id: int) -> GradingBatch:
    """The grader's current batch for one question (claiming more when fewer than ``BATCH`` are held), with
    the stem, the reference answer and keywords highlighted in each response. Commits the claims."""
    exam = get_managed_exam(actor, exam_id)
    version = _version_of_exam(exam, version_id)
    now = utcnow()
    _claim_batch(actor, exam.id, version.id, now)
    db.session.commit()
    rows = db.session.execute(
        select(AttemptItem).join(GradingClaim, GradingClaim.attempt_item_id == AttemptItem.id)
        .where(GradingClaim.grader_id == actor.id, AttemptItem.question_version_id == version.id,
               AttemptItem.score.is_(None), GradingClaim.claimed_at >= now - HOLD)
        .order_by(AttemptItem.attempt_id)).scalars().all()
    pending = db.session.scalar(select(func.count()).select_from(_manual_items(exam.id).where(
        AttemptItem.question_version_id == version.id, AttemptItem.score.is_(None)).subquery()))
    return GradingBatch(exam, version, Markup(render_markdown(version.stem_md)),
                        Markup(render_markdown(str(version.key or ""))),
                        [_grading_item(actor, item, version) for item in rows], pending)


def _grading_item(actor: User, item: AttemptItem, version: QuestionVersion) -> GradingItem:
    response_html, found = highlight(str(item.response or ""), list((version.extra or {}).get("keywords", [])))
    return GradingItem(item.id, item.attempt_id, response_html, found, item.points, item.score,
                       item.feedback or "", item.graded_at, item.graded_by_id == actor.id)


def graded_items(actor: User, exam_id: int, version_id: int, limit: int = 200) -> list[GradingItem]:
    """Responses of the question already graded (any grader), most recent first: to revise a grade."""
    exam = get_managed_exam(actor, exam_id)
    version = _version_of_exam(exam, version_id)
    rows = db.session.scalars(
        select(AttemptItem).where(AttemptItem.id.in_(_manual_items(exam.id)),
                                  AttemptItem.question_version_id == version.id, AttemptItem.score.is_not(None))
        .order_by(AttemptItem.graded_at.desc(), AttemptItem.id).limit(limit)).all()
    return [_grading_item(actor, item, version) for item in rows]


def parse_score(raw: object, points: Decimal) -> Decimal:
    """A score between 0 and the item's points in steps of 0.5; ValidationFailed otherwise."""
    try:
        score = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("请填写分数")) from None
    if not score.is_finite() or score < 0 or score > points or (score * 2) % 1 != 0:
        raise ValidationFailed(_("分数应在 0 到 %(points)s 之间，以 0.5 分为单位", points=f"{points:g}"))
    return score


def grade_item(actor: User, exam_id: int, item_id: int, raw_score: object, feedback: str,
               expected_graded_at: datetime | None) -> bool:
    """Record a grade and comment for one response. ``expected_graded_at`` is the item's ``graded_at`` as the
    grader saw it (None for an ungraded one): if another examiner graded it since, Conflict — nothing is
    overwritten. Finishes the attempt when it was its last ungraded item. Commits; returns whether the attempt
    is now graded."""
    exam = get_managed_exam(actor, exam_id)
    row = db.session.execute(
        select(AttemptItem, Attempt.status).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(AttemptItem.id == item_id, Attempt.exam_id == exam.id, QuestionVersion.type.in_(MANUAL_TYPES),
               Attempt.status.in_((SUBMITTED, GRADED)))).first()
    if row is None:
        raise NotFound(_("答卷中没有这道待评阅的题目"))
    item, _status = row
    score = parse_score(raw_score, item.points)
    now = utcnow()
    same = AttemptItem.graded_at.is_(None) if expected_graded_at is None else and_(
        AttemptItem.score.is_not(None), AttemptItem.graded_at == expected_graded_at)
    changed = db.session.execute(
        update(AttemptItem).where(AttemptItem.id == item.id, same)
        .values(score=score, feedback=(feedback or "").strip()[:2000], graded_by_id=actor.id, graded_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("这份答卷的本题刚刚已由其他阅卷人评分，请刷新后查看"))
    db.session.execute(delete(GradingClaim).where(GradingClaim.attempt_item_id == item.id))
    record_audit(actor.id, "exam.grade_item", "attempt_item", item.id, exam_id=exam.id,
                 attempt_id=item.attempt_id, score=str(score), previous=None if item.score is None
                 else str(item.score))
    finished = _total_if_complete(item.attempt_id, exam, now)
    db.session.commit()
    if finished:
        attempt_graded.send(None, attempt_id=item.attempt_id, user_id=finished, exam_id=exam.id)
    return finished is not None


def _total_if_complete(attempt_id: int, exam: Exam, now: datetime) -> int | None:
    """Total a submitted or graded attempt whose items are all scored; returns its user id when it is (newly or
    again) graded, None while items still wait."""
    missing, total, maximum = db.session.execute(
        select(func.sum(case((AttemptItem.score.is_(None), 1), else_=0)),
               func.coalesce(func.sum(AttemptItem.score), 0), func.sum(AttemptItem.points))
        .where(AttemptItem.attempt_id == attempt_id)).one()
    if missing:
        return None
    total = Decimal(total)
    db.session.execute(
        update(Attempt).where(Attempt.id == attempt_id, Attempt.status.in_((SUBMITTED, GRADED)))
        .values(status=GRADED, score=total, max_score=maximum, passed=total >= exam.pass_score,
                graded_at=now).execution_options(synchronize_session=False))
    return db.session.scalar(select(Attempt.user_id).where(Attempt.id == attempt_id))
