"""The exam-day console (考试现场): who may watch an exam, and the live list of its candidates.

An examiner watches the exams they manage (every candidate); an HR officer watches the exams whose audience
reaches into their HR subtree, and sees only the candidates whose department lies in it; administrators see
everything. The candidates of an exam are every audience member (a department subtree or a named user) plus
anyone who has an attempt; each is shown with their latest attempt. Everything is counted in SQL: only the page
of 50 rows is loaded, and answered counts are read for the attempts on that page only.

The actions (extra time, reopening) live in ``console_actions``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import aliased

from question_bank.exams.models import (
    EXAM_DRAFT,
    EXAM_PUBLISHED,
    IN_PROGRESS,
    Attempt,
    AttemptItem,
    Exam,
    ExamAudience,
    ExamExtraTime,
)
from question_bank.exams.permissions import can_manage_exam, can_manage_exams
from training.core.errors import NotFound
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import is_admin, scope_paths

PER_PAGE = 50
RECENT_DAYS, AHEAD_DAYS = 7, 1
# The console's statuses of a candidate (from their latest attempt)
NOT_STARTED, ANSWERING, OVERDUE, FINISHED = "not_started", "in_progress", "overdue", "submitted"
STATUSES = (NOT_STARTED, ANSWERING, OVERDUE, FINISHED)


@dataclass(frozen=True)
class Watch:
    """An exam the actor may watch; ``paths`` are the department subtrees of the candidates they may see and act
    on (``None``: all of the exam's candidates)."""

    exam: Exam
    paths: list[str] | None


@dataclass(frozen=True)
class Filters:
    status: str = ""
    department_id: int | None = None
    q: str = ""


@dataclass
class CandidateRow:
    """One candidate with their latest attempt (attempt fields are None before they start)."""

    user_id: int
    name: str
    employee_no: str
    department: str
    status: str
    attempt_id: int | None
    number: int | None
    attempt_status: str | None
    started_at: datetime | None
    deadline_at: datetime | None
    submitted_at: datetime | None
    finished_by: str | None
    score: Decimal | None
    max_score: Decimal | None
    passed: bool | None
    extra_minutes: int | None
    answered: int = 0
    total_items: int = 0
    last_saved_at: datetime | None = None

    def minutes_left(self, now: datetime) -> int:
        if self.deadline_at is None:
            return 0
        return max(0, math.ceil((self.deadline_at - now).total_seconds() / 60))


@dataclass
class ConsolePage:
    """A snapshot of the console at ``now``: counts per status (under the department and search filters),
    the filtered total and one page of rows."""

    now: datetime
    counts: dict[str, int]
    total: int
    page: int
    pages: int
    rows: list[CandidateRow] = field(default_factory=list)


# --- who may watch what ---------------------------------------------------------------------------------------

def _paths_clause(column, paths: list[str] | None) -> ColumnElement[bool]:
    if paths is None:
        return true()
    if not paths:
        return false()
    return or_(*(column.startswith(path, autoescape=True) for path in paths))


def _audience_reaches(exam_id, paths: list[str]) -> ColumnElement[bool]:
    """SQL: the exam's audience names a department whose subtree overlaps one of ``paths`` (inside it or above
    it), or a user working inside one of them."""
    audience_department, named, named_department = aliased(Department), aliased(User), aliased(Department)
    overlaps = []
    for path in paths:
        overlaps += [audience_department.path.startswith(path, autoescape=True),
                     literal(path).startswith(audience_department.path),
                     named_department.path.startswith(path, autoescape=True)]
    return exists(
        select(ExamAudience.id)
        .outerjoin(audience_department, audience_department.id == ExamAudience.department_id)
        .outerjoin(named, named.id == ExamAudience.user_id)
        .outerjoin(named_department, named_department.id == named.department_id)
        .where(ExamAudience.exam_id == exam_id, or_(*overlaps) if overlaps else false()))


def _watch_of(actor: User, exam: Exam) -> Watch | None:
    if is_admin(actor) or can_manage_exam(actor, exam):
        return Watch(exam, None)
    paths = scope_paths(actor, Role.HR)
    if paths and db.session.scalar(select(_audience_reaches(exam.id, paths))):
        return Watch(exam, paths)
    return None


def get_watch(actor: User, exam_id: int) -> Watch:
    """The exam as the actor may watch it; NotFound when it is out of their reach (not disclosed)."""
    exam = db.session.get(Exam, exam_id)
    watch = _watch_of(actor, exam) if exam is not None and exam.status != EXAM_DRAFT else None
    if watch is None:
        raise NotFound(_("考试不存在或不在您的管理范围内"))
    return watch


def watchable_exams(actor: User, now: datetime, limit: int = 50) -> list[tuple[Watch, dict[str, int]]]:
    """Published exams whose window overlaps the last 7 days and the next day that the actor may watch,
    soonest-closing open ones first, each with its counts per status (within the actor's scope)."""
    query = (select(Exam).join(Department, Department.id == Exam.department_id)
             .where(Exam.status == EXAM_PUBLISHED, Exam.opens_at <= now + timedelta(days=AHEAD_DAYS),
                    Exam.closes_at >= now - timedelta(days=RECENT_DAYS)))
    if not is_admin(actor):
        examiner = scope_paths(actor, Role.EXAMINER) if can_manage_exams(actor) else []
        hr = scope_paths(actor, Role.HR) or []
        query = query.where(or_(_paths_clause(Department.path, examiner), _audience_reaches(Exam.id, hr)))
    exams = db.session.scalars(query.order_by(Exam.closes_at < now, Exam.opens_at > now, Exam.closes_at,
                                              Exam.id).limit(limit)).all()
    watches = [watch for watch in (_watch_of(actor, exam) for exam in exams) if watch is not None]
    return [(watch, status_counts(watch, Filters(), now)) for watch in watches]


# --- the candidates ---------------------------------------------------------------------------------------------

def _candidate_ids(exam_id: int):
    """Every audience member (active users of the named subtrees, named users) and everyone with an attempt."""
    audience_department = aliased(Department)
    by_department = (select(User.id.label("user_id"))
                     .join(Department, Department.id == User.department_id)
                     .join(ExamAudience, ExamAudience.exam_id == exam_id)
                     .join(audience_department, audience_department.id == ExamAudience.department_id)
                     .where(User.is_active.is_(True), Department.path.startswith(audience_department.path)))
    named = (select(ExamAudience.user_id.label("user_id")).join(User, User.id == ExamAudience.user_id)
             .where(ExamAudience.exam_id == exam_id, User.is_active.is_(True)))
    sitting = select(Attempt.user_id.label("user_id")).where(Attempt.exam_id == exam_id)
    return union(by_department, named, sitting).subquery("candidates")


def _status(now: datetime):
    return case((Attempt.id.is_(None), NOT_STARTED),
                (and_(Attempt.status == IN_PROGRESS, Attempt.deadline_at >= now), ANSWERING),
                (Attempt.status == IN_PROGRESS, OVERDUE), else_=FINISHED)


def _listing(watch: Watch, filters: Filters, now: datetime):
    """The exam's candidates in the actor's scope under the department and search filters, with their latest
    attempt and the console status: a subquery, so counting and paging stay in SQL."""
    exam_id = watch.exam.id
    candidates = _candidate_ids(exam_id)
    latest = (select(Attempt.user_id, func.max(Attempt.number).label("number"))
              .where(Attempt.exam_id == exam_id).group_by(Attempt.user_id).subquery("latest"))
    query = (select(User.id.label("user_id"), User.name, User.employee_no, Department.name.label("department"),
                    Department.path, _status(now).label("console_status"), Attempt.id.label("attempt_id"),
                    Attempt.number, Attempt.status.label("attempt_status"), Attempt.started_at,
                    Attempt.deadline_at, Attempt.submitted_at, Attempt.finished_by, Attempt.score,
                    Attempt.max_score, Attempt.passed, ExamExtraTime.minutes.label("extra_minutes"))
             .select_from(candidates).join(User, User.id == candidates.c.user_id)
             .join(Department, Department.id == User.department_id)
             .outerjoin(latest, latest.c.user_id == User.id)
             .outerjoin(Attempt, and_(Attempt.exam_id == exam_id, Attempt.user_id == User.id,
                                      Attempt.number == latest.c.number))
             .outerjoin(ExamExtraTime, and_(ExamExtraTime.exam_id == exam_id, ExamExtraTime.user_id == User.id))
             .where(_paths_clause(Department.path, watch.paths)))
    if filters.department_id:
        chosen = db.session.get(Department, filters.department_id)
        query = query.where(Department.path.startswith(chosen.path, autoescape=True) if chosen else false())
    q = filters.q.strip()
    if q:
        query = query.where(or_(User.name.contains(q, autoescape=True),
                                User.employee_no.startswith(q, autoescape=True)))
    return query.subquery("listing")


def status_counts(watch: Watch, filters: Filters, now: datetime) -> dict[str, int]:
    """Candidates per console status (the status filter itself is ignored), plus ``total``."""
    listing = _listing(watch, filters, now)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(db.session.execute(select(listing.c.console_status, func.count())
                                     .group_by(listing.c.console_status)).all())
    counts["total"] = sum(counts[status] for status in STATUSES)
    return counts


def console_page(watch: Watch, filters: Filters, page: int, now: datetime) -> ConsolePage:
    """One page (50 rows) of candidates ordered by department and employee number, with the counts."""
    counts = status_counts(watch, filters, now)
    total = counts.get(filters.status, 0) if filters.status in STATUSES else counts["total"]
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    listing = _listing(watch, filters, now)
    query = select(listing)
    if filters.status in STATUSES:
        query = query.where(listing.c.console_status == filters.status)
    rows = [_row(row) for row in db.session.execute(
        query.order_by(listing.c.path, listing.c.employee_no, listing.c.user_id)
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE))]
    _add_progress(rows)
    return ConsolePage(now, counts, total, page, pages, rows)


def _row(row) -> CandidateRow:
    return CandidateRow(row.user_id, row.name, row.employee_no, row.department, row.console_status,
                        row.attempt_id, row.number, row.attempt_status, row.started_at, row.deadline_at,
                        row.submitted_at, row.finished_by, row.score, row.max_score, row.passed, row.extra_minutes)


def _answered_expression():
    """1 for an item whose saved response is not blank (JSON null, "", [] or a list of blank strings)."""
    text = cast(AttemptItem.response, String)
    stripped = text
    for character in ('"', ",", " ", "[", "]"):
        stripped = func.replace(stripped, character, "")
    return case((and_(text.is_not(None), text != "null", stripped != ""), 1), else_=0)


def _add_progress(rows: list[CandidateRow]) -> None:
    """Answered n of m and the last save, for the attempts on the page only."""
    by_attempt = {row.attempt_id: row for row in rows if row.attempt_id is not None}
    if not by_attempt:
        return
    for attempt_id, total, answered, last_saved in db.session.execute(
            select(AttemptItem.attempt_id, func.count(), func.sum(_answered_expression()),
                   func.max(AttemptItem.saved_at))
            .where(AttemptItem.attempt_id.in_(list(by_attempt))).group_by(AttemptItem.attempt_id)):
        row = by_attempt[attempt_id]
        row.total_items, row.answered, row.last_saved_at = total, int(answered or 0), last_saved


def candidate_row(watch: Watch, user_id: int, now: datetime) -> CandidateRow:
    """One candidate of the exam within the actor's scope, with their latest attempt and progress; NotFound
    for anyone else (not a candidate of this exam, or outside the actor's scope)."""
    listing = _listing(watch, Filters(), now)
    found = db.session.execute(select(listing).where(listing.c.user_id == user_id)).first()
    if found is None:
        raise NotFound(_("考生不存在或不在您的管理范围内"))
    row = _row(found)
    _add_progress([row])
    return row


def department_choices(watch: Watch, limit: int = 300) -> list[Department]:
    """Departments to filter by: those inside the audience's subtrees or of named candidates, within the
    actor's scope, in tree order."""
    exam_id = watch.exam.id
    audience_department = aliased(Department)
    in_subtree = exists(select(ExamAudience.id)
                        .join(audience_department, audience_department.id == ExamAudience.department_id)
                        .where(ExamAudience.exam_id == exam_id, Department.path.startswith(audience_department.path)))
    named = exists(select(ExamAudience.id).join(User, User.id == ExamAudience.user_id)
                   .where(ExamAudience.exam_id == exam_id, User.department_id == Department.id))
    return list(db.session.scalars(
        select(Department).where(Department.is_active.is_(True), or_(in_subtree, named),
                                 _paths_clause(Department.path, watch.paths))
        .order_by(Department.path).limit(limit)))
