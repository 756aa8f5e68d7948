"""Monthly snapshots of every active department's key figures (``flask reports snapshot``, cron-able).

A snapshot keeps a month's figures as they were computed then, so the trend of a department does not change when
people move between departments later. Taking a month's snapshot again replaces that month's rows (and only
them) in one transaction: a rerun on unchanged data writes the same figures, other months are never touched.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from training.core.clock import utcnow
from training.extensions import db
from training.org.models import Department
from training.reports.models import ReportSnapshot
from training.reports.report_types import Figures, ProgramCoverage
from training.reports.services.figures import subtree_figures

#: Departments per ``subtree_figures`` call. Each call answers in a fixed number of statements, each scanning the
#: window's responses once, while matching departments to the batch's subtrees grows with the batch: on 2,170
#: departments and 1,000,000 responses (SQLite) 500 a call took 77 s in all, 250 87 s, all at once 116 s.
BATCH = 500
#: The window of the snapshot's figures (months back from the snapshot's moment), as on the dashboard.
WINDOW_MONTHS = 12
MONTH_PATTERN = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def month_of(moment: datetime) -> str:
    """The month ('YYYY-MM') a moment falls in."""
    return f"{moment.year:04d}-{moment.month:02d}"


def month_start(month: str) -> datetime:
    """The first instant of ``month`` ('YYYY-MM'); ValueError when it is not such a month."""
    match = MONTH_PATTERN.fullmatch(month or "")
    if not match:
        raise ValueError(f"not a month (YYYY-MM): {month!r}")
    return datetime(int(match.group(1)), int(match.group(2)), 1)


def month_end(month: str) -> datetime:
    """The last instant (microsecond) of ``month``."""
    start = month_start(month)
    following = datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - timedelta(microseconds=1)


def snapshot_moment(month: str, now: datetime) -> datetime:
    """The moment a month's figures are taken at: the month's end once it is over, else ``now``. ValueError for
    a month that has not begun."""
    if month_start(month) > now:
        raise ValueError(f"month {month} has not begun")
    return min(month_end(month), now)


def certified_rate(coverage: list[ProgramCoverage]) -> float | None:
    """% certified over all programmes: the programmes' rates weighted by their assigned people (None when no
    programme has a figure)."""
    counted = [(program.certified_rate, program.assigned) for program in coverage
               if program.certified_rate is not None and program.assigned]
    assigned = sum(people for _, people in counted)
    if not assigned:
        return None
    return sum(rate * people for rate, people in counted) / assigned


def snapshot_figures(figures: Figures) -> dict:
    """The flat JSON kept for a month: the key figures, module masteries by code and whether they were
    suppressed (then every figure but the headcount is None and ``modules`` is empty)."""
    return {
        "headcount": figures.headcount,
        "suppressed": figures.suppressed,
        "completion_rate": figures.completion_rate,
        "hours_avg": figures.hours_avg,
        "hours_at_target_rate": figures.hours_at_target_rate,
        "exam_participation_rate": figures.exam_participation_rate,
        "exam_pass_rate": figures.exam_pass_rate,
        "certified_rate": None if figures.suppressed else certified_rate(figures.certification),
        "modules": {} if figures.suppressed else {module.code: module.mastery for module in figures.modules},
    }


def active_department_ids() -> list[int]:
    return list(db.session.scalars(select(Department.id).where(Department.is_active.is_(True))
                                   .order_by(Department.id)))


def take_snapshot(month: str | None = None, *, now: datetime | None = None) -> int:
    """Compute and store the key figures of every active department's subtree for ``month`` ('YYYY-MM',
    default: the current month) over the last ``WINDOW_MONTHS`` months up to the month's end (or ``now`` while
    the month runs), replacing that month's rows in one transaction. Returns the number of rows written.
    ValueError for a malformed month or one that has not begun."""
    now = now or utcnow()
    month = month or month_of(now)
    moment = snapshot_moment(month, now)
    departments = active_department_ids()
    rows, written = [], utcnow()
    for first in range(0, len(departments), BATCH):
        batch = departments[first:first + BATCH]
        figures = subtree_figures(batch, months=WINDOW_MONTHS, now=moment)
        rows += [{"month": month, "department_id": department, "figures": snapshot_figures(figures[department]),
                  "created_at": written} for department in batch]
    try:
        db.session.execute(delete(ReportSnapshot).where(ReportSnapshot.month == month))
        if rows:
            db.session.execute(insert(ReportSnapshot), rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(rows)
