"""JSON API for HR systems: one official's programmes and certificates, and a department subtree's progress,
for admins and HR officers within their scope (bearer tokens or the session). Outside the scope it is 404 —
the API never tells whether an official or a department exists in another city."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from training.certification.constants import Status
from training.certification.models import Certificate, Program, ProgramAssignment
from training.certification.permissions import can_use_hr_workspace, can_view_person
from training.core.api import API_PREFIX, api_login_required, json_error
from training.core.clock import utcnow
from training.core.errors import NotFound
from training.extensions import db
from training.org.models import Department, User
from training.org.permissions import can_manage_department
from training.org.views.paging import page_arg

certification_api = Blueprint("certification_api", __name__, url_prefix=API_PREFIX)
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500


@certification_api.before_request
@api_login_required
def require_hr():
    """Admins and HR officers only (403 JSON); each endpoint then checks the person's or department's scope."""
    if not can_use_hr_workspace(current_user):
        return json_error("forbidden", _("仅组织人事部门和系统管理员可以访问"), 403)
    return None


@certification_api.get("/people/<employee_no>/certifications")
def person_certifications(employee_no: str):
    """An official's programmes (status, percent, dates, requirements) and certificates (404 outside scope)."""
    person = db.session.scalar(select(User).where(User.employee_no == employee_no))
    if not can_view_person(current_user, person):
        raise NotFound(_("人员不存在或不在您的管理范围内"))
    assignments = db.session.scalars(select(ProgramAssignment).where(ProgramAssignment.user_id == person.id)
                                     .order_by(ProgramAssignment.id))
    certificates = db.session.scalars(select(Certificate).where(Certificate.user_id == person.id)
                                      .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
    now = utcnow()
    return jsonify({
        "employee_no": person.employee_no,
        "name": person.name,
        "department": {"code": person.department.code, "name": person.department.name},
        "programs": [_program_json(row) for row in assignments],
        "certificates": [_certificate_json(certificate, now) for certificate in certificates],
    })


def _program_json(row: ProgramAssignment) -> dict[str, Any]:
    return {"code": row.program.code, "name": row.program.name, "status": row.status, "percent": row.percent,
            "due_at": _iso(row.due_at), "expires_at": _iso(row.expires_at), "renewing": row.renewing,
            "requirements": row.requirements or []}


def _certificate_json(certificate: Certificate, now: datetime) -> dict[str, Any]:
    return {"number": certificate.number,
            "program": {"code": certificate.program.code, "name": certificate.program_name},
            "issued_at": _iso(certificate.issued_at), "expires_at": _iso(certificate.expires_at),
            "revoked_at": _iso(certificate.revoked_at), "state": certificate.state(now),
            "verification_code": certificate.verification_code}


@certification_api.get("/departments/<code>/certifications")
def department_certifications(code: str):
    """Everyone's programmes in a department subtree, paginated (``page``, ``per_page`` ≤ 500), optionally of
    one ``status`` and one ``program`` (code); 400 for an unknown status, 404 outside the caller's scope."""
    department = db.session.scalar(select(Department).where(Department.code == code))
    if not can_manage_department(current_user, department):
        raise NotFound(_("部门不存在或不在您的管理范围内"))
    status = request.args.get("status", "").strip()
    if status and status not in set(Status):
        return json_error("bad_request", _("status 应为以下之一：%(values)s",
                                           values=", ".join(s.value for s in Status)), 400)
    page = page_arg()
    per_page = min(max(request.args.get("per_page", DEFAULT_PER_PAGE, type=int) or DEFAULT_PER_PAGE, 1),
                   MAX_PER_PAGE)
    query = _subtree_rows(department, status, request.args.get("program", "").strip())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(Department.path, User.employee_no, Program.code)
                              .limit(per_page).offset((page - 1) * per_page))
    return jsonify({"department": {"code": department.code, "name": department.name}, "total": total,
                    "page": page, "per_page": per_page, "items": [
                        {"employee_no": r.employee_no, "name": r.name, "department_code": r.department_code,
                         "program_code": r.program_code, "status": r.status, "percent": r.percent,
                         "due_at": _iso(r.due_at), "expires_at": _iso(r.expires_at),
                         "certificate_number": r.certificate_number} for r in rows]})


def _subtree_rows(department: Department, status: str, program_code: str):
    """One SELECT over assignments of active people in ``department``'s subtree, with the current certificate's
    number (no per-row queries)."""
    query = (select(User.employee_no, User.name, Department.code.label("department_code"),
                    Program.code.label("program_code"), ProgramAssignment.status, ProgramAssignment.percent,
                    ProgramAssignment.due_at, ProgramAssignment.expires_at,
                    Certificate.number.label("certificate_number"))
             .select_from(ProgramAssignment)
             .join(User, User.id == ProgramAssignment.user_id)
             .join(Department, Department.id == User.department_id)
             .join(Program, Program.id == ProgramAssignment.program_id)
             .outerjoin(Certificate, Certificate.id == ProgramAssignment.certificate_id)
             .where(Department.path.startswith(department.path, autoescape=True), User.is_active.is_(True)))
    if status:
        query = query.where(ProgramAssignment.status == status)
    if program_code:
        query = query.where(Program.code == program_code)
    return query


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None
