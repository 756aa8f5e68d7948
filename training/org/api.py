"""JSON API of the organisation package: tokens, the caller, departments."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from training.core.api import API_PREFIX, api_login_required, json_error
from training.core.errors import DomainError
from training.extensions import db, limiter
from training.org.models import Department
from training.org.services import accounts
from training.org.services.departments import visible_departments

org_api = Blueprint("org_api", __name__, url_prefix=API_PREFIX)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@org_api.post("/auth/token")
@limiter.limit(_login_limit)
def issue_token():
    """Exchange ``{"username", "password", "name"?}`` for a bearer token (shown once)."""
    body = request.get_json(silent=True) or {}
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    if not username or not password:
        return json_error("bad_request", _("需要提供 username 和 password"), 400)
    try:
        user = accounts.authenticate(username, password)
    except DomainError as error:
        return json_error(error.code, error.message, error.http_status)
    if user.must_change_password:
        return json_error("password_change_required", _("首次登录须先在网页上修改密码"), 403)
    record, token = accounts.create_api_token(user, str(body.get("name") or "API"))
    return jsonify({"token": token, "id": record.id, "name": record.name,
                    "expires_at": record.expires_at.isoformat() + "Z" if record.expires_at else None}), 201


@org_api.delete("/auth/tokens/<int:token_id>")
@api_login_required
def revoke_token(token_id: int):
    """Revoke one of the caller's tokens."""
    accounts.revoke_api_token(current_user, token_id)
    return "", 204


@org_api.get("/me")
@api_login_required
def me():
    """The caller: identity, department and role grants."""
    department = current_user.department
    return jsonify({
        "id": current_user.id,
        "employee_no": current_user.employee_no,
        "name": current_user.name,
        "rank": current_user.rank,
        "position": current_user.position,
        "department": {"code": department.code, "name": department.name, "path": department.path},
        "roles": [{"role": "learner", "department_code": None}] + [
            {"role": grant.role, "department_code": grant.department.code if grant.department else None}
            for grant in current_user.grants],
    })


@org_api.get("/departments")
@api_login_required
def departments():
    """Departments the caller may see: admins all, HR officers and leaders their subtrees, others their own."""
    rows = visible_departments(current_user)
    codes = {d.id: d.code for d in rows}
    parents_needed = {d.parent_id for d in rows if d.parent_id and d.parent_id not in codes}
    if parents_needed:
        codes.update(dict(db.session.execute(
            db.select(Department.id, Department.code).where(Department.id.in_(parents_needed))).all()))
    return jsonify({"departments": [
        {"code": d.code, "name": d.name, "kind": d.kind, "parent_code": codes.get(d.parent_id),
         "depth": d.depth, "is_active": d.is_active} for d in rows]})
