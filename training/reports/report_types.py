"""The shapes of a leadership report, shared by the figures service, the pages, the exports and the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

#: Privacy: figures of groups smaller than this are suppressed (shown as "—" with a note).
MIN_GROUP = 5
#: Level bands of a mastery (score rate in %): 未达标 < 60 ≤ 合格 < 75 ≤ 良好 < 90 ≤ 优秀.
BANDS = ((90.0, "excellent"), (75.0, "good"), (60.0, "pass"), (0.0, "below"))
BAND_LABELS = {"excellent": _l("优秀"), "good": _l("良好"), "pass": _l("合格"), "below": _l("未达标")}


def band_of(mastery: float | None) -> str | None:
    """The band of a mastery in % (None when there is no figure)."""
    if mastery is None:
        return None
    return next(name for floor, name in BANDS if mastery >= floor)


@dataclass(frozen=True)
class Mastery:
    """Average score rate (%) on graded items of a syllabus module or general competency, with the number of
    responses behind it; ``mastery`` None when suppressed or without responses."""

    code: str  # 'M3' or the competency's name (e.g. '依法行政能力')
    title: str
    mastery: float | None
    responses: int
    band: str | None


@dataclass(frozen=True)
class ProgramCoverage:
    code: str
    name: str
    assigned: int
    certified_rate: float | None  # % of those assigned holding a valid certificate
    expiring_90: int
    expired: int
    overdue: int


@dataclass(frozen=True)
class Figures:
    """A group's figures (a department's whole subtree). When ``suppressed`` (headcount < MIN_GROUP) every
    figure except the headcount is None / empty."""

    headcount: int
    suppressed: bool
    required_enrolments: int | None
    completion_rate: float | None  # % of required-course enrolments completed
    hours_avg: float | None  # 学时 this year per person
    hours_at_target_rate: float | None  # % of people at or above their rank's annual target
    exam_participants: int | None  # people with a graded formal attempt in the window
    exam_participation_rate: float | None
    exam_pass_rate: float | None  # % of participants who passed at least once
    certification: list[ProgramCoverage] = field(default_factory=list)
    modules: list[Mastery] = field(default_factory=list)
    competencies: list[Mastery] = field(default_factory=list)


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    code: str
    name: str
    path: str


@dataclass(frozen=True)
class TrendPoint:
    month: str  # 'YYYY-MM'
    figures: dict  # the snapshot's figures


@dataclass(frozen=True)
class DepartmentReport:
    """The dashboard of one department: its figures, its direct sub-departments', its parent's and the whole
    organisation's for comparison, the breadcrumb and the monthly trend."""

    department: DepartmentRef
    trail: list[DepartmentRef]
    months: int
    figures: Figures
    children: list[tuple[DepartmentRef, Figures]]
    parent: tuple[DepartmentRef, Figures] | None
    organisation: tuple[DepartmentRef, Figures] | None
    trend: list[TrendPoint] = field(default_factory=list)


@dataclass(frozen=True)
class PersonProfile:
    employee_no: str
    name: str
    department: DepartmentRef
    months: int
    modules: list[Mastery]
    competencies: list[Mastery]
