"""The inbox of in-app notifications, and the HR officers' reminders page (people behind schedule)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from training.certification.constants import STATUS_LABELS
from training.certification.permissions import can_use_hr_workspace
from training.certification.services import notifications, reminders
from training.certification.services.assignments import programs_for
from training.core.errors import DomainError
from training.extensions import db
from training.org.views.choices import department_choices, manageable_departments
from training.org.views.paging import page_arg

notifications_bp = Blueprint("notifications", __name__, template_folder="../templates")
INBOX_PER_PAGE = 20


class MarkReadForm(FlaskForm):
    """Mark one notification read (``notification_id``) or, without it, all of them."""

    notification_id = IntegerField(validators=[Optional()])
    page = IntegerField(validators=[Optional()])


class BehindFilterForm(FlaskForm):
    """Filters of the behind-schedule list (GET, so no CSRF)."""

    class Meta:
        csrf = False

    program_id = SelectField(_l("认证项目"), coerce=int, validators=[Optional()])
    department_id = SelectField(_l("部门"), coerce=int, validators=[Optional()])


class ReminderForm(FlaskForm):
    """The selected rows (repeated ``assignment_ids`` checkboxes) and the officer's own message."""

    assignment_ids = SelectMultipleField(coerce=int, validate_choice=False,
                                         validators=[DataRequired(_l("请选择要提醒的人员"))])
    message = TextAreaField(_l("提醒内容"), validators=[DataRequired(), Length(max=reminders.MESSAGE_LENGTH)],
                            default=_l("您有培训认证任务尚未完成，请尽快登录电子政务学院完成学习和考试。"),
                            render_kw={"rows": 3})


@notifications_bp.get("/notifications")
@login_required
def inbox():
    """The signed-in person's notifications, newest first; unread ones are marked."""
    listing = notifications.inbox(current_user.id, page_arg(), INBOX_PER_PAGE)
    return render_template("certification/notifications.html", listing=listing, form=MarkReadForm())


@notifications_bp.post("/notifications/read")
@login_required
def mark_read():
    """Mark one (``notification_id``) or all of the person's own notifications read."""
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    ids = [form.notification_id.data] if form.notification_id.data else None
    notifications.mark_read(current_user.id, ids)
    page = form.page.data
    return redirect(url_for("notifications.inbox", page=page if page and page > 1 else None))


def _filter_form() -> BehindFilterForm:
    form = BehindFilterForm(request.args)
    form.program_id.choices = [(0, _("全部项目")), *((p.id, f"{p.name}（{p.code}）")
                                                    for p in programs_for(current_user))]
    form.department_id.choices = [(0, _("全部部门")),
                                  *department_choices(manageable_departments(current_user), ids=True)]
    return form


@notifications_bp.route("/hr/reminders", methods=["GET", "POST"])
@login_required
def hr_reminders():
    """People behind schedule in the officer's scope; POST sends the officer's message to the ticked rows."""
    if not can_use_hr_workspace(current_user):
        abort(403)
    form = ReminderForm()
    if form.validate_on_submit():
        try:
            sent = reminders.send_reminders(current_user, form.assignment_ids.data, form.message.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("已发送 %(n)d 条提醒（今天已提醒过的不再重复发送）", n=sent), "success")
        return redirect(url_for("notifications.hr_reminders", **request.args))
    if request.method == "POST":
        flash("；".join(str(e) for errors in form.errors.values() for e in errors), "error")
    filters = _filter_form()
    listing = reminders.behind_schedule(current_user, program_id=filters.program_id.data or None,
                                        department_id=filters.department_id.data or None, page=page_arg())
    return render_template("certification/reminders.html", filters=filters, form=form, listing=listing,
                           status_labels=STATUS_LABELS)
