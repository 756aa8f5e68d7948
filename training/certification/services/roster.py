"""The HR roster: one row per active official in the viewer's scope, with rank, programme statuses, this year's
学时 against the rank's target and the last activity; filtered, sorted and paginated in SQL.

A page costs a fixed number of statements whatever its size: the count, the page of people (department joined,
this year's ``YearlyHours`` outer-joined, the rank's target as a ``CASE`` so "below target" filters in SQL), the
page's programme statuses (one ``IN``), their department paths' names (one ``IN``) and their last activity (one
grouped ``UNION ALL`` over the page's ids). Exports stream the same statement in chunks (``yield_per``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, union_all

from courseware.hours import current_targets
from courseware.models import LessonProgress
from question_bank.exams.models import Attempt
from training.certification.constants import HOLDING, Status
from training.certification.models import Program, ProgramAssignment, YearlyHours
from training.certification.permissions import can_use_program
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import scope_clause, scope_paths
from training.org.services.users import find_department_for_actor

SORTS = ("department", "name", "employee_no", "hours", "-hours", "last_login")
DEFAULT_PER_PAGE, MAX_PER_PAGE, CHUNK, OPTION_LEVELS = 50, 200, 1000, 2


@dataclass(frozen=True)
class RosterFilter:
    """What the roster shows: a sub-department (its subtree; must lie in the viewer's scope), a rank, a
    programme status (``constants.Status`` or ''), a programme, certificate holders expiring within N days,
    overdue people, people below their annual 学时 target, a name / 工号 prefix; sort, page, page size."""

    department_id: int | None = None
    rank: str = ""
    status: str = ""
    program_id: int | None = None
    expiring_within_days: int | None = None
    overdue: bool = False
    below_target: bool = False
    q: str = ""
    sort: str = "department"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def normalised(self) -> RosterFilter:
        """Bounded page and page size, a known sort and status, a trimmed query."""
        return replace(self, status=self.status if self.status in set(Status) else "",
                       sort=self.sort if self.sort in SORTS else "department", q=self.q.strip(),
                       page=max(1, self.page), per_page=min(max(1, self.per_page), MAX_PER_PAGE),
                       expiring_within_days=None if self.expiring_within_days is None
                       else max(0, self.expiring_within_days))

    def described(self) -> dict:
        """The filters in use (not paging), for the audit log and the export's title row."""
        values = asdict(self)
        return {key: value for key, value in values.items()
                if key not in ("page", "per_page") and value not in (None, "", False)}


@dataclass(frozen=True)
class ProgramStanding:
    """One programme of a roster row: status (``constants.Status``), percent and certificate expiry."""

    program_id: int
    program: str
    status: str
    percent: int
    expires_at: datetime | None

    @property
    def held(self) -> bool:
        """Whether the person holds a valid certificate of the programme."""
        return self.status in HOLDING


@dataclass(frozen=True)
class RosterRow:
    """One official: 学时 this year and the rank's target, programme standings, last activity (UTC)."""

    user_id: int
    employee_no: str
    name: str
    rank: str
    department_id: int
    department: str
    department_path: tuple[str, ...]
    hours: float
    target: float
    last_login_at: datetime | None
    programs: list[ProgramStanding] = field(default_factory=list)
    last_activity: datetime | None = None

    @property
    def shortfall(self) -> float:
        """学时 still missing to the annual target (0 when reached)."""
        return max(0.0, round(self.target - self.hours, 2))


@dataclass(frozen=True)
class RosterPage:
    rows: list[RosterRow]
    total: int
    page: int
    per_page: int
    filter: RosterFilter
    year: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class _Query:
    """The roster's statement parts for one viewer, filter and year."""

    conditions: list[ColumnElement[bool]]
    hours: ColumnElement
    target: ColumnElement
    year: int
    needs_hours: bool  # a filter reads this year's 学时 (below target): the count joins YearlyHours too


def target_expression() -> ColumnElement:
    """Each rank's annual 学时 target (``courseware.hours.current_targets``) as a SQL ``CASE``."""
    targets = current_targets()
    fallback = targets.annual_target("")  # what a rank missing from the table gets
    by_value: dict[float, list[str]] = {}
    for rank, value in targets.per_rank.items():
        if float(value) != fallback:
            by_value.setdefault(float(value), []).append(rank)
    if not by_value:
        return literal(fallback)
    return case(*((User.rank.in_(sorted(ranks)), literal(value)) for value, ranks in sorted(by_value.items())),
                else_=literal(fallback))


def _assignment_condition(flt: RosterFilter, now: datetime) -> ColumnElement[bool] | None:
    """People with a programme row matching the programme / status / overdue / expiring filters (one row must
    match them all), as ``users.id IN (…)`` so SQLite can drive from the assignment indexes."""
    conditions = []
    if flt.program_id:
        conditions.append(ProgramAssignment.program_id == flt.program_id)
    if flt.status:
        conditions.append(ProgramAssignment.status == flt.status)
    if flt.overdue:
        conditions.append(ProgramAssignment.status == Status.OVERDUE)
    if flt.expiring_within_days is not None:
        conditions += [ProgramAssignment.status.in_(list(HOLDING)), ProgramAssignment.expires_at > now,
                       ProgramAssignment.expires_at <= now + timedelta(days=flt.expiring_within_days)]
    if not conditions:
        return None
    return User.id.in_(select(ProgramAssignment.user_id).where(*conditions))


def require_usable_program(viewer: User, program_id: int | None) -> None:
    """NotFound for a programme filter the viewer may not use (not even its name leaks into an export)."""
    if program_id and not can_use_program(viewer, db.session.get(Program, program_id)):
        raise NotFound(_("认证项目不存在或不可用"))


def _build(viewer: User, flt: RosterFilter, year: int, now: datetime) -> _Query:
    """Scope, sub-department (NotFound when outside the scope) and every filter, as SQL conditions."""
    conditions: list[ColumnElement[bool]] = [User.is_active.is_(True),
                                             scope_clause(viewer, Department.path, Role.HR)]
    department = find_department_for_actor(viewer, flt.department_id or None)
    if department is not None:
        conditions.append(Department.path.startswith(department.path, autoescape=True))
    require_usable_program(viewer, flt.program_id)
    if flt.rank:
        conditions.append(User.rank == flt.rank)
    if flt.q:
        conditions.append(or_(User.name.startswith(flt.q, autoescape=True),
                              User.employee_no.startswith(flt.q, autoescape=True)))
    assignment = _assignment_condition(flt, now)
    if assignment is not None:
        conditions.append(assignment)
    hours, target = func.coalesce(YearlyHours.hours, 0), target_expression()
    if flt.below_target:
        conditions.append(hours < target)
    return _Query(conditions, hours, target, year, flt.below_target)


def _from(statement: Select, query: _Query, *, with_hours: bool) -> Select:
    statement = statement.select_from(User).join(Department, Department.id == User.department_id)
    if with_hours:
        statement = statement.outerjoin(YearlyHours, and_(YearlyHours.user_id == User.id,
                                                          YearlyHours.year == query.year))
    return statement.where(*query.conditions)


def _order(sort: str, hours: ColumnElement) -> list:
    return {"name": [User.name, User.id], "employee_no": [User.employee_no],
            "hours": [hours, User.id], "-hours": [hours.desc(), User.id],
            "last_login": [User.last_login_at.desc().nulls_last(), User.id],
            }.get(sort, [Department.path, User.employee_no])


def _rows_statement(query: _Query, sort: str, *, limit: int | None = None, offset: int = 0) -> Select:
    """The roster's rows in ``sort`` order. A page is picked by a narrow subquery (ids and sort keys only, so
    SQLite sorts small records and reads covering indexes) and only its rows are read in full."""
    columns = select(User.id, User.employee_no, User.name, User.rank, User.last_login_at, Department.id,
                     Department.name, Department.path, query.hours.label("hours"), query.target.label("target"))
    order = _order(sort, query.hours)
    if limit is None:
        return _from(columns, query, with_hours=True).order_by(*order)
    page = _from(select(User.id), query, with_hours=sort in ("hours", "-hours") or query.needs_hours)
    page = page.order_by(*order).limit(limit).offset(offset)
    return columns.select_from(User).join(Department, Department.id == User.department_id).outerjoin(
        YearlyHours, and_(YearlyHours.user_id == User.id, YearlyHours.year == query.year)
    ).where(User.id.in_(page)).order_by(*order)


def roster_page(viewer: User, flt: RosterFilter, *, now: datetime | None = None) -> RosterPage:
    """One page of the roster for ``viewer`` (admins: everyone; HR officers: their subtrees), filtered and
    sorted as ``flt`` says; raises NotFound for a sub-department outside the scope. Six statements whatever the
    page size: the targets setting, the count, the page, its statuses, path names and last activity."""
    now, flt = now or utcnow(), flt.normalised()
    query = _build(viewer, flt, now.year, now)
    total = db.session.scalar(_from(select(func.count(User.id)), query, with_hours=query.needs_hours)) or 0
    page = min(flt.page, max(1, -(-total // flt.per_page)))
    statement = _rows_statement(query, flt.sort, limit=flt.per_page, offset=(page - 1) * flt.per_page)
    rows = _complete(db.session.execute(statement).all())
    return RosterPage(rows, total, page, flt.per_page, replace(flt, page=page), now.year)


def _complete(raw: Sequence) -> list[RosterRow]:
    """Roster rows of a page (or chunk) of raw rows, with statuses, path names and last activity: three
    statements over the chunk's ids, none per row."""
    if not raw:
        return []
    ids = [row[0] for row in raw]
    standings, activity = programme_standings(ids), last_activity(ids)
    names = path_names(row[7] for row in raw)
    result = []
    for (user_id, employee_no, name, rank, last_login, department_id, department, path, hours, target) in raw:
        seen = [moment for moment in (last_login, activity.get(user_id)) if moment is not None]
        result.append(RosterRow(user_id, employee_no, name, rank, department_id, department,
                                tuple(names.get(int(part), "") for part in path.strip("/").split("/")),
                                float(hours or 0), float(target), last_login, standings.get(user_id, []),
                                max(seen) if seen else None))
    return result


def programme_standings(user_ids: Sequence[int]) -> dict[int, list[ProgramStanding]]:
    """Each person's programmes (name order), one statement for all of ``user_ids``."""
    rows = db.session.execute(
        select(ProgramAssignment.user_id, Program.id, Program.name, ProgramAssignment.status,
               ProgramAssignment.percent, ProgramAssignment.expires_at)
        .join(Program, Program.id == ProgramAssignment.program_id)
        .where(ProgramAssignment.user_id.in_(list(user_ids))).order_by(Program.code)).all()
    standings: dict[int, list[ProgramStanding]] = {}
    for user_id, *rest in rows:
        standings.setdefault(user_id, []).append(ProgramStanding(*rest))
    return standings


def last_activity(user_ids: Sequence[int]) -> dict[int, datetime]:
    """The latest study heartbeat or exam start of each person: one grouped statement over ``user_ids``."""
    ids = list(user_ids)
    beats = select(LessonProgress.user_id.label("user_id"), func.max(LessonProgress.last_beat_at).label("at")) \
        .where(LessonProgress.user_id.in_(ids)).group_by(LessonProgress.user_id)
    starts = select(Attempt.user_id, func.max(Attempt.started_at)).where(Attempt.user_id.in_(ids)) \
        .group_by(Attempt.user_id)
    both = union_all(beats, starts).subquery()
    rows = db.session.execute(select(both.c.user_id, func.max(both.c.at)).where(both.c.at.is_not(None))
                              .group_by(both.c.user_id)).all()
    return dict(rows)


def path_names(paths: Iterator[str] | Sequence[str]) -> dict[int, str]:
    """Names of every department on the given materialised paths, one statement."""
    ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    if not ids:
        return {}
    return dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())


def _stream(viewer: User, flt: RosterFilter, year: int, now: datetime) -> Iterator[RosterRow]:
    """Every row of the filtered roster in the filter's order, fetched ``CHUNK`` at a time from one cursor."""
    query = _build(viewer, flt.normalised(), year, now)
    result = db.session.execute(_rows_statement(query, flt.normalised().sort).execution_options(yield_per=CHUNK))
    for chunk in result.partitions():
        yield from _complete(chunk)


def roster_rows(viewer: User, flt: RosterFilter, *, now: datetime | None = None) -> Iterator[RosterRow]:
    """All rows of the filtered roster (no paging), streamed in chunks: for the Excel export."""
    now = now or utcnow()
    return _stream(viewer, flt, now.year, now)


def compliance_rows(viewer: User, year: int, department_id: int | None = None, *,
                    now: datetime | None = None) -> Iterator[RosterRow]:
    """Everyone in scope (or in ``department_id``'s subtree, which must lie in it) below their rank's annual
    学时 target in ``year``, in department order, streamed in chunks."""
    flt = RosterFilter(department_id=department_id, below_target=True, sort="department")
    return _stream(viewer, flt, year, now or utcnow())


def department_options(viewer: User, selected_id: int | None = None) -> list[tuple[int, str]]:
    """(id, label indented by depth) of the departments the filter offers: the viewer's HR scope down to
    ``OPTION_LEVELS`` levels below its roots (a province's 2,000 divisions would make an unusable list; deeper
    ones are reached from a row's department link), plus the selected one. One statement, in tree order."""
    roots = [grant.department.depth for grant in viewer.grants if grant.role == Role.HR and grant.department]
    base = 0 if scope_paths(viewer, Role.HR) is None else min(roots, default=0)
    rows = db.session.execute(
        select(Department.id, Department.name, Department.depth)
        .where(scope_clause(viewer, Department.path, Role.HR),
               or_(Department.depth <= base + OPTION_LEVELS, Department.id == (selected_id or 0)))
        .order_by(Department.path)).all()
    return [(id_, "\u3000" * max(0, depth - base) + name) for id_, name, depth in rows]


def programmes_in(viewer: User, flt: RosterFilter, *, year: int | None = None,
                  now: datetime | None = None) -> list[tuple[int, str]]:
    """(id, name) of the programmes anyone of the filtered roster is in: the export's status columns."""
    now = now or utcnow()
    query = _build(viewer, flt.normalised(), year or now.year, now)
    people = _from(select(User.id), query, with_hours=query.needs_hours)
    return [tuple(row) for row in db.session.execute(
        select(Program.id, Program.name).where(Program.id.in_(
            select(ProgramAssignment.program_id).where(ProgramAssignment.user_id.in_(people)).distinct()))
        .order_by(Program.code)).all()]
