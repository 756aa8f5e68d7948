"""Actions of the exam-day console: extending a candidate's time and reopening a wrongly closed attempt.

Both are for the examiners of the exam and the HR officers whose scope holds the candidate (``console.get_watch``
and ``console.candidate_row`` check it on every call: anything else is NotFound), need a reason, are audited
with the values before and after, and never let a candidate answer while keys may be out:

- "after the close" exams: no deadline may pass the exam's close (keys go out then);
- "by hand" exams: nothing once the results were released;
- reopening: never an attempt whose result the candidate has already seen (``results.is_released``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from question_bank.exams.models import (
    GRADED,
    IN_PROGRESS,
    RELEASE_AFTER_CLOSE,
    RELEASE_MANUAL,
    SUBMITTED,
    Attempt,
    AttemptItem,
    Exam,
    ExamExtraTime,
    GradingClaim,
)
from question_bank.exams.services.console import CandidateRow, Watch, candidate_row, get_watch
from question_bank.exams.services.results import is_released
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from training.extensions import db
from training.org.models import User

MIN_MINUTES, MAX_MINUTES = 1, 240
MAX_EXTRA_MINUTES = 600  # the accommodation's bound (as on the exam's settings page)


@dataclass(frozen=True)
class Extension:
    """What an extension did: moved the deadline of the attempt in progress, or (before the candidate started)
    raised their extra time for the exam."""

    attempt_id: int | None
    old_deadline: datetime | None
    new_deadline: datetime | None
    old_extra: int | None
    new_extra: int | None


def _when(moment: datetime) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def _checked_input(minutes: int | None, reason: str | None) -> str:
    errors = []
    if minutes is None or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors.append(_("分钟数应为 %(low)d–%(high)d", low=MIN_MINUTES, high=MAX_MINUTES))
    reason = (reason or "").strip()
    if not reason:
        errors.append(_("请填写原因（将记入审计日志）"))
    if errors:
        raise ValidationFailed("；".join(errors), details=errors)
    return reason[:500]


def release_block(exam: Exam) -> str | None:
    """Why nobody may get more time on this exam any more ("by hand" results already released), or None."""
    if exam.release_policy == RELEASE_MANUAL and exam.released_at is not None:
        return _("这场考试的成绩和答案已经公布，其他考生可能已看到答案，因此不能再延长作答时间或重新开放答卷。")
    return None


def deadline_block(exam: Exam, start: datetime, minutes: int) -> str | None:
    """Why ``start`` + ``minutes`` is not allowed as a deadline: results of "after the close" exams go out at
    the close, so nobody may answer past it. None when it is allowed."""
    if exam.release_policy != RELEASE_AFTER_CLOSE or start + timedelta(minutes=minutes) <= exam.closes_at:
        return None
    room = int((exam.closes_at - start).total_seconds() // 60)
    rule = _("这场考试的成绩和答案在考试结束（%(close)s）后公布。为避免其他考生在该考生仍可作答时看到答案，"
             "作答截止时间不能晚于考试结束时间", close=_when(exam.closes_at))
    if room < MIN_MINUTES:
        return rule + _("，现已没有可以给出的时间。")
    return rule + _("；目前最多还能给 %(room)d 分钟。", room=room)


def extend_block(exam: Exam, row: CandidateRow, now: datetime) -> str | None:
    """Why the candidate's time cannot be extended at all now (for the page), or None."""
    if row.attempt_status in (SUBMITTED, GRADED):
        return _("该考生已经交卷。如确属误交卷（例如设备故障），请使用“重新开放答卷”。")
    if row.attempt_id is None and now >= exam.closes_at:
        return _("考试已经结束，该考生无法再开始作答，延长时间没有意义。")
    if row.attempt_id is None:
        return release_block(exam)
    return release_block(exam) or deadline_block(exam, max(row.deadline_at, now), MIN_MINUTES)


def reopen_block(exam: Exam, attempt: Attempt, now: datetime) -> str | None:
    """Why the attempt cannot be reopened (for the page and the action), or None."""
    if attempt.status == IN_PROGRESS:
        return _("这份答卷尚未交卷，无需重新开放；如需更多时间，请使用“延长时间”。")
    if is_released(exam, attempt, now):
        return _("该考生已经可以查看这份答卷的成绩和答案，重新开放就等于让其知道答案后再答一次，因此不能重新开放。")
    later = db.session.scalar(select(Attempt.id).where(Attempt.exam_id == exam.id,
                                                       Attempt.user_id == attempt.user_id,
                                                       Attempt.number > attempt.number).limit(1))
    if later is not None:
        return _("该考生之后又作答过，只能重新开放其最近一次答卷。")
    return release_block(exam) or deadline_block(exam, now, MIN_MINUTES)


def _not_oneself(actor: User, user_id: int) -> None:
    if actor.id == user_id:
        raise PermissionDenied(_("不能为自己延长考试时间或重新开放自己的答卷，请由其他考务人员处理。"))


def extend_time(actor: User, exam_id: int, user_id: int, minutes: int, reason: str) -> Extension:
    """Give a candidate ``minutes`` more (1–240, reason required). With an attempt in progress (also one past
    its deadline that is not finalised yet) its deadline moves; before the first start, the minutes are added
    to the candidate's extra time for the exam. Audited; commits."""
    watch = get_watch(actor, exam_id)
    reason = _checked_input(minutes, reason)
    now = utcnow()
    row = candidate_row(watch, user_id, now)
    _not_oneself(actor, row.user_id)
    refusal = extend_block(watch.exam, row, now)
    if refusal:
        raise Conflict(refusal)
    if row.attempt_id is None:
        return _add_extra_time(actor, watch, row, minutes, reason)
    return _move_deadline(actor, watch, row, minutes, reason, now)


def _move_deadline(actor: User, watch: Watch, row: CandidateRow, minutes: int, reason: str,
                   now: datetime) -> Extension:
    old = row.deadline_at
    new = old + timedelta(minutes=minutes)
    if new <= now:
        raise ValidationFailed(_("延长后的截止时间（%(at)s）仍早于当前时间，请增加分钟数；如答卷已被收卷，请使用"
                                 "“重新开放答卷”。", at=_when(new)))
    refusal = deadline_block(watch.exam, old, minutes)
    if refusal:
        raise ValidationFailed(refusal)
    moved = db.session.execute(
        update(Attempt).where(Attempt.id == row.attempt_id, Attempt.status == IN_PROGRESS, Attempt.deadline_at == old)
        .values(deadline_at=new).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        raise Conflict(_("这份答卷的状态刚刚发生了变化（可能已交卷或已被他人延长），请刷新后重试。"))
    record_audit(actor.id, "exam.console_extend", "attempt", row.attempt_id, exam_id=watch.exam.id,
                 user=row.employee_no, minutes=minutes, reason=reason, old_deadline=old.isoformat(),
                 new_deadline=new.isoformat())
    db.session.commit()
    return Extension(row.attempt_id, old, new, None, None)


def _add_extra_time(actor: User, watch: Watch, row: CandidateRow, minutes: int, reason: str) -> Extension:
    old = row.extra_minutes or 0
    if old + minutes > MAX_EXTRA_MINUTES:
        raise ValidationFailed(_("该考生累计延长时间不能超过 %(n)d 分钟（已延长 %(old)d 分钟）",
                                 n=MAX_EXTRA_MINUTES, old=old))
    extra = db.session.get(ExamExtraTime, (watch.exam.id, row.user_id))
    if extra is None:
        db.session.add(ExamExtraTime(exam_id=watch.exam.id, user_id=row.user_id, minutes=minutes))
    else:  # relative, so two examiners extending at once both count
        db.session.execute(update(ExamExtraTime).where(ExamExtraTime.exam_id == watch.exam.id,
                                                       ExamExtraTime.user_id == row.user_id)
                           .values(minutes=ExamExtraTime.minutes + minutes)
                           .execution_options(synchronize_session=False))
    record_audit(actor.id, "exam.console_extra_time", "exam", watch.exam.id, user=row.employee_no,
                 minutes=minutes, reason=reason, old_extra_minutes=old, new_extra_minutes=old + minutes,
                 old_deadline=None, new_deadline=None)
    try:
        db.session.commit()
    except IntegrityError:  # another examiner gave the first extra time at the same moment
        db.session.rollback()
        raise Conflict(_("该考生的延时刚刚被他人修改，请刷新后重试。")) from None
    return Extension(None, None, None, old, old + minutes)


def reopen_attempt(actor: User, exam_id: int, attempt_id: int, minutes: int, reason: str) -> Attempt:
    """Give a submitted or graded attempt back to its candidate for ``minutes`` (1–240, reason required): it
    is in progress again with deadline now + minutes, its score and grading are cleared, and no device holds it
    (the candidate's next start resumes it). Refused once the candidate may see the result. A compare-and-set
    on the status: of two examiners reopening at once, one reopens. Audited; commits."""
    reason = _checked_input(minutes, reason)
    now = utcnow()
    watch, attempt, candidate = watched_attempt(actor, exam_id, attempt_id, now)
    _not_oneself(actor, attempt.user_id)
    refusal = reopen_block(watch.exam, attempt, now)
    if refusal:
        raise Conflict(refusal)
    deadline = now + timedelta(minutes=minutes)
    refusal = deadline_block(watch.exam, now, minutes)
    if refusal:
        raise ValidationFailed(refusal)
    before = {"old_status": attempt.status, "old_score": str(attempt.score) if attempt.score is not None else None,
              "old_passed": attempt.passed, "old_finished_by": attempt.finished_by,
              "old_submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None}
    if not claim_reopen(attempt.id, attempt.status, deadline):
        db.session.rollback()
        raise Conflict(_("这份答卷刚刚已被重新开放或状态已变化，请刷新后查看。"))
    record_audit(actor.id, "exam.console_reopen", "attempt", attempt.id, exam_id=watch.exam.id,
                 user=candidate.employee_no, number=attempt.number, minutes=minutes, reason=reason,
                 new_deadline=deadline.isoformat(), **before)
    db.session.commit()
    db.session.refresh(attempt)
    return attempt


def watched_attempt(actor: User, exam_id: int, attempt_id: int, now: datetime) -> tuple[Watch, Attempt,
                                                                                         CandidateRow]:
    """An attempt of the exam whose candidate the actor may act on; NotFound for an attempt of another exam or
    of a candidate outside the actor's scope."""
    watch = get_watch(actor, exam_id)
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.exam_id != watch.exam.id:
        raise NotFound(_("答卷不存在"))
    return watch, attempt, candidate_row(watch, attempt.user_id, now)


def claim_reopen(attempt_id: int, expected_status: str, deadline: datetime) -> bool:
    """In the caller's transaction: put the attempt back in progress if its status is still
    ``expected_status`` (submitted or graded), clearing submission, score and grading of the attempt and its
    items, and any grader's claim. Whether this call did it."""
    if expected_status not in (SUBMITTED, GRADED):
        return False
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt_id, Attempt.status == expected_status)
        .values(status=IN_PROGRESS, deadline_at=deadline, submitted_at=None, finished_by="", score=None,
                passed=None, graded_at=None, session_token="")
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    item_ids = select(AttemptItem.id).where(AttemptItem.attempt_id == attempt_id)
    db.session.execute(update(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                       .values(score=None, graded_by_id=None, graded_at=None, feedback="")
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(GradingClaim).where(GradingClaim.attempt_item_id.in_(item_ids))
                       .execution_options(synchronize_session=False))
    return True


@dataclass(frozen=True)
class CandidateState:
    """One candidate of the console with their latest attempt and why each action is not possible now."""

    watch: Watch
    row: CandidateRow
    attempt: Attempt | None
    extend_note: str | None
    reopen_note: str | None


def candidate_state(actor: User, exam_id: int, user_id: int, now: datetime) -> CandidateState:
    """The console's page of one candidate; NotFound outside the actor's scope."""
    watch = get_watch(actor, exam_id)
    row = candidate_row(watch, user_id, now)
    attempt = db.session.get(Attempt, row.attempt_id) if row.attempt_id else None
    return CandidateState(watch, row, attempt, extend_block(watch.exam, row, now),
                          reopen_block(watch.exam, attempt, now) if attempt else None)
