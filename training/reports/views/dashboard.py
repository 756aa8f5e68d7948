"""Leadership report pages: a department's dashboard (headline figures, mastery by module and competency,
sub-departments with drill-down and heatmap, comparison, monthly trend), a person's competency profile, and the
dashboard's Excel and PDF exports. Admins, leaders and HR officers only (403 for everyone else); departments and
people outside the viewer's scope are 404 (the services raise ``NotFound``).

Charts get their data from ``data-chart`` attributes (JSON) that ``reports.js`` draws with ECharts; every chart
sits in a ``<figure>`` with a table of the same figures, the accessible and printable alternative."""

from __future__ import annotations

import io

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from training.extensions import db
from training.org.constants import Role
from training.org.models import Department, User
from training.org.permissions import scope_paths
from training.reports.permissions import can_use_reports
from training.reports.report_types import (
    BAND_LABELS,
    BANDS,
    MIN_GROUP,
    DepartmentRef,
    DepartmentReport,
    Figures,
    Mastery,
)
from training.reports.services import exports, figures
from training.reports.services.exports import rounded
from training.reports.services.snapshots import certified_rate

reports_bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="../templates",
                       static_folder="../static", static_url_path="/static")

MONTH_CHOICES = (6, 12, 24)
DEFAULT_MONTHS = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BAND_BADGES = {"excellent": "badge-ok", "good": "badge-info", "pass": "badge-warn", "below": "badge-err"}
#: The sub-departments table's sortable columns: name → how a row (department, figures) sorts.
SORT_COLUMNS = {
    "name": lambda ref, fig: ref.name,
    "headcount": lambda ref, fig: fig.headcount,
    "completion_rate": lambda ref, fig: fig.completion_rate,
    "hours_avg": lambda ref, fig: fig.hours_avg,
    "hours_at_target_rate": lambda ref, fig: fig.hours_at_target_rate,
    "exam_participation_rate": lambda ref, fig: fig.exam_participation_rate,
    "exam_pass_rate": lambda ref, fig: fig.exam_pass_rate,
}


@reports_bp.before_request
@login_required
def require_reports():
    """Every report page needs a leader or HR officer with a scope, or an admin; scope is checked per object."""
    if not can_use_reports(current_user):
        abort(403)


def _months() -> int:
    months = request.args.get("months", DEFAULT_MONTHS, type=int)
    return months if months in MONTH_CHOICES else DEFAULT_MONTHS


def _scope_root_code(viewer: User) -> str | None:
    """The code of the department the viewer's reports start at: the organisation's root for admins, else the
    highest department of their leader grants (or HR grants when they lead nothing)."""
    paths = scope_paths(viewer, Role.LEADER) or scope_paths(viewer, Role.HR)
    query = select(Department.code).order_by(Department.depth, Department.path).limit(1)
    if paths is None:
        return db.session.scalar(query.where(Department.parent_id.is_(None)))
    if not paths:
        return None
    return db.session.scalar(query.where(Department.path.in_(paths)))


@reports_bp.get("/", endpoint="index")
def index():
    code = _scope_root_code(current_user)
    if code is None:
        abort(404)
    return redirect(url_for("reports.department", code=code))


@reports_bp.get("/departments/<code>", endpoint="department")
def department_view(code: str):
    months, sort = _months(), request.args.get("sort", "")
    report = figures.department_report(current_user, code, months=months)
    return render_template(
        "reports/dashboard.html", report=report, months=months, month_choices=MONTH_CHOICES,
        crumbs=_crumbs(report), path_text=exports.path_text(report), tables=_tables(report),
        children=_sorted_children(report.children, sort), sort=sort, sort_links=_sort_links(code, months, sort),
        certified=None if report.figures.suppressed else certified_rate(report.figures.certification),
        charts=_department_charts(report), bands=BAND_LABELS, band_badges=BAND_BADGES,
        suppressed_note=_("人数少于 %(n)d 人，为保护个人信息不予显示", n=MIN_GROUP))


@reports_bp.get("/people", endpoint="find_person")
def find_person():
    """The dashboard's 工号 search box: on to that person's profile (404 there when out of scope)."""
    employee_no = request.args.get("employee_no", "").strip()
    if not employee_no:
        return redirect(url_for("reports.index"))
    return redirect(url_for("reports.person", employee_no=employee_no, months=_months()))


@reports_bp.get("/people/<employee_no>", endpoint="person")
def person_view(employee_no: str):
    months = _months()
    profile = figures.person_profile(current_user, employee_no, months=months)
    return render_template(
        "reports/person.html", profile=profile, months=months, month_choices=MONTH_CHOICES, bands=BAND_LABELS,
        band_badges=BAND_BADGES, charts={"modules": _radar(profile.modules, _("各模块掌握度")),
                                         "competencies": _radar(profile.competencies, _("通用能力掌握度"))})


@reports_bp.get("/departments/<code>/export.xlsx", endpoint="export_xlsx")
def export_xlsx(code: str):
    filename, data = exports.department_xlsx(current_user, code, months=_months())
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename)


@reports_bp.get("/departments/<code>/export.pdf", endpoint="export_pdf")
def export_pdf(code: str):
    filename, data = exports.department_pdf(current_user, code, months=_months())
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=filename)


def _in_scope(paths: list[str] | None, ref: DepartmentRef) -> bool:
    return paths is None or any(ref.path.startswith(path) for path in paths)


def _crumbs(report: DepartmentReport) -> list[tuple[DepartmentRef, bool]]:
    """The breadcrumb above the department: each ancestor, linked only when the viewer may open it."""
    paths = scope_paths(current_user, Role.LEADER, Role.HR)
    return [(ref, _in_scope(paths, ref)) for ref in report.trail if ref.id != report.department.id]


def _sorted_children(children: list[tuple[DepartmentRef, Figures]], sort: str) -> list[tuple[DepartmentRef, Figures]]:
    """The sub-departments by ``sort`` (a column name, '-' first for descending); rows without the figure
    (suppressed or none) always come last."""
    column = sort.removeprefix("-")
    key = SORT_COLUMNS.get(column)
    if key is None:
        return list(children)
    known = [row for row in children if key(*row) is not None]
    unknown = [row for row in children if key(*row) is None]
    return sorted(known, key=lambda row: key(*row), reverse=sort.startswith("-")) + unknown


def _sort_links(code: str, months: int, current: str) -> dict[str, str]:
    """Header links: a column sorts ascending (names) or descending (figures) first, and toggles."""
    links = {}
    for column in SORT_COLUMNS:
        first = column if column == "name" else f"-{column}"
        other = first.removeprefix("-") if first.startswith("-") else f"-{first}"
        links[column] = url_for("reports.department", code=code, months=months,
                                sort=other if current == first else first)
    return links


def _tables(report: DepartmentReport) -> dict[str, exports.ReportTable]:
    """The export's tables by key (the page shows the comparison, heatmap and trend tables as they are)."""
    return {table.key: table for table in exports.report_tables(report)}


def _bands() -> list[dict]:
    """The level bands for the charts' colours and legend, highest first (优秀 ≥ 90, 良好 75–90, …)."""
    bands, upper = [], None
    for floor, name in BANDS:
        label = BAND_LABELS[name]
        if upper is None:
            text = f"{label} ≥ {floor:g}"
        else:
            text = f"{label} {floor:g}–{upper:g}" if floor else f"{label} < {upper:g}"
        bands.append({"min": floor, "band": name, "label": text})
        upper = floor
    return bands


def _bar(masteries: list[Mastery], title: str) -> dict:
    return {"kind": "bar", "title": title, "labels": [exports.mastery_label(m) for m in masteries],
            "values": [rounded(m.mastery) for m in masteries], "responses": [m.responses for m in masteries],
            "bands": _bands()}


def _radar(masteries: list[Mastery], title: str) -> dict:
    """A radar of the masteries that have a figure (a radar needs three axes; fewer draw no chart). Modules are
    labelled by code (M3), their titles being too long for the axes; the table beside names them."""
    shown = [m for m in masteries if m.mastery is not None]
    return {"kind": "radar", "title": title, "labels": [m.code for m in shown],
            "values": [rounded(m.mastery) for m in shown]} if len(shown) >= 3 else {}


def _department_charts(report: DepartmentReport) -> dict[str, dict]:
    """The data of every chart on the dashboard, by name."""
    codes = [module.code for module in report.figures.modules]
    heat = [[codes.index(mastery.code), row, rounded(mastery.mastery)]
            for row, (_ref, fig) in enumerate(report.children)
            for mastery in fig.modules if mastery.mastery is not None and mastery.code in codes]
    return {
        "modules": _bar(report.figures.modules, _("各模块掌握度（%）")),
        "competencies": _bar(report.figures.competencies, _("通用能力掌握度（%）")),
        "heatmap": {"kind": "heatmap", "title": _("下级部门 × 模块掌握度（%）"), "columns": codes,
                    "rows": [ref.name for ref, _fig in report.children], "values": heat, "bands": _bands()},
        "trend": {"kind": "line", "title": _("近 %(n)d 个月趋势（%%）", n=len(report.trend)),
                  "labels": [point.month for point in report.trend],
                  "series": [{"name": str(label),
                              "values": [rounded(point.figures.get(key)) for point in report.trend]}
                             for key, label in exports.TREND_SERIES]},
    }
