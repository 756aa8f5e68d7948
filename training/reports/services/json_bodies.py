"""The JSON bodies of the reports API (``docs/openapi.yaml``: DepartmentReport, PersonProfile): rates and
masteries in % rounded to one decimal, ``null`` where a figure is suppressed or has nothing behind it."""

from __future__ import annotations

from typing import Any

from training.reports.report_types import (
    DepartmentRef,
    DepartmentReport,
    Figures,
    Mastery,
    PersonProfile,
    ProgramCoverage,
)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def mastery_json(mastery: Mastery) -> dict[str, Any]:
    return {"code": mastery.code, "title": mastery.title, "mastery": _round(mastery.mastery),
            "responses": mastery.responses, "band": mastery.band}


def _coverage_json(coverage: ProgramCoverage) -> dict[str, Any]:
    return {"code": coverage.code, "name": coverage.name, "assigned": coverage.assigned,
            "certified_rate": _round(coverage.certified_rate), "expiring_90": coverage.expiring_90,
            "expired": coverage.expired, "overdue": coverage.overdue}


def figures_json(figures: Figures) -> dict[str, Any]:
    """A group's figures (``suppressed``: every figure but the headcount is null or empty)."""
    return {
        "headcount": figures.headcount,
        "suppressed": figures.suppressed,
        "required_enrolments": figures.required_enrolments,
        "completion_rate": _round(figures.completion_rate),
        "hours": {"average": _round(figures.hours_avg), "at_target_rate": _round(figures.hours_at_target_rate)},
        "exam": {"participants": figures.exam_participants,
                 "participation_rate": _round(figures.exam_participation_rate),
                 "pass_rate": _round(figures.exam_pass_rate)},
        "certification": [_coverage_json(row) for row in figures.certification],
        "modules": [mastery_json(row) for row in figures.modules],
        "competencies": [mastery_json(row) for row in figures.competencies],
    }


def _group_json(pair: tuple[DepartmentRef, Figures] | None) -> dict[str, Any] | None:
    if pair is None:
        return None
    department, figures = pair
    return {"code": department.code, "name": department.name, **figures_json(figures)}


def report_json(report: DepartmentReport) -> dict[str, Any]:
    """The body of ``GET /api/v1/reports/departments/<code>``: the department (with the names of its path from
    the root), its figures, its direct sub-departments', its parent's and the organisation's, and the trend."""
    department = report.department
    return {
        "department": {"code": department.code, "name": department.name,
                       "path": [*(ancestor.name for ancestor in report.trail), department.name]},
        "months": report.months,
        **figures_json(report.figures),
        "children": [_group_json(child) for child in report.children],
        "parent": _group_json(report.parent),
        "organisation": _group_json(report.organisation),
        "trend": [{**point.figures, "month": point.month} for point in report.trend],
    }


def profile_json(profile: PersonProfile) -> dict[str, Any]:
    """The body of ``GET /api/v1/reports/people/<employee_no>``."""
    return {
        "employee_no": profile.employee_no,
        "name": profile.name,
        "department": {"code": profile.department.code, "name": profile.department.name},
        "months": profile.months,
        "modules": [mastery_json(row) for row in profile.modules],
        "competencies": [mastery_json(row) for row in profile.competencies],
    }
