"""Assigning programmes and required courses: rules over a department subtree (optionally one rank) or over
selected people. A rule, not a copy: whoever is placed in the subtree later — a new official, a transfer — is
assigned when ``user_placed`` arrives. Every assignment is scoped to the HR officer's subtree and audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import joinedload

from courseware.models import Course, Enrollment
from training.certification.constants import NotificationKind, Source, Status, Target
from training.certification.models import AssignmentRule, Program, ProgramAssignment
from training.certification.permissions import can_assign_to, can_use_program
from training.certification.services.notifications import notify_many
from training.certification.services.progress import refresh_rows
from training.core.audit import record_audit
from training.core.clock import utcnow
from training.core.errors import NotFound, ValidationFailed
from training.core.sql import dialect_insert, insert_ignoring_conflicts
from training.extensions import db
from training.org.constants import RANKS, Role
from training.org.models import Department, User
from training.org.permissions import scope_clause

CHUNK = 500
MIN_NEWCOMER_DAYS = 30


def create_rule(actor: User, *, department_id: int, program_id: int | None = None, course_id: int | None = None,
                target: str = Target.DEPARTMENT, rank: str = "", employee_nos: Sequence[str] = (),
                due_at: datetime | None = None, note: str = "") -> tuple[AssignmentRule, int]:
    """Assign a programme or one required course; returns the rule and how many people were newly assigned."""
    department = db.session.get(Department, department_id)
    if department is None or not can_assign_to(actor, department):
        raise NotFound(_("部门不存在或不在您的管辖范围内"))
    program, course = _subject(actor, program_id, course_id)
    if rank and rank not in {name for name, _senior in RANKS}:
        raise ValidationFailed(_("职级无效"))
    if due_at is not None and due_at <= utcnow():
        raise ValidationFailed(_("完成期限必须晚于当前时间"))
    people = _people(department, employee_nos) if target == Target.PEOPLE else []
    if target not in (Target.DEPARTMENT, Target.PEOPLE):
        raise ValidationFailed(_("分配对象无效"))
    rule = AssignmentRule(program_id=program.id if program else None, course_id=course.id if course else None,
                          target=target, department_id=department.id, rank=rank if target == Target.DEPARTMENT else "",
                          due_at=due_at, note=note.strip()[:200], created_by_id=actor.id, people=people)
    db.session.add(rule)
    db.session.flush()
    user_ids = [p.id for p in people] if people else _matching_user_ids(rule, department)
    added = _apply(rule, user_ids, actor.id, due_at)
    record_audit(actor.id, "assignment.create", "assignment_rule", rule.id, department=department.code,
                 program=program.code if program else None, course=course.code if course else None, target=target,
                 rank=rank or None, people=[p.employee_no for p in people],
                 due_at=due_at.isoformat() if due_at else None, assigned=added)
    db.session.commit()
    return rule, added


def _subject(actor: User, program_id: int | None, course_id: int | None) -> tuple[Program | None, Course | None]:
    if (program_id is None) == (course_id is None):
        raise ValidationFailed(_("请选择一个认证项目或一门必修课程"))
    if program_id is not None:
        program = db.session.get(Program, program_id)
        if program is None or not program.is_active or not can_use_program(actor, program):
            raise NotFound(_("认证项目不存在或不可用"))
        return program, None
    course = db.session.get(Course, course_id)
    if course is None or not course.published:
        raise NotFound(_("课程不存在或未发布"))
    return None, course


def _people(department: Department, employee_nos: Sequence[str]) -> list[User]:
    wanted = sorted({no.strip() for no in employee_nos if no and no.strip()})
    if not wanted:
        raise ValidationFailed(_("请填写要分配的人员工号"))
    found = db.session.scalars(select(User).join(User.department).where(
        User.employee_no.in_(wanted), User.is_active.is_(True),
        Department.path.startswith(department.path, autoescape=True))).all()
    missing = sorted(set(wanted) - {user.employee_no for user in found})
    if missing:
        raise ValidationFailed(_("以下工号不存在或不在所选部门范围内：%(nos)s", nos="、".join(missing)))
    return list(found)


def _matching_user_ids(rule: AssignmentRule, department: Department) -> list[int]:
    query = (select(User.id).join(User.department)
             .where(Department.path.startswith(department.path, autoescape=True), User.is_active.is_(True)))
    if rule.rank:
        query = query.where(User.rank == rule.rank)
    return list(db.session.scalars(query))


def _apply(rule: AssignmentRule, user_ids: list[int], actor_id: int | None, due_at: datetime | None) -> int:
    """Assign ``rule``'s subject to ``user_ids`` with ``due_at``; new programme rows are evaluated at once.
    Returns how many people were new."""
    now, added = utcnow(), 0
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start:start + CHUNK]
        added += _apply_program(rule, chunk, actor_id, now, due_at) if rule.program_id \
            else _apply_course(rule, chunk, now, due_at)
    return added


def newcomer_due(rule: AssignmentRule, now: datetime) -> datetime | None:
    """The due date of someone placed under ``rule`` later: the rule's own while it is ahead; after it passed,
    the same lead time the rule first gave (at least 30 days) from the day they joined — nobody starts overdue."""
    if rule.due_at is None or rule.due_at > now:
        return rule.due_at
    return now + max(rule.due_at - rule.created_at, timedelta(days=MIN_NEWCOMER_DAYS))


def _apply_program(rule: AssignmentRule, user_ids: list[int], actor_id: int | None, now: datetime,
                   due_at: datetime | None) -> int:
    existing = dict(db.session.execute(select(ProgramAssignment.user_id, ProgramAssignment.due_at).where(
        ProgramAssignment.program_id == rule.program_id, ProgramAssignment.user_id.in_(user_ids))).all())
    fresh = [uid for uid in user_ids if uid not in existing]
    if fresh:
        db.session.execute(dialect_insert(ProgramAssignment.__table__).values([{
            "user_id": user_id, "program_id": rule.program_id, "source": Source.RULE, "rule_id": rule.id,
            "assigned_by_id": actor_id, "assigned_at": now, "due_at": due_at, "status": Status.NOT_STARTED,
            "percent": 0, "requirements": [], "renewing": False} for user_id in fresh])
            .on_conflict_do_nothing(index_elements=["user_id", "program_id"]))
    if due_at is not None:  # an earlier deadline wins over a later (or no) one
        db.session.execute(update(ProgramAssignment).where(
            ProgramAssignment.program_id == rule.program_id, ProgramAssignment.user_id.in_(list(existing)),
            or_(ProgramAssignment.due_at.is_(None), ProgramAssignment.due_at > due_at))
            .values(due_at=due_at).execution_options(synchronize_session=False))
    rows = db.session.scalars(select(ProgramAssignment).where(
        ProgramAssignment.program_id == rule.program_id, ProgramAssignment.user_id.in_(user_ids))).all()
    refresh_rows(rule.program, list(rows), now)
    due = due_at.date().isoformat() if due_at else None
    key = f"assigned:program:{rule.program_id}"
    notify_many([{"user_id": uid, "kind": NotificationKind.ASSIGNED, "dedupe_key": key,
                  "params": {"program": rule.program.name, "due": due}, "link": "/my/programs"} for uid in fresh])
    return len(fresh)


def _apply_course(rule: AssignmentRule, user_ids: list[int], now: datetime, due_at: datetime | None) -> int:
    existing = set(db.session.scalars(select(Enrollment.user_id).where(
        Enrollment.course_id == rule.course_id, Enrollment.user_id.in_(user_ids))))
    fresh = [uid for uid in user_ids if uid not in existing]
    if fresh:
        db.session.execute(dialect_insert(Enrollment.__table__).values([{
            "user_id": user_id, "course_id": rule.course_id, "source": "assigned", "enrolled_at": now,
            "due_at": due_at, "hours_credited": 0} for user_id in fresh])
            .on_conflict_do_nothing(index_elements=["user_id", "course_id"]))
    if existing:  # a self-enrolment becomes assigned; the earlier deadline wins
        db.session.execute(update(Enrollment).where(
            Enrollment.course_id == rule.course_id, Enrollment.user_id.in_(list(existing)),
            Enrollment.completed_at.is_(None))
            .values(source="assigned", due_at=_earlier(Enrollment.due_at, due_at))
            .execution_options(synchronize_session=False))
    title = db.session.scalar(select(Course.title).where(Course.id == rule.course_id))
    due = due_at.date().isoformat() if due_at else None
    key = f"assigned:course:{rule.course_id}"
    notify_many([{"user_id": uid, "kind": NotificationKind.ASSIGNED, "dedupe_key": key,
                  "params": {"program": title, "due": due}, "link": f"/courses/{rule.course_id}"} for uid in fresh])
    return len(fresh)


def _earlier(column, due_at: datetime | None):
    """SQL for the earlier of ``column`` and ``due_at`` (either may be NULL)."""
    if due_at is None:
        return column
    return case((or_(column.is_(None), column > due_at), due_at), else_=column)


def apply_rules_to_user(user_id: int) -> int:
    """Give a newly placed (created or moved) official every active department rule covering their department
    and rank; commits. Returns how many rules reached them."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return 0
    path = user.department.path
    rules = db.session.scalars(select(AssignmentRule).join(AssignmentRule.department).where(
        AssignmentRule.ended_at.is_(None), AssignmentRule.target == Target.DEPARTMENT,
        or_(AssignmentRule.rank == "", AssignmentRule.rank == user.rank),
        func.substr(path, 1, func.length(Department.path)) == Department.path)
        .order_by(AssignmentRule.due_at.is_(None), AssignmentRule.due_at, AssignmentRule.id)).all()
    for rule in rules:
        _apply(rule, [user.id], rule.created_by_id, newcomer_due(rule, utcnow()))
    db.session.commit()
    return len(rules)


def end_rule(actor: User, rule_id: int) -> AssignmentRule:
    """Withdraw a rule: it assigns nobody from now on. People already assigned keep their progress and
    certificates (a withdrawal is not a revocation)."""
    rule = db.session.get(AssignmentRule, rule_id)
    if rule is None or not can_assign_to(actor, rule.department):
        raise NotFound(_("分配规则不存在"))
    if rule.ended_at is None:
        rule.ended_at = utcnow()
        record_audit(actor.id, "assignment.end", "assignment_rule", rule.id, department=rule.department.code)
        db.session.commit()
    return rule


def rules_in_scope(viewer: User, *, program_id: int | None = None) -> list[tuple[AssignmentRule, int]]:
    """Rules whose department lies in the viewer's HR scope, newest first, with the number of people each one
    assigned (one grouped query)."""
    in_scope = (select(AssignmentRule.id).join(AssignmentRule.department)
                .where(scope_clause(viewer, Department.path, Role.HR)))
    if program_id is not None:
        in_scope = in_scope.where(AssignmentRule.program_id == program_id)
    assigned = (select(ProgramAssignment.rule_id, func.count().label("n"))
                .where(ProgramAssignment.rule_id.in_(in_scope)).group_by(ProgramAssignment.rule_id).subquery())
    query = (select(AssignmentRule, func.coalesce(assigned.c.n, 0)).join(AssignmentRule.department)
             .outerjoin(assigned, assigned.c.rule_id == AssignmentRule.id)
             .where(AssignmentRule.id.in_(in_scope)).order_by(AssignmentRule.id.desc())
             .options(joinedload(AssignmentRule.program)))
    return [(rule, n) for rule, n in db.session.execute(query).all()]


def programs_for(viewer: User) -> list[Program]:
    """Active programmes the viewer may see and assign (organisation-wide, or owned on the path to or inside
    their scope), by code."""
    programs = db.session.scalars(select(Program).where(Program.is_active.is_(True)).order_by(Program.code)).all()
    return [program for program in programs if can_use_program(viewer, program)]


def join_program(user: User, program_id: int) -> ProgramAssignment:
    """A learner joins an organisation-wide programme (or one of their own department's line) themselves."""
    program = db.session.get(Program, program_id)
    if program is None or not program.is_active or not _open_to(user, program):
        raise NotFound(_("认证项目不存在或不可用"))
    db.session.execute(insert_ignoring_conflicts(ProgramAssignment.__table__, {
        "user_id": user.id, "program_id": program.id, "source": Source.SELF, "assigned_at": utcnow(),
        "status": Status.NOT_STARTED, "percent": 0, "requirements": [], "renewing": False}, ["user_id", "program_id"]))
    row = db.session.scalars(select(ProgramAssignment).where(
        ProgramAssignment.user_id == user.id, ProgramAssignment.program_id == program.id)).one()
    refresh_rows(program, [row], utcnow())
    db.session.commit()
    return row


def _open_to(user: User, program: Program) -> bool:
    return program.department is None or user.department.path.startswith(program.department.path)
