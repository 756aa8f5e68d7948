"""Editing lessons in the browser (examiners, admins) and the 学时 policy page (admins)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from courseware.forms import LessonEditForm, StudyHoursForm
from courseware.hours import HoursRule, HoursTargets, current_rule, current_targets, save_rule, save_targets
from courseware.permissions import can_configure_study_hours, can_edit_courseware
from courseware.services import catalogue, editing
from training.core.errors import DomainError
from training.extensions import db
from training.org.constants import RANK_NAMES

editing_bp = Blueprint("courseware_edit", __name__, template_folder="../templates")


@editing_bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit_lesson(lesson_id: int):
    if not can_edit_courseware(current_user):
        abort(403)
    lesson = catalogue.get_lesson(lesson_id)
    form = LessonEditForm(obj=lesson)
    if form.validate_on_submit():
        try:
            editing.update_lesson(current_user, lesson, title=form.title.data, minutes=form.minutes.data,
                                  body_md=form.body_md.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("课时已保存；之后同步课件文件时不会覆盖此修改（除非使用 --force）"), "success")
            return redirect(url_for("courseware.lesson", lesson_id=lesson.id))
    return render_template("courseware/lesson_edit.html", form=form, lesson=lesson,
                           preview_html=editing.preview_markdown(current_user, form.body_md.data or ""))


@editing_bp.route("/admin/study-hours", methods=["GET", "POST"])
@login_required
def study_hours():
    if not can_configure_study_hours(current_user):
        abort(403)
    rule, targets = current_rule(), current_targets()
    form = StudyHoursForm(data={**rule.__dict__, "online_minimum": targets.online_minimum,
                                "targets": [{"rank": rank, "hours": targets.annual_target(rank)}
                                            for rank in RANK_NAMES]})
    if form.validate_on_submit():
        save_rule(current_user.id, HoursRule(form.long_minutes.data, float(form.long_hours.data),
                                             form.short_minutes.data, float(form.medium_hours.data),
                                             float(form.short_hours.data)))
        per_rank = {entry.rank.data: float(entry.hours.data) for entry in form.targets if entry.rank.data in RANK_NAMES}
        save_targets(current_user.id, HoursTargets(per_rank, float(form.online_minimum.data or Decimal(50))))
        db.session.commit()
        flash(_("学时规则已保存；已完成课程的学时不会改变"), "success")
        return redirect(url_for("courseware_edit.study_hours"))
    status = 422 if request.method == "POST" else 200  # a POST that reaches here did not validate
    return render_template("courseware/study_hours.html", form=form, rule=rule), status
