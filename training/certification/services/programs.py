"""Programmes: create and edit them (validated, audited, ``requirements_version`` bumped on a change of
requirements), list those a viewer may use with per-status counts of people in the viewer's HR scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, literal, or_, select, true
from sqlalchemy.orm import contains_eager

from courseware.models import TIERS, Course
from question_bank.exams.models import EXAM_PUBLISHED, FORMAL, Exam
from question_bank.exams.services.exams import paper_summary
from training.certification.constants import DEFAULT_RENEWAL_WINDOW_DAYS, HOLDING, Purpose
from training.certification.models import Program, ProgramAssignment, ProgramCourse
from training.certification.permissions import can_edit_program, can_manage_programs, can_use_program, on_scope_line
from training.certification.services.progress import refresh_program
from training.core.audit import record_audit
from training.core.errors import NotFound, PermissionDenied, ValidationFailed
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import can_manage_department, is_admin, scope_clause, scope_paths

LEVELS = ("初级", "中级", "高级")
MAX_VALIDITY_MONTHS = 120
MAX_WINDOW_DAYS = 365
MAX_HOURS = Decimal("9999")
#: Days in the shortest month: a renewal window must open after the certificate was issued.
SHORTEST_MONTH_DAYS = 28
#: Fields whose change alters what people must do (bumps ``requirements_version``).
REQUIREMENT_FIELDS = ("min_hours", "exam_id", "min_score", "prerequisite_id", "course_ids", "elective_course_ids",
                      "renewal_course_ids", "renewal_min_hours", "renewal_exam_id", "renewal_min_score")
SCALAR_FIELDS = ("code", "name", "level", "tier", "description", "validity_months", "renewal_window_days",
                 "min_hours", "exam_id", "min_score", "prerequisite_id", "renewal_min_hours", "renewal_exam_id",
                 "renewal_min_score", "is_active", "department_id")


@dataclass
class ProgramData:
    """The editable fields of a programme. ``course_ids`` are the required courses of the first certificate,
    ``elective_course_ids`` further courses whose 学时 count toward ``min_hours``; ``renewal_course_ids`` are
    the refresher courses of a renewal. Scores are points of the exam's paper (None: the exam's pass mark).
    ``department_id`` is the owner (None: the whole organisation, for admins)."""

    code: str
    name: str
    course_ids: Sequence[int] = ()
    level: str = ""
    tier: str = ""
    description: str = ""
    validity_months: int = 36
    renewal_window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS
    min_hours: Decimal = Decimal("0")
    exam_id: int | None = None
    min_score: Decimal | None = None
    prerequisite_id: int | None = None
    elective_course_ids: Sequence[int] = ()
    renewal_course_ids: Sequence[int] = ()
    renewal_min_hours: Decimal = Decimal("0")
    renewal_exam_id: int | None = None
    renewal_min_score: Decimal | None = None
    is_active: bool = True
    department_id: int | None = None


@dataclass
class ProgramRow:
    """A programme in a listing, with people per status in the viewer's scope."""

    program: Program
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def holding(self) -> int:
        """People holding a valid certificate (certified or inside the renewal window)."""
        return sum(self.counts.get(status, 0) for status in HOLDING)


# ---- reading ---------------------------------------------------------------------------------------------

def usable_clause(viewer: User) -> ColumnElement[bool]:
    """SQL form of ``can_use_program`` over ``Program`` outer-joined to its owner ``Department``."""
    paths = scope_paths(viewer, Role.HR)
    if paths is None:
        return true()
    return or_(Program.department_id.is_(None),
               *(or_(Department.path.startswith(path, autoescape=True), literal(path).startswith(Department.path))
                 for path in paths))


def list_programs(viewer: User, *, include_inactive: bool = False) -> list[ProgramRow]:
    """Programmes the viewer may use (organisation-wide first, then by code), each with the number of people
    per status in the viewer's HR scope (one grouped query)."""
    if not can_manage_programs(viewer):
        return []
    query = (select(Program).outerjoin(Department, Department.id == Program.department_id)
             .options(contains_eager(Program.department)).where(usable_clause(viewer))
             .order_by(Program.department_id.is_not(None), Program.code))
    if not include_inactive:
        query = query.where(Program.is_active.is_(True))
    programs = list(db.session.scalars(query).unique())
    counts = _status_counts(viewer, [p.id for p in programs])
    return [ProgramRow(p, counts.get(p.id, {})) for p in programs]


def _status_counts(viewer: User, program_ids: list[int]) -> dict[int, dict[str, int]]:
    """``{program id: {status: people}}`` over active people in the viewer's HR scope."""
    if not program_ids:
        return {}
    rows = db.session.execute(
        select(ProgramAssignment.program_id, ProgramAssignment.status, func.count())
        .join(User, User.id == ProgramAssignment.user_id)
        .join(Department, Department.id == User.department_id)
        .where(ProgramAssignment.program_id.in_(program_ids), User.is_active.is_(True),
               scope_clause(viewer, Department.path, Role.HR))
        .group_by(ProgramAssignment.program_id, ProgramAssignment.status))
    counts: dict[int, dict[str, int]] = {}
    for program_id, status, number in rows:
        counts.setdefault(program_id, {})[status] = number
    return counts


def get_program(viewer: User, program_id: int) -> Program:
    """The programme if the viewer may use it; NotFound otherwise (no existence leak)."""
    program = db.session.get(Program, program_id)
    if program is None or not can_use_program(viewer, program):
        raise NotFound(_("认证项目不存在或不在您的管理范围内"))
    return program


def program_status_counts(viewer: User, program_id: int) -> ProgramRow:
    """The programme with its people per status in the viewer's scope."""
    program = get_program(viewer, program_id)
    return ProgramRow(program, _status_counts(viewer, [program.id]).get(program.id, {}))


def program_courses(program_id: int) -> list[tuple[ProgramCourse, Course]]:
    """The programme's courses with their purpose and whether they are required, in order."""
    return [tuple(row) for row in db.session.execute(
        select(ProgramCourse, Course).join(Course, Course.id == ProgramCourse.course_id)
        .where(ProgramCourse.program_id == program_id)
        .order_by(ProgramCourse.purpose, ProgramCourse.required.desc(), ProgramCourse.position))]


@dataclass
class ProgramOutline:
    """A programme's requirements ready to be put in words: courses by role, exams with the score asked
    (``min_score`` or the exam's pass mark) and the paper's total points."""

    required: list[Course]
    electives: list[Course]
    refreshers: list[Course]
    exam: Exam | None
    exam_score: Decimal | None
    renewal_exam: Exam | None
    renewal_score: Decimal | None

    @property
    def renewal_defined(self) -> bool:
        return bool(self.refreshers or self.renewal_exam)


def program_outline(program: Program) -> ProgramOutline:
    """The programme's courses and exams for its page (two queries)."""
    courses: dict[tuple[str, bool], list[Course]] = {}
    for link, course in program_courses(program.id):
        courses.setdefault((link.purpose, link.required), []).append(course)
    ids = [i for i in (program.exam_id, program.renewal_exam_id) if i]
    exams = {e.id: e for e in db.session.scalars(select(Exam).where(Exam.id.in_(ids)))} if ids else {}
    exam, renewal_exam = exams.get(program.exam_id), exams.get(program.renewal_exam_id)

    def score(asked: Decimal | None, of: Exam | None) -> Decimal | None:
        return None if of is None else (of.pass_score if asked is None else asked)
    return ProgramOutline(
        required=courses.get((Purpose.INITIAL, True), []), electives=courses.get((Purpose.INITIAL, False), []),
        refreshers=[*courses.get((Purpose.RENEWAL, True), []), *courses.get((Purpose.RENEWAL, False), [])],
        exam=exam, exam_score=score(program.min_score, exam), renewal_exam=renewal_exam,
        renewal_score=score(program.renewal_min_score, renewal_exam))


def course_titles(course_ids: Sequence[int]) -> dict[int, str]:
    """``{course id: "code title"}`` for the given courses (one query)."""
    if not course_ids:
        return {}
    return {row.id: f"{row.code} {row.title}" for row in db.session.execute(
        select(Course.id, Course.code, Course.title).where(Course.id.in_(list(course_ids))))}


def program_data(program: Program) -> ProgramData:
    """The programme's current fields as a ``ProgramData`` (to prefill the edit form)."""
    ids: dict[tuple[str, bool], list[int]] = {}
    for link, course in program_courses(program.id):
        ids.setdefault((link.purpose, link.required), []).append(course.id)
    values = {name: getattr(program, name) for name in SCALAR_FIELDS}
    return ProgramData(**values, course_ids=ids.get((Purpose.INITIAL, True), []),
                       elective_course_ids=ids.get((Purpose.INITIAL, False), []),
                       renewal_course_ids=[*ids.get((Purpose.RENEWAL, True), []),
                                           *ids.get((Purpose.RENEWAL, False), [])])


# ---- writing ---------------------------------------------------------------------------------------------

def create_program(actor: User, data: ProgramData) -> Program:
    """Create a programme owned by ``data.department_id`` (None: organisation-wide, admins only). Audited."""
    if not can_manage_programs(actor):
        raise PermissionDenied(_("无权创建认证项目"))
    _check_owner(actor, data.department_id)
    _validate(actor, data, None)
    program = Program(created_by_id=actor.id, requirements_version=1)
    _apply(program, data)
    db.session.add(program)
    db.session.flush()
    _replace_courses(program.id, data)
    record_audit(actor.id, "program.create", "program", program.id, **_snapshot(data))
    db.session.commit()
    return program


def update_program(actor: User, program_id: int, data: ProgramData) -> Program:
    """Edit a programme the actor may edit. A change of requirements bumps ``requirements_version``; issued
    certificates stay as they are (they keep the version they were issued on). Recomputes everyone's progress
    in the programme afterwards. Audited with the changed fields."""
    program = db.session.get(Program, program_id)
    if program is None or not can_use_program(actor, program):
        raise NotFound(_("认证项目不存在或不在您的管理范围内"))
    if not can_edit_program(actor, program):
        raise PermissionDenied(_("无权修改该认证项目"))
    _check_owner(actor, data.department_id)
    before = _snapshot(program_data(program))
    _validate(actor, data, program)
    after = _snapshot(data)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changes:
        return program
    if any(name in changes for name in REQUIREMENT_FIELDS):
        program.requirements_version += 1
    _apply(program, data)
    _replace_courses(program.id, data)
    record_audit(actor.id, "program.update", "program", program.id, changes=changes,
                 requirements_version=program.requirements_version)
    db.session.commit()
    refresh_program(program.id)
    return program


def _check_owner(actor: User, department_id: int | None) -> None:
    """HR officers own programmes only inside their scope; organisation-wide ones are for admins."""
    if is_admin(actor):
        if department_id is not None and db.session.get(Department, department_id) is None:
            raise ValidationFailed(_("所属部门不存在"), details={"department_id": _("所属部门不存在")})
        return
    department = db.session.get(Department, department_id) if department_id is not None else None
    if department is None or not can_manage_department(actor, department):
        message = _("只能为您管辖范围内的部门设立认证项目；全系统通用的项目由系统管理员设立")
        raise PermissionDenied(message, details={"department_id": message})


def _apply(program: Program, data: ProgramData) -> None:
    for name in SCALAR_FIELDS:
        value = getattr(data, name)
        setattr(program, name, value.strip() if isinstance(value, str) else value)


def _replace_courses(program_id: int, data: ProgramData) -> None:
    db.session.execute(ProgramCourse.__table__.delete().where(ProgramCourse.program_id == program_id))
    rows = [(Purpose.INITIAL, True, data.course_ids), (Purpose.INITIAL, False, data.elective_course_ids),
            (Purpose.RENEWAL, True, data.renewal_course_ids)]
    position = 0
    for purpose, required, course_ids in rows:
        for course_id in dict.fromkeys(course_ids):
            db.session.add(ProgramCourse(program_id=program_id, course_id=course_id, purpose=purpose,
                                         required=required, position=position))
            position += 1
    db.session.flush()


def _snapshot(data: ProgramData) -> dict[str, object]:
    """JSON-ready values of ``data`` (Decimals as strings, course lists sorted) for comparison and audit."""
    values: dict[str, object] = {}
    for name in (*SCALAR_FIELDS, "course_ids", "elective_course_ids", "renewal_course_ids"):
        value = getattr(data, name)
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, str):
            value = value.strip()
        elif isinstance(value, list | tuple):
            value = sorted(set(value))
        values[name] = value
    return values


# ---- validation ------------------------------------------------------------------------------------------

def _validate(actor: User, data: ProgramData, program: Program | None) -> None:
    """Raise ValidationFailed listing every problem; ``details`` maps form fields to their message."""
    errors: dict[str, str] = {}
    _check_text(data, program, errors)
    _check_periods(data, errors)
    _check_courses(data, program, errors)
    _check_exam(actor, data.exam_id, data.min_score, "exam_id", "min_score", program.exam_id if program else None,
                errors)
    _check_exam(actor, data.renewal_exam_id, data.renewal_min_score, "renewal_exam_id", "renewal_min_score",
                program.renewal_exam_id if program else None, errors)
    _check_prerequisite(actor, data, program, errors)
    if not (data.course_ids or data.min_hours or data.exam_id):
        errors.setdefault("course_ids", _("请至少设置一项认证要求：必修课程、最低学时或考试"))
    if errors:
        raise ValidationFailed("；".join(errors.values()), details=errors)


def _check_text(data: ProgramData, program: Program | None, errors: dict[str, str]) -> None:
    code, name = data.code.strip(), data.name.strip()
    if not code or len(code) > 32:
        errors["code"] = _("项目编码不能为空，且不超过 32 个字符")
    else:
        clash = db.session.scalar(select(Program.id).where(Program.code == code))
        if clash is not None and (program is None or clash != program.id):
            errors["code"] = _("项目编码 %(code)s 已被使用", code=code)
    if not name or len(name) > 120:
        errors["name"] = _("项目名称不能为空，且不超过 120 个字符")
    if data.level not in ("", *LEVELS):
        errors["level"] = _("未知的等级：%(level)s", level=data.level)
    if data.tier not in ("", *TIERS):
        errors["tier"] = _("未知的人员类别：%(tier)s", tier=data.tier)


def _check_periods(data: ProgramData, errors: dict[str, str]) -> None:
    if not 1 <= data.validity_months <= MAX_VALIDITY_MONTHS:
        errors["validity_months"] = _("有效期须在 1 到 %(max)d 个月之间", max=MAX_VALIDITY_MONTHS)
    if not 0 <= data.renewal_window_days <= MAX_WINDOW_DAYS:
        errors["renewal_window_days"] = _("续证窗口须在 0 到 %(max)d 天之间", max=MAX_WINDOW_DAYS)
    elif data.renewal_window_days >= data.validity_months * SHORTEST_MONTH_DAYS:
        errors["renewal_window_days"] = _("续证窗口须短于证书有效期")
    for name, value in (("min_hours", data.min_hours), ("renewal_min_hours", data.renewal_min_hours)):
        if value is None or not Decimal("0") <= value <= MAX_HOURS:
            errors[name] = _("最低学时须在 0 到 %(max)s 之间", max=MAX_HOURS)


def _check_courses(data: ProgramData, program: Program | None, errors: dict[str, str]) -> None:
    """Every course must exist; courses added by this change must be published."""
    current = {course.id for _link, course in program_courses(program.id)} if program else set()
    both = set(data.course_ids) & set(data.elective_course_ids)
    if both:
        errors["elective_course_ids"] = _("同一门课程不能既是必修又是选修")
    for name in ("course_ids", "elective_course_ids", "renewal_course_ids"):
        wanted = set(getattr(data, name))
        if not wanted:
            continue
        found = dict(db.session.execute(select(Course.id, Course.published).where(Course.id.in_(wanted))).all())
        if set(found) != wanted:
            errors[name] = _("所选课程不存在")
        elif any(not published and course_id not in current for course_id, published in found.items()):
            errors[name] = _("只能选择已发布的课程")


def _check_exam(actor: User, exam_id: int | None, min_score: Decimal | None, exam_field: str, score_field: str,
                current_id: int | None, errors: dict[str, str]) -> None:
    """The exam must be a published formal exam of a department on the path to or inside the actor's scope (an
    unchanged one is kept even if archived since); the minimum score lies between 0 and the paper's total."""
    if exam_id is None:
        if min_score is not None:
            errors[score_field] = _("未选择考试时不能设置最低分数")
        return
    exam = db.session.get(Exam, exam_id)
    if exam is None or (exam_id != current_id and (
            exam.status != EXAM_PUBLISHED or exam.kind != FORMAL
            or not on_scope_line(actor, db.session.get(Department, exam.department_id)))):
        errors[exam_field] = _("只能选择已发布的正式考试")
        return
    if min_score is not None:
        total = paper_summary(exam)[1]
        if not Decimal("0") <= min_score <= total:
            total_text = format(total.normalize(), "f")
            errors[score_field] = _("最低分数须在 0 到 %(total)s 分之间（试卷满分）", total=total_text)


def _check_prerequisite(actor: User, data: ProgramData, program: Program | None, errors: dict[str, str]) -> None:
    """The prerequisite is a programme the actor may use, not the programme itself, and does not lead back to
    it."""
    if data.prerequisite_id is None:
        return
    if program is not None and data.prerequisite_id == program.id:
        errors["prerequisite_id"] = _("不能把本项目设为自己的先修项目")
        return
    if not can_use_program(actor, db.session.get(Program, data.prerequisite_id)):
        errors["prerequisite_id"] = _("先修项目不存在")
        return
    seen: set[int] = set()
    current: int | None = data.prerequisite_id
    while current is not None and current not in seen:
        seen.add(current)
        row = db.session.execute(select(Program.id, Program.prerequisite_id).where(Program.id == current)).first()
        if row is None:
            errors["prerequisite_id"] = _("先修项目不存在")
            return
        if program is not None and row.prerequisite_id == program.id:
            errors["prerequisite_id"] = _("先修关系不能形成循环")
            return
        current = row.prerequisite_id
