"""The learner's certification page (我的认证): their programmes with the requirements checklist, progress,
due date, next step and certificate, and the programmes they may join themselves. Also the template filters
the home page card (``certification/_home_card.html``) uses."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training.certification.constants import STATUS_BADGES, STATUS_LABELS
from training.certification.models import ProgramAssignment
from training.certification.services import assignments, learning, progress
from training.core.errors import DomainError
from training.org.forms import EmptyForm

learner_certification_bp = Blueprint("learner_certification", __name__, url_prefix="/my",
                                     template_folder="../templates")


@learner_certification_bp.app_template_filter("program_status_label")
def program_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@learner_certification_bp.app_template_filter("program_status_badge")
def program_status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "badge-info")


@learner_certification_bp.app_template_filter("next_step")
def next_step(assignment: ProgramAssignment) -> str:
    """What the person should do next in a programme (e.g. 完成课程《…》), for the home card and this page."""
    return progress.next_step_text(assignment)


@learner_certification_bp.get("/programs", endpoint="programs")
@login_required
def my_programs():
    return render_template("certification/my_programs.html", programs=learning.my_assignments(current_user.id),
                           joinable=learning.joinable_programs(current_user), form=EmptyForm())


@learner_certification_bp.post("/programs/<int:program_id>/join", endpoint="join")
@login_required
def join(program_id: int):
    """Join an open programme; the progress is computed at once from the records the learner already has."""
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            row = assignments.join_program(current_user, program_id)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("已加入认证项目《%(name)s》", name=row.program.name), "success")
    return redirect(url_for("learner_certification.programs"))
