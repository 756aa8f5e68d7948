"""JSON API of the leadership reports: a department's dashboard figures and a person's competency profile, for
admins, leaders and HR officers within their scope (bearer tokens or the session). Learners get 403; a
department or person outside the scope is 404 — the API never tells whether it exists in another city."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from training.core.api import API_PREFIX, api_login_required, json_error
from training.reports.permissions import can_use_reports
from training.reports.services.buckets import MAX_MONTHS, MIN_MONTHS
from training.reports.services.figures import department_report, person_profile, profile_json, report_json

reports_api = Blueprint("reports_api", __name__, url_prefix=API_PREFIX)
DEFAULT_MONTHS = 12


@reports_api.before_request
@api_login_required
def require_reports():
    """Admins, leaders and HR officers only (403 JSON); each endpoint then checks the object's scope."""
    if not can_use_reports(current_user):
        return json_error("forbidden", _("没有权限"), 403)
    return None


def _months() -> int | None:
    """The ``months`` query argument (default 12), or None when it is not a whole number in 1–36."""
    raw = request.args.get("months", "").strip()
    if not raw:
        return DEFAULT_MONTHS
    months = int(raw) if raw.isascii() and raw.isdigit() else 0
    return months if MIN_MONTHS <= months <= MAX_MONTHS else None


def _bad_months():
    return json_error("bad_request", _("months 应为 %(low)d 到 %(high)d 之间的整数", low=MIN_MONTHS,
                                       high=MAX_MONTHS), 400)


@reports_api.get("/reports/departments/<code>")
def department(code: str):
    """A department subtree's figures, its sub-departments', its parent's and the organisation's, and the
    monthly trend, over the last ``months`` (1–36, default 12) months; 404 outside the caller's scope."""
    months = _months()
    if months is None:
        return _bad_months()
    return jsonify(report_json(department_report(current_user, code, months=months)))


@reports_api.get("/reports/people/<employee_no>")
def person(employee_no: str):
    """A person's mastery per syllabus module and general competency over the last ``months`` months;
    404 outside the caller's scope."""
    months = _months()
    if months is None:
        return _bad_months()
    return jsonify(profile_json(person_profile(current_user, employee_no, months=months)))
