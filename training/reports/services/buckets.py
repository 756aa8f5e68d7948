"""The grouping behind every report figure: a "bucket" is a requested department and its whole subtree.

The requested departments' paths form a small derived table; a department belongs to every bucket whose path
is a prefix of its own (``departments.path LIKE buckets.path || '%'``), so one grouped statement serves any
number of buckets. Figures are aggregated per person first, then per department, and only the per-department
rows (a few thousand at most) are matched to the buckets by prefix (PERFORMANCE.md: pre-aggregate per person,
then group by department); no ORM objects are loaded.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, Subquery, and_, case, func, select, true

from courseware.models import KIND_REQUIRED, Course, Enrollment
from question_bank.exams.models import FORMAL, GRADED, Attempt, Exam
from training.certification.constants import HOLDING, Status
from training.certification.models import Program, ProgramAssignment, YearlyHours
from training.certification.services.roster import target_expression
from training.extensions import db
from training.org.models import Department, User

#: The report window is bounded: 1 to 36 months.
MIN_MONTHS, MAX_MONTHS = 1, 36
#: Certificates expiring within this many days are counted apart.
EXPIRING_DAYS = 90


def bounded_months(months: int) -> int:
    """``months`` clamped to the allowed window (1–36)."""
    return max(MIN_MONTHS, min(MAX_MONTHS, int(months)))


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (the day clamped to the month's length)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def month_key(moment: datetime) -> str:
    """'YYYY-MM' of ``moment`` (the snapshot month format)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def bucket_table(department_ids: list[int]) -> Subquery:
    """The derived table (bucket_id, bucket_path) of the requested departments."""
    return (select(Department.id.label("bucket_id"), Department.path.label("bucket_path"))
            .where(Department.id.in_(department_ids)).subquery("buckets"))


def by_bucket(buckets: Subquery, per_department: Subquery, keys: tuple[str, ...], sums: tuple[str, ...]) -> Select:
    """Roll a per-department aggregate (a ``department_id`` column, ``keys`` and ``sums``) up to the buckets:
    each department joins every bucket whose path prefixes its own (paths are digits and slashes), and the
    ``sums`` are summed per (bucket, *keys)."""
    key_columns = [per_department.c[key] for key in keys]
    return (select(buckets.c.bucket_id, *key_columns,
                   *(func.sum(per_department.c[name]).label(name) for name in sums))
            .select_from(per_department)
            .join(Department, Department.id == per_department.c.department_id)
            .join(buckets, Department.path.startswith(buckets.c.bucket_path))
            .group_by(buckets.c.bucket_id, *key_columns))


@dataclass(frozen=True)
class PeopleRow:
    """A bucket's per-person sums: headcount, 学时 this year, people at target, required-course enrolments and
    completions, formal-exam participants and passers in the window."""

    headcount: int
    hours: float
    at_target: int
    required: int
    completed: int
    participants: int
    passers: int


def _enrolments_per_person() -> Subquery:
    return (select(Enrollment.user_id, func.count().label("required"),
                   func.count(Enrollment.completed_at).label("completed"))
            .join(Course, Course.id == Enrollment.course_id)
            .where(Course.kind == KIND_REQUIRED)
            .group_by(Enrollment.user_id).subquery("enrolments"))


def _exams_per_person(start: datetime, end: datetime) -> Subquery:
    passed = func.max(case((Attempt.passed.is_(True), 1), else_=0))
    return (select(Attempt.user_id, passed.label("passed"))
            .join(Exam, Exam.id == Attempt.exam_id)
            .where(Attempt.status == GRADED, Attempt.graded_at >= start, Attempt.graded_at <= end,
                   Exam.kind == FORMAL)
            .group_by(Attempt.user_id).subquery("exams"))


PEOPLE_SUMS = ("headcount", "hours", "at_target", "required", "completed", "participants", "passers")


def people_rows(buckets: Subquery, year: int, start: datetime, end: datetime) -> dict[int, PeopleRow]:
    """Each bucket's active people and their sums (two statements: the 学时 targets setting and this one)."""
    enrolments, exams = _enrolments_per_person(), _exams_per_person(start, end)
    hours = func.coalesce(YearlyHours.hours, 0)
    per_department = (
        select(User.department_id, func.count(User.id).label("headcount"), func.sum(hours).label("hours"),
               func.sum(case((hours >= target_expression(), 1), else_=0)).label("at_target"),
               func.sum(func.coalesce(enrolments.c.required, 0)).label("required"),
               func.sum(func.coalesce(enrolments.c.completed, 0)).label("completed"),
               func.count(exams.c.user_id).label("participants"),
               func.sum(func.coalesce(exams.c.passed, 0)).label("passers"))
        .select_from(User)
        .outerjoin(YearlyHours, and_(YearlyHours.user_id == User.id, YearlyHours.year == year))
        .outerjoin(enrolments, enrolments.c.user_id == User.id)
        .outerjoin(exams, exams.c.user_id == User.id)
        .where(User.is_active.is_(True))
        .group_by(User.department_id).subquery("people"))
    statement = by_bucket(buckets, per_department, (), PEOPLE_SUMS)
    return {row.bucket_id: PeopleRow(int(row.headcount or 0), float(row.hours or 0), int(row.at_target or 0),
                                     int(row.required or 0), int(row.completed or 0), int(row.participants or 0),
                                     int(row.passers or 0))
            for row in db.session.execute(statement)}


@dataclass(frozen=True)
class CoverageRow:
    """One active programme's assignments among a bucket's active people."""

    code: str
    name: str
    assigned: int
    holding: int
    expiring: int
    expired: int
    overdue: int


def _count_when(condition):
    return func.sum(case((condition, 1), else_=0))


COVERAGE_SUMS = ("assigned", "holding", "expiring", "expired", "overdue")


def _coverage_per_department(now: datetime) -> Subquery:
    status, expires = ProgramAssignment.status, ProgramAssignment.expires_at
    holding = status.in_([str(s) for s in HOLDING])
    return (
        select(User.department_id, ProgramAssignment.program_id, func.count().label("assigned"),
               _count_when(holding).label("holding"),
               _count_when(and_(holding, expires > now, expires <= now + timedelta(days=EXPIRING_DAYS)))
               .label("expiring"),
               _count_when(status == Status.EXPIRED.value).label("expired"),
               _count_when(status == Status.OVERDUE.value).label("overdue"))
        .select_from(ProgramAssignment)
        .join(User, User.id == ProgramAssignment.user_id)
        .where(User.is_active.is_(True))
        .group_by(User.department_id, ProgramAssignment.program_id).subquery("assignments"))


def coverage_rows(buckets: Subquery, now: datetime) -> dict[int, list[CoverageRow]]:
    """Every active programme (ordered by code) for every bucket, with its assignment counts (one statement:
    buckets × programmes, left-joined to the per-bucket counts)."""
    counts = by_bucket(buckets, _coverage_per_department(now), ("program_id",), COVERAGE_SUMS).subquery("coverage")
    statement = (
        select(buckets.c.bucket_id, Program.code, Program.name, *(counts.c[name] for name in COVERAGE_SUMS))
        .select_from(buckets).join(Program, true())
        .outerjoin(counts, and_(counts.c.bucket_id == buckets.c.bucket_id, counts.c.program_id == Program.id))
        .where(Program.is_active.is_(True))
        .order_by(buckets.c.bucket_id, Program.code))
    result: dict[int, list[CoverageRow]] = {}
    for row in db.session.execute(statement):
        result.setdefault(row.bucket_id, []).append(CoverageRow(
            row.code, row.name, int(row.assigned or 0), int(row.holding or 0), int(row.expiring or 0),
            int(row.expired or 0), int(row.overdue or 0)))
    return result
