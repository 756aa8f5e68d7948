"""Forms of programme management and HR assignment (Flask-WTF: CSRF on every POST). The builders fill the
choices a viewer may pick from (published courses by module, published formal exams, programmes and
departments in the viewer's scope) and turn a validated form into the service's arguments."""

from __future__ import annotations

import re
from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_wtf import FlaskForm
from sqlalchemy import and_, or_, select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from courseware.models import TIERS, Course, SyllabusModule
from question_bank.exams.models import EXAM_PUBLISHED, FORMAL, Exam
from training.certification.constants import DEFAULT_RENEWAL_WINDOW_DAYS, Target
from training.certification.models import Program
from training.certification.permissions import scope_line_clause
from training.certification.services import programs
from training.certification.services.programs import LEVELS, ProgramData
from training.extensions import db
from training.org.constants import RANK_NAMES, Role
from training.org.models import Department, User
from training.org.permissions import is_admin, scope_clause
from training.org.views.choices import department_choices

LEVEL_LABELS = {"初级": _l("初级"), "中级": _l("中级"), "高级": _l("高级")}
TIER_LABELS = {"领导干部": _l("领导干部"), "一般干部": _l("一般干部"), "技术人员": _l("技术人员")}
NONE = 0  # the "none" choice of optional selects (coerced to int)


class ProgramForm(FlaskForm):
    code = StringField(_l("项目编码"), validators=[DataRequired(), Length(max=32)],
                       description=_l("例如 EGOV-L1；在证书和接口中使用，须唯一"))
    name = StringField(_l("项目名称"), validators=[DataRequired(), Length(max=120)])
    level = SelectField(_l("等级"), choices=[("", _l("（不分等级）")), *((k, LEVEL_LABELS[k]) for k in LEVELS)])
    tier = SelectField(_l("适用人员类别"), choices=[("", _l("（不限）")), *((t, TIER_LABELS[t]) for t in TIERS)])
    department_id = SelectField(_l("所属部门"), coerce=int, choices=[])
    description = TextAreaField(_l("项目说明"), validators=[Length(max=4000)])
    course_ids = SelectMultipleField(_l("必修课程（须全部学完）"), coerce=int, choices=[])
    elective_course_ids = SelectMultipleField(_l("选修课程（学时计入本项目）"), coerce=int, choices=[])
    min_hours = DecimalField(_l("最低学时"), default=0, places=2, validators=[InputRequired(), NumberRange(0, 9999)])
    exam_id = SelectField(_l("认证考试"), coerce=int, choices=[])
    min_score = DecimalField(_l("最低分数（留空则按考试及格分）"), places=2, validators=[Optional(), NumberRange(0)])
    prerequisite_id = SelectField(_l("先修项目（须持有有效证书）"), coerce=int, choices=[])
    validity_months = IntegerField(_l("证书有效期（月）"), default=36,
                                   validators=[InputRequired(), NumberRange(1, 120)])
    renewal_window_days = IntegerField(_l("续证窗口（到期前天数）"), default=DEFAULT_RENEWAL_WINDOW_DAYS,
                                       validators=[InputRequired(), NumberRange(0, 365)])
    renewal_course_ids = SelectMultipleField(_l("续证复训课程"), coerce=int, choices=[])
    renewal_min_hours = DecimalField(_l("续证最低学时"), default=0, places=2,
                                     validators=[InputRequired(), NumberRange(0, 9999)])
    renewal_exam_id = SelectField(_l("续证考试"), coerce=int, choices=[])
    renewal_min_score = DecimalField(_l("续证最低分数（留空则按考试及格分）"), places=2,
                                     validators=[Optional(), NumberRange(0)])
    is_active = BooleanField(_l("启用（可分配、可报名）"), default=True)

    def to_data(self) -> ProgramData:
        """The service's ``ProgramData`` from the validated form."""
        def optional(value: int) -> int | None:
            return None if value == NONE else value
        return ProgramData(
            code=self.code.data.strip(), name=self.name.data.strip(), level=self.level.data, tier=self.tier.data,
            description=(self.description.data or "").strip(), validity_months=self.validity_months.data,
            renewal_window_days=self.renewal_window_days.data, min_hours=self.min_hours.data,
            exam_id=optional(self.exam_id.data), min_score=self.min_score.data,
            prerequisite_id=optional(self.prerequisite_id.data), course_ids=list(self.course_ids.data or []),
            elective_course_ids=list(self.elective_course_ids.data or []),
            renewal_course_ids=list(self.renewal_course_ids.data or []),
            renewal_min_hours=self.renewal_min_hours.data, renewal_exam_id=optional(self.renewal_exam_id.data),
            renewal_min_score=self.renewal_min_score.data, is_active=self.is_active.data,
            department_id=optional(self.department_id.data))

    def show_errors(self, details: object) -> None:
        """Attach a service's per-field messages (``ValidationFailed.details``) to the fields."""
        if isinstance(details, dict):
            for name, message in details.items():
                if name in self._fields:
                    self._fields[name].errors = [*self._fields[name].errors, message]


def _published_courses(keep: set[int]) -> list[Course]:
    """Published courses in syllabus order (for the course pickers), and the programme's own ``keep`` ones even
    if unpublished since — so that saving the form never drops a requirement nobody chose to drop."""
    return list(db.session.scalars(select(Course).join(SyllabusModule, SyllabusModule.id == Course.module_id)
                                   .where(or_(Course.published.is_(True), Course.id.in_(keep)))
                                   .order_by(SyllabusModule.position, Course.code)))


def _formal_exams(viewer: User, keep: set[int]) -> list[Exam]:
    """Published formal exams of departments on the path to or inside the viewer's scope, newest window
    first, and the programme's own ``keep`` ones even if archived since."""
    return list(db.session.scalars(
        select(Exam).join(Department, Department.id == Exam.department_id)
        .where(or_(and_(Exam.status == EXAM_PUBLISHED, Exam.kind == FORMAL,
                        scope_line_clause(viewer, Department.path)), Exam.id.in_(keep)))
        .order_by(Exam.opens_at.desc(), Exam.id.desc())))


def _owner_departments(viewer: User) -> list[Department]:
    """Departments that may own a programme the viewer creates: the viewer's HR scope (admins: all)."""
    return list(db.session.scalars(select(Department).where(
        Department.is_active.is_(True), scope_clause(viewer, Department.path, Role.HR)).order_by(Department.path)))


def build_program_form(viewer: User, program: Program | None = None) -> ProgramForm:
    """The programme form with the viewer's choices, prefilled from ``program`` on a GET."""
    data = programs.program_data(program) if program is not None else None
    form = ProgramForm(data=_initial(data) if data is not None else None)
    keep_courses = {*data.course_ids, *data.elective_course_ids, *data.renewal_course_ids} if data else set()
    course_groups: dict[str, list[tuple[int, str]]] = {}
    for course in _published_courses(keep_courses):
        group = f"{course.module.code} {course.module.title}"
        label = f"{course.code} {course.title}" + ("" if course.published else str(_l("（未发布）")))
        course_groups.setdefault(group, []).append((course.id, label))
    for name in ("course_ids", "elective_course_ids", "renewal_course_ids"):
        form[name].choices = course_groups
    keep_exams = {i for i in (program.exam_id, program.renewal_exam_id) if i} if program else set()
    exams = [(NONE, _l("（不要求考试）")), *(
        (e.id, e.title + ("" if e.status == EXAM_PUBLISHED else str(_l("（已归档）")))) for e in
        _formal_exams(viewer, keep_exams))]
    form.exam_id.choices = form.renewal_exam_id.choices = exams
    form.prerequisite_id.choices = [(NONE, _l("（无）")), *(
        (row.program.id, f"{row.program.code} {row.program.name}")
        for row in programs.list_programs(viewer, include_inactive=True)
        if program is None or row.program.id != program.id)]
    owners = department_choices(_owner_departments(viewer), ids=True)
    form.department_id.choices = [(NONE, _l("全系统通用")), *owners] if is_admin(viewer) else owners
    return form


def _initial(data: ProgramData) -> dict[str, object]:
    values = dict(vars(data))
    for name in ("exam_id", "prerequisite_id", "renewal_exam_id", "department_id"):
        values[name] = values[name] if values[name] is not None else NONE
    return values


class AssignForm(FlaskForm):
    # Choices are offered from the viewer's scope; a value from outside it is refused by the view (403/404),
    # not silently as an invalid choice.
    program_id = SelectField(_l("认证项目"), coerce=int, choices=[], validate_choice=False)
    course_id = SelectField(_l("或单门必修课程"), coerce=int, choices=[])
    department_id = SelectField(_l("部门（含下级）"), coerce=int, choices=[], validate_choice=False)
    target = RadioField(_l("分配对象"), default=Target.DEPARTMENT,
                        choices=[(Target.DEPARTMENT.value, _l("部门全体（含以后调入的人员）")),
                                 (Target.PEOPLE.value, _l("指定人员"))])
    rank = SelectField(_l("职级"), default="", choices=[("", _l("全部职级")), *((r, r) for r in RANK_NAMES)])
    employee_nos = TextAreaField(_l("指定人员工号（每行一个，或用逗号分隔）"), validators=[Length(max=20000)])
    due_date = DateField(_l("完成期限"), validators=[Optional()])
    note = StringField(_l("备注"), validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators=None) -> bool:
        """Exactly one of programme or course; people need their employee numbers."""
        valid = super().validate(extra_validators)
        if (self.program_id.data == NONE) == (self.course_id.data == NONE):
            self.program_id.errors = [*self.program_id.errors, _l("请选择一个认证项目或一门课程（二选一）")]
            valid = False
        if self.target.data == Target.PEOPLE and not self.employee_list():
            self.employee_nos.errors = [*self.employee_nos.errors, _l("请填写要分配的人员工号")]
            valid = False
        return valid

    def employee_list(self) -> list[str]:
        """The employee numbers typed, one per line or separated by commas, without blanks or repeats."""
        return list(dict.fromkeys(n for n in re.split(r"[\s,，、;；]+", self.employee_nos.data or "") if n))

    def due_at(self) -> datetime | None:
        """The end of the due day in the configured time zone, as naive UTC."""
        if self.due_date.data is None:
            return None
        return to_utc(datetime.combine(self.due_date.data, time(23, 59, 59)))

    def rule_arguments(self) -> dict[str, object]:
        """Keyword arguments of ``assignments.create_rule`` (besides the actor)."""
        people = self.target.data == Target.PEOPLE
        return {"department_id": self.department_id.data,
                "program_id": self.program_id.data or None, "course_id": self.course_id.data or None,
                "target": self.target.data, "rank": "" if people else self.rank.data,
                "employee_nos": self.employee_list() if people else (), "due_at": self.due_at(),
                "note": (self.note.data or "").strip()}


def build_assign_form(viewer: User, program_id: int | None = None) -> AssignForm:
    """The assignment form: programmes the viewer may use, required courses, departments in the viewer's HR
    scope (admins: all); ``program_id`` preselects a programme on a GET."""
    form = AssignForm()
    if not form.is_submitted() and program_id:
        form.program_id.data = program_id
    form.program_id.choices = [(NONE, _l("（不分配项目）")), *(
        (row.program.id, f"{row.program.code} {row.program.name}") for row in programs.list_programs(viewer))]
    form.course_id.choices = [(NONE, _l("（不分配单门课程）")), *(
        (c.id, f"{c.code} {c.title}") for c in _published_courses(set()))]
    form.department_id.choices = department_choices(_owner_departments(viewer), ids=True)
    return form


class EndRuleForm(FlaskForm):
    """The button that ends an assignment rule (CSRF only)."""
