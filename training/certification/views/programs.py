"""Programme management and HR assignment: list, create, edit and read programmes; assign a programme or a
required course to a department subtree, a rank or selected people; end an assignment rule."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from training.certification.constants import STATUS_LABELS, Status
from training.certification.forms import EndRuleForm, build_assign_form, build_program_form
from training.certification.models import AssignmentRule, Program
from training.certification.permissions import (
    can_assign_to,
    can_edit_program,
    can_manage_programs,
    can_use_program,
)
from training.certification.services import assignments, programs
from training.core.errors import Conflict, ValidationFailed
from training.extensions import db
from training.org.models import Department

programs_bp = Blueprint("programs", __name__, url_prefix="/certification", template_folder="../templates")


@programs_bp.before_request
@login_required
def require_hr_workspace():
    """Admins and HR officers only; each page then checks the programme's or department's scope."""
    if not can_manage_programs(current_user):
        abort(403)


@programs_bp.context_processor
def status_vocabulary():
    return {"statuses": list(Status), "status_labels": STATUS_LABELS}


@programs_bp.get("/programs", endpoint="list")
def program_list():
    rows = programs.list_programs(current_user, include_inactive=request.args.get("all") == "1")
    editable = {row.program.id for row in rows if can_edit_program(current_user, row.program)}
    return render_template("certification/programs.html", rows=rows, editable=editable)


@programs_bp.route("/programs/new", methods=["GET", "POST"], endpoint="new")
def new_program():
    form = build_program_form(current_user)
    if form.validate_on_submit():
        try:
            program = programs.create_program(current_user, form.to_data())
        except (ValidationFailed, Conflict) as error:
            db.session.rollback()
            form.show_errors(error.details)
            flash(error.message, "error")
        else:
            flash(_("认证项目「%(name)s」已创建", name=program.name), "success")
            return redirect(url_for("programs.detail", program_id=program.id))
    return render_template("certification/program_form.html", form=form, program=None)


@programs_bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"], endpoint="edit")
def edit_program(program_id: int):
    program = db.get_or_404(Program, program_id)
    if not can_edit_program(current_user, program):
        abort(403)
    form = build_program_form(current_user, program)
    if form.validate_on_submit():
        try:
            programs.update_program(current_user, program.id, form.to_data())
        except (ValidationFailed, Conflict) as error:
            db.session.rollback()
            form.show_errors(error.details)
            flash(error.message, "error")
        else:
            flash(_("认证项目已保存；已取得的证书不受影响，各人进度已按新要求重新计算"), "success")
            return redirect(url_for("programs.detail", program_id=program.id))
    return render_template("certification/program_form.html", form=form, program=program)


@programs_bp.get("/programs/<int:program_id>", endpoint="detail")
def program_detail(program_id: int):
    row = programs.program_status_counts(current_user, program_id)
    return render_template("certification/program_detail.html", row=row, program=row.program,
                           outline=programs.program_outline(row.program),
                           rules=assignments.rules_in_scope(current_user, program_id=program_id),
                           can_edit=can_edit_program(current_user, row.program), end_form=EndRuleForm())


@programs_bp.route("/assign", methods=["GET", "POST"], endpoint="assign")
def assign():
    form = build_assign_form(current_user, request.args.get("program", type=int))
    if form.validate_on_submit():
        _check_assignable(form.program_id.data, form.department_id.data)
        try:
            rule, added = assignments.create_rule(current_user, **form.rule_arguments())
        except (ValidationFailed, Conflict) as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(ngettext("已分配：新增 %(num)d 人", "已分配：新增 %(num)d 人", added)
                  + ("" if added else _("（所选范围内的人员此前都已分配）")), "success")
            return redirect(_after_rule(rule))
    rules = assignments.rules_in_scope(current_user)
    return render_template("certification/assign.html", form=form, end_form=EndRuleForm(), rules=rules,
                           course_titles=programs.course_titles({r.course_id for r, _n in rules if r.course_id}))


def _check_assignable(program_id: int, department_id: int) -> None:
    """404 for a programme the officer may not use, 403 for a department outside their scope."""
    if program_id and not can_use_program(current_user, db.session.get(Program, program_id)):
        abort(404)
    if not can_assign_to(current_user, db.session.get(Department, department_id)):
        abort(403)


def _after_rule(rule: AssignmentRule) -> str:
    if rule.program_id is not None:
        return url_for("programs.detail", program_id=rule.program_id)
    return url_for("programs.assign")


@programs_bp.post("/rules/<int:rule_id>/end", endpoint="end_rule")
def end_rule(rule_id: int):
    if not EndRuleForm().validate_on_submit():
        abort(400)
    rule = assignments.end_rule(current_user, rule_id)
    flash(_("分配规则已结束：此后不再自动分配新人员，已分配人员的进度和证书保持不变"), "success")
    return redirect(_after_rule(rule))
