"""Exam settings, audience and extra time, publishing (a fixed paper is drawn then), releasing results — the
examiner's side. Every function checks the actor's role and department scope first."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from question_bank.exams.models import (
    EXAM_ARCHIVED,
    EXAM_DRAFT,
    EXAM_PUBLISHED,
    FIXED,
    KINDS,
    RANDOM,
    RELEASE_MANUAL,
    RELEASE_POLICIES,
    Attempt,
    Exam,
    ExamAudience,
    ExamExtraTime,
    ExamPaperItem,
)
from question_bank.exams.permissions import can_manage_exam, can_organise_for
from question_bank.exams.services.blueprints import check_fillable, get_blueprint
from question_bank.exams.services.drawing import draw_paper
from question_bank.types import ALL_OR_NOTHING, PARTIAL, PER_OPTION
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import scope_clause

SCORING_POLICIES = (ALL_OR_NOTHING, PARTIAL, PER_OPTION)


@dataclass
class ExamSettings:
    """What an examiner sets on an exam (form or API)."""

    title: str
    instructions_md: str
    kind: str
    department_id: int
    blueprint_id: int | None
    paper_mode: str
    opens_at: datetime
    closes_at: datetime
    duration_minutes: int
    max_attempts: int
    pass_score: Decimal
    shuffle_questions: bool
    shuffle_options: bool
    release_policy: str
    scoring_policy: str


def _validate(settings: ExamSettings) -> list[str]:
    errors = []
    if not settings.title.strip():
        errors.append(_("请填写考试名称"))
    if settings.kind not in KINDS or settings.paper_mode not in (RANDOM, FIXED):
        errors.append(_("考试类型或组卷方式无效"))
    if settings.release_policy not in RELEASE_POLICIES or settings.scoring_policy not in SCORING_POLICIES:
        errors.append(_("成绩发布方式或多选题计分规则无效"))
    if settings.closes_at <= settings.opens_at:
        errors.append(_("结束时间应晚于开始时间"))
    if not 1 <= settings.duration_minutes <= 600:
        errors.append(_("考试时长应为 1–600 分钟"))
    if not 0 <= settings.max_attempts <= 100:
        errors.append(_("允许作答次数应为 0–100（0 表示不限）"))
    if settings.pass_score < 0:
        errors.append(_("及格分不能为负数"))
    return errors


def save_exam(actor: User, exam: Exam | None, settings: ExamSettings) -> Exam:
    """Create an exam (as a draft) or change one's settings. Once candidates have started, the paper (blueprint
    and mode) can no longer change. Commits."""
    errors = _validate(settings)
    department = db.session.get(Department, settings.department_id)
    if not can_organise_for(actor, department):
        raise PermissionDenied(_("您不能为该单位组织考试"))
    blueprint = get_blueprint(settings.blueprint_id) if settings.blueprint_id else None
    if blueprint is None:
        errors.append(_("请选择组卷方案"))
    if errors:
        raise ValidationFailed(_("考试设置有错误"), details=errors)
    created = exam is None
    if created:
        exam = Exam(created_by_id=actor.id, status=EXAM_DRAFT)
        db.session.add(exam)
    elif not can_manage_exam(actor, exam):
        raise PermissionDenied(_("您不能管理这场考试"))
    elif (exam.blueprint_id != blueprint.id or exam.paper_mode != settings.paper_mode) and _has_attempts(exam):
        raise Conflict(_("已有考生作答，不能再更换试卷"))
    if exam.blueprint_id != blueprint.id or exam.paper_mode != settings.paper_mode:
        exam.paper = []  # a fixed paper is drawn again at publishing
    for field in ("title", "instructions_md", "kind", "paper_mode", "opens_at", "closes_at", "duration_minutes",
                  "max_attempts", "pass_score", "shuffle_questions", "shuffle_options", "release_policy",
                  "scoring_policy"):
        setattr(exam, field, getattr(settings, field))
    exam.title = exam.title.strip()[:200]
    exam.department_id, exam.blueprint_id = department.id, blueprint.id
    db.session.flush()
    record_audit(actor.id, "exam.create" if created else "exam.update", "exam", exam.id, title=exam.title,
                 kind=exam.kind, opens_at=exam.opens_at.isoformat(), closes_at=exam.closes_at.isoformat())
    db.session.commit()
    return exam


def _has_attempts(exam: Exam) -> bool:
    return db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) > 0


def get_managed_exam(actor: User, exam_id: int) -> Exam:
    """An exam the actor may manage; NotFound for one outside their scope (its existence is not disclosed)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or not can_manage_exam(actor, exam):
        raise NotFound(_("考试不存在"))
    return exam


def list_managed_exams(actor: User) -> list[tuple[Exam, int]]:
    """Exams organised within the actor's examiner scope, newest first, with their number of attempts."""
    attempts = (select(Attempt.exam_id, func.count().label("n")).group_by(Attempt.exam_id).subquery())
    rows = db.session.execute(
        select(Exam, func.coalesce(attempts.c.n, 0))
        .join(Department, Department.id == Exam.department_id)
        .outerjoin(attempts, attempts.c.exam_id == Exam.id)
        .where(scope_clause(actor, Department.path, Role.EXAMINER), Exam.status != EXAM_ARCHIVED)
        .order_by(Exam.opens_at.desc(), Exam.id.desc()))
    return [(exam, count) for exam, count in rows]


def publish_exam(actor: User, exam_id: int) -> Exam:
    """Open the exam to its audience. The bank must still be able to fill the blueprint; a fixed paper is
    drawn now, once, for everyone. Commits."""
    exam = get_managed_exam(actor, exam_id)
    if exam.status == EXAM_PUBLISHED:
        return exam
    if not exam.audience:
        raise ValidationFailed(_("请先指定参考人员（单位或个人）"))
    if exam.blueprint is None:
        raise ValidationFailed(_("请先选择组卷方案"))
    check_fillable(list(exam.blueprint.rows))
    if exam.paper_mode == FIXED and not exam.paper:
        draw_fixed_paper(exam)
    exam.status = EXAM_PUBLISHED
    record_audit(actor.id, "exam.publish", "exam", exam.id, title=exam.title, questions=len(exam.paper) or None)
    db.session.commit()
    return exam


def draw_fixed_paper(exam: Exam) -> None:
    """Draw the fixed paper from the blueprint with a fresh seed (questions in blueprint order; each candidate
    still gets their own order when shuffling is on)."""
    items = draw_paper(db.session.connection(), list(exam.blueprint.rows), secrets.randbits(31))
    exam.paper = [ExamPaperItem(position=number, question_version_id=item.version_id, points=item.points)
                  for number, item in enumerate(items, start=1)]


def redraw_fixed_paper(actor: User, exam_id: int) -> Exam:
    """Draw a draft exam's fixed paper again. Commits."""
    exam = get_managed_exam(actor, exam_id)
    if exam.paper_mode != FIXED or exam.status != EXAM_DRAFT:
        raise Conflict(_("只有未发布的固定试卷可以重新抽题"))
    exam.paper = []
    db.session.flush()
    draw_fixed_paper(exam)
    record_audit(actor.id, "exam.redraw_paper", "exam", exam.id, questions=len(exam.paper))
    db.session.commit()
    return exam


def unpublish_exam(actor: User, exam_id: int) -> Exam:
    """Take a published exam back to draft while nobody has started it. Commits."""
    exam = get_managed_exam(actor, exam_id)
    if _has_attempts(exam):
        raise Conflict(_("已有考生作答，不能撤回发布"))
    exam.status = EXAM_DRAFT
    record_audit(actor.id, "exam.unpublish", "exam", exam.id)
    db.session.commit()
    return exam


def archive_exam(actor: User, exam_id: int) -> None:
    """Hide an exam from every list (its attempts and results are kept). Commits."""
    exam = get_managed_exam(actor, exam_id)
    exam.status = EXAM_ARCHIVED
    record_audit(actor.id, "exam.archive", "exam", exam.id, title=exam.title)
    db.session.commit()


def release_results(actor: User, exam_id: int) -> Exam:
    """Release scores and the review to candidates now (exams whose policy is "by hand"). Commits."""
    exam = get_managed_exam(actor, exam_id)
    if exam.release_policy != RELEASE_MANUAL:
        raise Conflict(_("这场考试的成绩按设定自动发布"))
    if exam.released_at is None:
        exam.released_at = utcnow()
        record_audit(actor.id, "exam.release_results", "exam", exam.id)
        db.session.commit()
    return exam


def _person_in_scope(actor: User, employee_no: str) -> User:
    user = db.session.scalar(select(User).where(User.employee_no == employee_no.strip()))
    if user is None or not can_organise_for(actor, user.department):
        raise NotFound(_("人员不存在或不在您的管理范围内"))
    return user


def add_audience(actor: User, exam_id: int, *, department_id: int | None = None,
                 employee_no: str | None = None) -> None:
    """Add a department subtree or one person (by employee number) to the audience; both must be in the
    actor's scope. Commits."""
    exam = get_managed_exam(actor, exam_id)
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if not can_organise_for(actor, department):
            raise PermissionDenied(_("该单位不在您的管理范围内"))
        if all(row.department_id != department.id for row in exam.audience):
            exam.audience.append(ExamAudience(department_id=department.id))
        detail = {"department": department.code}
    else:
        user = _person_in_scope(actor, employee_no or "")
        if all(row.user_id != user.id for row in exam.audience):
            exam.audience.append(ExamAudience(user_id=user.id))
        detail = {"user": user.employee_no}
    record_audit(actor.id, "exam.audience_add", "exam", exam.id, **detail)
    db.session.commit()


def remove_audience(actor: User, exam_id: int, audience_id: int) -> None:
    """Remove one audience row. Commits."""
    exam = get_managed_exam(actor, exam_id)
    row = next((row for row in exam.audience if row.id == audience_id), None)
    if row is None:
        raise NotFound(_("参考范围不存在"))
    exam.audience.remove(row)
    record_audit(actor.id, "exam.audience_remove", "exam", exam.id, department_id=row.department_id,
                 user_id=row.user_id)
    db.session.commit()


def set_extra_time(actor: User, exam_id: int, employee_no: str, minutes: int) -> None:
    """Give one candidate (by employee number) extra minutes on every attempt (0 removes it); applies to
    attempts started later. Commits."""
    exam = get_managed_exam(actor, exam_id)
    user = _person_in_scope(actor, employee_no)
    if not 0 <= minutes <= 600:
        raise ValidationFailed(_("延长时间应为 0–600 分钟"))
    row = db.session.get(ExamExtraTime, (exam.id, user.id))
    if minutes == 0 and row is not None:
        db.session.delete(row)
    elif minutes:
        if row is None:
            row = ExamExtraTime(exam_id=exam.id, user_id=user.id)
            db.session.add(row)
        row.minutes = minutes
    record_audit(actor.id, "exam.extra_time", "exam", exam.id, user=user.employee_no, minutes=minutes)
    db.session.commit()


def paper_summary(exam: Exam) -> tuple[int, Decimal]:
    """Number of questions and total points of the exam's paper."""
    if exam.paper_mode == FIXED and exam.paper:
        return len(exam.paper), sum((item.points for item in exam.paper), Decimal("0"))
    if exam.blueprint is None:
        return 0, Decimal("0")
    return exam.blueprint.question_count, exam.blueprint.total_points


def exam_attempts(actor: User, exam: Exam, limit: int = 500) -> list[tuple[Attempt, str, str, str]]:
    """The exam's attempts with candidate name, employee number and department (examiner's view; the
    exam-day console of issue 6 builds on it)."""
    if not can_manage_exam(actor, exam):
        raise NotFound(_("考试不存在"))
    return [tuple(row) for row in db.session.execute(
        select(Attempt, User.name, User.employee_no, Department.name)
        .join(User, User.id == Attempt.user_id).join(Department, Department.id == User.department_id)
        .where(Attempt.exam_id == exam.id).order_by(Attempt.started_at.desc()).limit(limit))]


def organiser_departments(actor: User) -> list[Department]:
    """Departments the actor may organise exams for or put in an audience, in tree order."""
    return list(db.session.scalars(select(Department).where(
        Department.is_active.is_(True), scope_clause(actor, Department.path, Role.EXAMINER))
        .order_by(Department.path)))
