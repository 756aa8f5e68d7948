"""Leadership report figures: a department subtree's figures in a fixed number of statements, the department
dashboard (the department, its direct sub-departments, its parent and the whole organisation, the breadcrumb
and the monthly trend) and a person's competency profile.

Statements per call (whatever the number of departments and people): ``subtree_figures`` 5 (the 学时 targets
setting, the people sums, the programme coverage, the syllabus modules, the item sums); ``department_report``
adds 2 (the department with its ancestors and children, the trend) plus the viewer's role grants when not loaded
yet; ``person_profile`` 3 (the person, the syllabus modules, the item sums) plus the grants.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from training.core.clock import utcnow
from training.core.errors import NotFound, PermissionDenied
from training.extensions import db
from training.org.models import Department, User
from training.reports.models import ReportSnapshot
from training.reports.permissions import can_read_department_report, can_read_person_profile, can_use_reports
from training.reports.report_types import (
    MIN_GROUP,
    DepartmentRef,
    DepartmentReport,
    Figures,
    PersonProfile,
    ProgramCoverage,
    TrendPoint,
)
from training.reports.services.buckets import (
    CoverageRow,
    PeopleRow,
    bounded_months,
    bucket_table,
    coverage_rows,
    month_key,
    months_before,
    people_rows,
)
from training.reports.services.json_bodies import figures_json, profile_json, report_json
from training.reports.services.mastery import (
    ItemSums,
    ModuleRef,
    bucket_item_sums,
    competency_masteries,
    module_masteries,
    person_item_sums,
    syllabus_modules,
)

__all__ = ["department_report", "figures_json", "person_profile", "profile_json", "report_json", "subtree_figures"]

_EMPTY = PeopleRow(0, 0.0, 0, 0, 0, 0, 0)


def _rate(part: float, whole: float) -> float | None:
    """``part`` as a % of ``whole`` (None when ``whole`` is 0)."""
    return 100.0 * part / whole if whole else None


def _coverage(row: CoverageRow) -> ProgramCoverage:
    return ProgramCoverage(code=row.code, name=row.name, assigned=row.assigned,
                           certified_rate=_rate(row.holding, row.assigned), expiring_90=row.expiring,
                           expired=row.expired, overdue=row.overdue)


def _figures(people: PeopleRow, coverage: list[CoverageRow], modules: list[ModuleRef],
             cells: list[ItemSums]) -> Figures:
    """A bucket's Figures from its sums; suppressed (headcount only) under MIN_GROUP people."""
    headcount = people.headcount
    if headcount < MIN_GROUP:
        return Figures(headcount=headcount, suppressed=True, required_enrolments=None, completion_rate=None,
                       hours_avg=None, hours_at_target_rate=None, exam_participants=None,
                       exam_participation_rate=None, exam_pass_rate=None)
    return Figures(
        headcount=headcount, suppressed=False, required_enrolments=people.required,
        completion_rate=_rate(people.completed, people.required), hours_avg=people.hours / headcount,
        hours_at_target_rate=_rate(people.at_target, headcount), exam_participants=people.participants,
        exam_participation_rate=_rate(people.participants, headcount),
        exam_pass_rate=_rate(people.passers, people.participants),
        certification=[_coverage(row) for row in coverage],
        modules=module_masteries(cells, modules), competencies=competency_masteries(cells))


def subtree_figures(department_ids: list[int], *, months: int = 12, now: datetime | None = None,
                    ) -> dict[int, Figures]:
    """Figures of each given department's whole subtree (its active people), over the last ``months`` months
    (1–36) for exams and mastery and ``now``'s year for 学时. Every given id gets an entry (an unknown id: no
    people, suppressed). Five statements for the whole batch."""
    ids = sorted(set(department_ids))
    if not ids:
        return {}
    now = now or utcnow()
    start = months_before(now, bounded_months(months))
    buckets = bucket_table(ids)
    people = people_rows(buckets, now.year, start, now)
    coverage = coverage_rows(buckets, now)
    modules = syllabus_modules()
    cells = bucket_item_sums(buckets, start, now)
    return {bucket: _figures(people.get(bucket, _EMPTY), coverage.get(bucket, []), modules, cells.get(bucket, []))
            for bucket in ids}


def _ref(row) -> DepartmentRef:
    return DepartmentRef(id=row.id, code=row.code, name=row.name, path=row.path)


def _lineage(code: str) -> tuple[Department | None, list[DepartmentRef], list[DepartmentRef]]:
    """Department ``code``, its ancestors (root first) and its active direct children (by code), in one
    statement (a handful of rows: the department's path prefixes and its children)."""
    target = aliased(Department)
    statement = (select(Department)
                 .join(target, or_(target.path.startswith(Department.path), Department.parent_id == target.id))
                 .where(target.code == code)
                 .order_by(Department.depth, Department.code))
    rows = db.session.scalars(statement).all()
    department = next((row for row in rows if row.code == code), None)
    if department is None:
        return None, [], []
    ancestors = [_ref(row) for row in rows if row.depth < department.depth and department.is_within(row.path)]
    children = [_ref(row) for row in rows if row.parent_id == department.id and row.is_active]
    return department, ancestors, children


def _trend(department_id: int, months: int, now: datetime) -> list[TrendPoint]:
    """The department's monthly snapshots of the last ``months`` months, the current month included."""
    statement = (select(ReportSnapshot.month, ReportSnapshot.figures)
                 .where(ReportSnapshot.department_id == department_id,
                        ReportSnapshot.month > month_key(months_before(now, months)),
                        ReportSnapshot.month <= month_key(now))
                 .order_by(ReportSnapshot.month))
    return [TrendPoint(month=row.month, figures=dict(row.figures or {})) for row in db.session.execute(statement)]


def _require_reports(viewer: User) -> None:
    if not can_use_reports(viewer):
        raise PermissionDenied(_("没有权限"))


def department_report(viewer: User, code: str, *, months: int = 12, now: datetime | None = None,
                      ) -> DepartmentReport:
    """The dashboard of department ``code`` for ``viewer``: PermissionDenied for people without reports at all
    (learners), NotFound when the department does not exist or lies outside the viewer's scope. ``trail`` holds
    every ancestor from the root (the caller decides which may be links); ``months`` is bounded to 1–36."""
    _require_reports(viewer)
    department, ancestors, children = _lineage(code)
    if not can_read_department_report(viewer, department):
        raise NotFound(_("部门不存在或不在您的管理范围内"))
    months, now = bounded_months(months), now or utcnow()
    ref = DepartmentRef(id=department.id, code=department.code, name=department.name, path=department.path)
    parent = ancestors[-1] if ancestors else None
    root = ancestors[0] if ancestors else ref
    wanted = [ref.id, root.id, *(child.id for child in children), *([parent.id] if parent else [])]
    figures = subtree_figures(wanted, months=months, now=now)
    own = figures[ref.id]
    return DepartmentReport(
        department=ref, trail=ancestors, months=months, figures=own,
        children=[(child, figures[child.id]) for child in children],
        parent=(parent, comparable(figures[parent.id], own)) if parent else None,
        organisation=(root, comparable(figures[root.id], own)), trend=_trend(ref.id, months, now))


def comparable(wider: Figures, own: Figures) -> Figures:
    """A wider group's figures for comparison, suppressed when the people it adds to the viewer's department are
    fewer than MIN_GROUP: otherwise wider minus own would reveal a small group (possibly outside the scope)."""
    if 0 < wider.headcount - own.headcount < MIN_GROUP:
        return Figures(headcount=wider.headcount, suppressed=True, required_enrolments=None, completion_rate=None,
                       hours_avg=None, hours_at_target_rate=None, exam_participants=None,
                       exam_participation_rate=None, exam_pass_rate=None)
    return wider


def person_profile(viewer: User, employee_no: str, *, months: int = 12, now: datetime | None = None,
                   ) -> PersonProfile:
    """A person's masteries per module and competency over the last ``months`` months (1–36), not suppressed
    (one person, read by a viewer entitled to them): PermissionDenied for people without reports at all,
    NotFound when the person does not exist or lies outside the viewer's scope."""
    _require_reports(viewer)
    person = db.session.scalar(select(User).where(User.employee_no == employee_no))
    if not can_read_person_profile(viewer, person):
        raise NotFound(_("人员不存在或不在您的管理范围内"))
    months, now = bounded_months(months), now or utcnow()
    modules = syllabus_modules()
    cells = person_item_sums(person.id, months_before(now, months), now)
    department = person.department
    return PersonProfile(
        employee_no=person.employee_no, name=person.name,
        department=DepartmentRef(id=department.id, code=department.code, name=department.name,
                                 path=department.path),
        months=months, modules=module_masteries(cells, modules), competencies=competency_masteries(cells))
