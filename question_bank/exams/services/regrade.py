"""Regrading after a key fix (重新评分).

A key is fixed by editing the question, which adds a version. The examiner then chooses, for one question of an
exam, the version to grade with: the preview (a dry run, no writes) lists every answer sheet whose item score,
total or pass/fail would change; applying recomputes the same plan inside one transaction and refuses when it
differs from what was previewed (a fingerprint of the plan), so apply changes exactly what the preview showed.
Items of the question move to the chosen version (the review then shows the corrected key); attempts in progress
are switched too and are graded with it when they are submitted. Audited; ``attempt_graded`` goes out for every
graded attempt whose score changed, so certification progress follows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from question_bank.exams.models import GRADED, IN_PROGRESS, Attempt, AttemptItem, Exam
from question_bank.exams.services.exams import get_managed_exam
from question_bank.exams.services.grading import is_blank
from question_bank.models import Question, QuestionVersion
from question_bank.types import get_question_type
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import Conflict, NotFound, ValidationFailed
from training.core.signals import attempt_graded
from training.extensions import db
from training.org.models import User


@dataclass(frozen=True)
class RegradeOption:
    """A question used in the exam: the versions its items cite now, and the versions one may grade with."""

    question: Question
    used: list[tuple[QuestionVersion, int]]  # (version, number of items citing it)
    targets: list[QuestionVersion]


@dataclass(frozen=True)
class ItemChange:
    attempt_id: int
    item_id: int
    user_id: int
    candidate: str
    employee_no: str
    status: str
    old_version: int
    old_score: Decimal | None
    new_score: Decimal | None
    old_total: Decimal | None
    new_total: Decimal | None
    old_passed: bool | None
    new_passed: bool | None

    @property
    def score_changed(self) -> bool:
        return self.old_score != self.new_score

    @property
    def pass_changed(self) -> bool:
        return self.old_passed != self.new_passed


@dataclass(frozen=True)
class RegradePlan:
    exam: Exam
    question: Question
    target: QuestionVersion
    items: int  # items of the question in the exam (all move to the target version)
    in_progress: int
    changes: list[ItemChange]  # items whose score changes
    fingerprint: str

    @property
    def pass_changes(self) -> list[ItemChange]:
        return [change for change in self.changes if change.pass_changed]


def regrade_options(actor: User, exam_id: int) -> list[RegradeOption]:
    """Auto-graded questions of the exam's answer sheets with the versions in use and every version of the same
    type and option count (one may also grade with an earlier version)."""
    exam = get_managed_exam(actor, exam_id)
    used = db.session.execute(
        select(QuestionVersion, db.func.count(AttemptItem.id)).join(
            AttemptItem, AttemptItem.question_version_id == QuestionVersion.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).where(Attempt.exam_id == exam.id)
        .group_by(QuestionVersion.id).order_by(QuestionVersion.question_id, QuestionVersion.number)).all()
    by_question: dict[int, list[tuple[QuestionVersion, int]]] = {}
    for version, count in used:
        if get_question_type(version.type).auto_graded:
            by_question.setdefault(version.question_id, []).append((version, count))
    if not by_question:
        return []
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(by_question)))}
    versions = db.session.scalars(select(QuestionVersion).where(QuestionVersion.question_id.in_(by_question))
                                  .order_by(QuestionVersion.question_id, QuestionVersion.number)).all()
    options = []
    for question_id, in_use in by_question.items():
        first = in_use[0][0]
        targets = [v for v in versions if v.question_id == question_id and _compatible(first, v)]
        if len(targets) > 1 or len(in_use) > 1:
            options.append(RegradeOption(questions[question_id], in_use, targets))
    return options


def _compatible(current: QuestionVersion, target: QuestionVersion) -> bool:
    """Items can move to ``target`` only if it is the same type with the same number of options (the candidate's
    option order and response letters stay meaningful)."""
    return current.type == target.type and len(current.options or []) == len(target.options or [])


def _load(actor: User, exam_id: int, question_id: int, target_version_id: int):
    exam = get_managed_exam(actor, exam_id)
    target = db.session.get(QuestionVersion, target_version_id)
    if target is None or target.question_id != question_id:
        raise NotFound(_("试题版本不存在"))
    if not get_question_type(target.type).auto_graded:
        raise ValidationFailed(_("简答题由人工评阅，请在阅卷页面修改分数"))
    rows = db.session.execute(
        select(AttemptItem.id, AttemptItem.attempt_id, AttemptItem.response, AttemptItem.points,
               AttemptItem.score, Attempt.status, Attempt.score.label("total"), Attempt.passed, Attempt.user_id,
               User.name, User.employee_no, QuestionVersion)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id).join(User, User.id == Attempt.user_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Attempt.exam_id == exam.id, AttemptItem.question_id == question_id)
        .order_by(AttemptItem.attempt_id, AttemptItem.id)).all()
    if not rows:
        raise NotFound(_("本场考试的答卷中没有这道题"))
    if any(not _compatible(row.QuestionVersion, target) for row in rows):
        raise ValidationFailed(_("只能改用题型和选项数相同的版本重新评分"))
    return exam, target, rows


def _new_score(target: QuestionVersion, response, points: Decimal, policy: str) -> Decimal:
    if is_blank(response):
        return Decimal("0")
    return get_question_type(target.type).score(target.key, response, points, policy)


def preview_regrade(actor: User, exam_id: int, question_id: int, target_version_id: int) -> RegradePlan:
    """The dry run: what grading the question with ``target_version_id`` would change. Writes nothing."""
    exam, target, rows = _load(actor, exam_id, question_id, target_version_id)
    changes, in_progress = [], 0
    for row in rows:
        if row.status == IN_PROGRESS:
            in_progress += 1
            continue
        new = _new_score(target, row.response, row.points, exam.scoring_policy)
        old = row.score
        if old == new:
            continue
        graded = row.status == GRADED
        new_total = (row.total - (old or 0) + new) if graded else None
        changes.append(ItemChange(
            row.attempt_id, row.id, row.user_id, row.name, row.employee_no, row.status,
            row.QuestionVersion.number, old, new, row.total if graded else None, new_total, row.passed,
            (new_total >= exam.pass_score) if graded else None))
    question = db.session.get(Question, question_id)
    digest = hashlib.sha256(repr((target.id, [(r.id, r.QuestionVersion.id, str(r.score), r.status) for r in rows],
                                  [(c.item_id, str(c.new_score)) for c in changes])).encode()).hexdigest()[:32]
    return RegradePlan(exam, question, target, len(rows), in_progress, changes, digest)


_SET_ITEM = (update(AttemptItem.__table__).where(AttemptItem.__table__.c.id == bindparam("p_id"))
             .values(score=bindparam("p_score"), graded_at=bindparam("p_at")))
_SET_ATTEMPT = (update(Attempt.__table__).where(Attempt.__table__.c.id == bindparam("p_id"))
                .values(score=bindparam("p_score"), passed=bindparam("p_passed"), graded_at=bindparam("p_at")))


def apply_regrade(actor: User, exam_id: int, question_id: int, target_version_id: int,
                  fingerprint: str) -> RegradePlan:
    """Apply the previewed plan: Conflict when anything changed since the preview (nothing is written then).
    Moves the question's items to the target version, rescored; totals and pass/fail follow. Commits."""
    plan = preview_regrade(actor, exam_id, question_id, target_version_id)
    if plan.fingerprint != fingerprint:
        db.session.rollback()
        raise Conflict(_("答卷在预览之后有了变化，请重新预览后再确认"))
    now = utcnow()
    db.session.execute(update(AttemptItem).where(
        AttemptItem.question_id == question_id,
        AttemptItem.attempt_id.in_(select(Attempt.id).where(Attempt.exam_id == plan.exam.id)))
        .values(question_version_id=plan.target.id).execution_options(synchronize_session=False))
    if plan.changes:
        db.session.execute(_SET_ITEM, [{"p_id": c.item_id, "p_score": c.new_score, "p_at": now}
                                       for c in plan.changes])
    graded = [c for c in plan.changes if c.status == GRADED]
    if graded:
        db.session.execute(_SET_ATTEMPT, [{"p_id": c.attempt_id, "p_score": c.new_total, "p_passed": c.new_passed,
                                           "p_at": now} for c in graded])
    record_audit(actor.id, "exam.regrade", "exam", plan.exam.id, question_id=question_id,
                 version=plan.target.number, items=plan.items, changed=len(plan.changes),
                 pass_changed=len(plan.pass_changes),
                 changes=[{"attempt_id": c.attempt_id, "old": str(c.old_score), "new": str(c.new_score)}
                          for c in plan.changes[:500]])
    db.session.commit()
    for change in graded:
        attempt_graded.send(None, attempt_id=change.attempt_id, user_id=change.user_id, exam_id=plan.exam.id)
    return plan

