"""People administration: department tree, users and roles, roster import, audit log."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training.core.errors import DomainError
from training.core.uploads import find_staged_upload, stage_upload
from training.extensions import db
from training.org.forms import (
    AuditFilterForm,
    DepartmentForm,
    EmptyForm,
    GrantRoleForm,
    RosterCommitForm,
    RosterUploadForm,
    UserFilterForm,
    UserForm,
)
from training.org.models import Department
from training.org.permissions import can_edit_org_tree, can_use_people_admin, can_view_audit_log
from training.org.services import audit_log, departments, roster, users
from training.org.views.choices import department_choices, manageable_departments
from training.org.views.paging import page_arg

admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="../templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@admin_bp.before_request
@login_required
def require_people_admin():
    """Every page here needs an admin or an HR officer; finer checks (scope) happen per object."""
    if not can_use_people_admin(current_user):
        abort(403)


# ---- departments -------------------------------------------------------------------------------

@admin_bp.get("/departments", endpoint="departments")
def departments_page():
    return render_template("org/departments.html", rows=departments.department_tree_rows(current_user),
                           can_edit=can_edit_org_tree(current_user))



def _department_form(department: Department | None) -> DepartmentForm:
    form = DepartmentForm(obj=department)
    excluded = department.path if department else None
    form.parent_id.choices = [(0, _("（无，顶级）")), *(
        (d.id, label) for d, label in department_choices(departments.visible_departments(current_user))
        if excluded is None or not d.path.startswith(excluded))]
    if department is not None and request.method == "GET":
        form.parent_id.data = department.parent_id or 0
    return form


@admin_bp.route("/departments/new", methods=["GET", "POST"])
@admin_bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
def edit_department(department_id: int | None = None):
    if not can_edit_org_tree(current_user):
        abort(403)
    department = db.get_or_404(Department, department_id) if department_id else None
    form = _department_form(department)
    if form.validate_on_submit():
        parent = db.session.get(Department, form.parent_id.data) if form.parent_id.data else None
        try:
            if department is None:
                departments.create_department(current_user, form.code.data, form.name.data, form.kind.data,
                                              parent)
            else:
                departments.update_department(current_user, department, code=form.code.data,
                                              name=form.name.data, kind=form.kind.data, parent=parent,
                                              is_active=form.is_active.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("部门已保存"), "success")
            return redirect(url_for("admin.departments"))
    return render_template("org/department_form.html", form=form, department=department)


# ---- users ---------------------------------------------------------------------------------------

@admin_bp.get("/users", endpoint="users")
def users_page():
    form = UserFilterForm(request.args)
    scope = manageable_departments(current_user)
    form.department_id.choices = [(0, _("全部")), *department_choices(scope, ids=True)]
    department = users.find_department_for_actor(current_user, form.department_id.data or None)
    listing = users.list_users(current_user, query=form.q.data or "", department=department,
                               include_inactive=bool(form.inactive.data), page=page_arg())
    return render_template("org/users.html", form=form, listing=listing)



def _user_form(user=None) -> UserForm:
    form = UserForm(obj=user)
    form.department_id.choices = department_choices(manageable_departments(current_user), ids=True)
    return form


def _user_data(form: UserForm) -> users.UserData:
    department = users.find_department_for_actor(current_user, form.department_id.data)
    return users.UserData(employee_no=form.employee_no.data, name=form.name.data, department=department,
                          rank=form.rank.data, position=form.position.data or "", email=form.email.data or "")


@admin_bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user, password = users.create_user(current_user, _user_data(form))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            return render_template("org/password_issued.html", user=user, password=password)
    return render_template("org/user_form.html", form=form, user=None)


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = users.get_user(current_user, user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            users.update_user(current_user, user, _user_data(form))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    grant_form = GrantRoleForm()
    grant_form.department_id.choices = [(0, _("不限（全局）")),
                                       *department_choices(manageable_departments(current_user), ids=True)]
    return render_template("org/user_form.html", form=form, user=user, grant_form=grant_form,
                           empty_form=EmptyForm())


@admin_bp.post("/users/<int:user_id>/active")
def set_active(user_id: int):
    user = users.get_user(current_user, user_id)
    if EmptyForm().validate_on_submit():
        users.set_user_active(current_user, user, request.form.get("active") == "1")
        flash(_("已更新账号状态"), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@admin_bp.post("/users/<int:user_id>/reset-password")
def reset_password(user_id: int):
    user = users.get_user(current_user, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    password = users.reset_password(current_user, user)
    return render_template("org/password_issued.html", user=user, password=password)


@admin_bp.post("/users/<int:user_id>/roles")
def grant_role(user_id: int):
    user = users.get_user(current_user, user_id)
    form = GrantRoleForm()
    form.department_id.choices = [(0, ""), *department_choices(manageable_departments(current_user), ids=True)]
    if form.validate_on_submit():
        department = users.find_department_for_actor(current_user, form.department_id.data or None)
        users.grant_role(current_user, user, form.role.data, department)
        flash(_("已授予角色"), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@admin_bp.post("/roles/<int:grant_id>/revoke")
def revoke_role(grant_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    user_id = request.form.get("user_id", type=int)
    users.revoke_role(current_user, grant_id)
    flash(_("已撤销角色"), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id) if user_id else url_for("admin.users"))


# ---- roster import -------------------------------------------------------------------------------

@admin_bp.get("/roster")
def roster_page():
    return render_template("org/roster_upload.html", form=RosterUploadForm())


@admin_bp.get("/roster/template.xlsx")
def roster_template():
    return send_file(io.BytesIO(roster.roster_template(current_user)), mimetype=XLSX, as_attachment=True,
                     download_name="花名册导入模板.xlsx")


@admin_bp.post("/roster/preview")
def roster_preview():
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return render_template("org/roster_upload.html", form=form), 422
    content = form.file.data.read()
    preview = roster.preview_roster(current_user, content)
    token = None
    if preview.is_valid:
        token = stage_upload(current_user.id, "roster", form.file.data.filename or "roster.xlsx", content).token
        db.session.commit()
    return render_template("org/roster_preview.html", preview=preview, commit_form=RosterCommitForm(token=token),
                           filename=form.file.data.filename), 200 if preview.is_valid else 422


@admin_bp.post("/roster/commit")
def roster_commit():
    form = RosterCommitForm()
    if not form.validate_on_submit():
        abort(400)
    staged = find_staged_upload(form.token.data, current_user.id, "roster")
    if staged is None:
        flash(_("导入预览已过期，请重新上传文件"), "error")
        return redirect(url_for("admin.roster_page"))
    try:
        result = roster.commit_roster(current_user, staged.content, staged.filename)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.roster_page"))
    db.session.delete(staged)
    db.session.commit()
    return render_template("org/roster_result.html", result=result)


# ---- audit log -----------------------------------------------------------------------------------

@admin_bp.get("/audit", endpoint="audit_log")
def audit_log_page():
    if not can_view_audit_log(current_user):
        abort(403)
    form = AuditFilterForm(request.args)
    criteria = audit_log.AuditFilter(form.actor.data or "", form.action.data or "", form.object_type.data or "",
                                     _date(form.since.data), _date(form.until.data))
    page = page_arg()
    rows, total = audit_log.list_audit_events(current_user, criteria, page=page)
    return render_template("org/audit_log.html", form=form, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // 50)))



def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
