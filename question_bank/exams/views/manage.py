"""Examiners' pages: blueprints with per-row availability and the difficulty forecast, exams with their
settings, audience, extra time, publishing and result release, and the list of attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc
from flask_login import current_user, login_required

from courseware.services import catalogue
from question_bank.exams.forms import ActionForm, AudienceForm, BlueprintForm, ExamForm, ExtraTimeForm
from question_bank.exams.models import Exam
from question_bank.exams.permissions import can_manage_exams
from question_bank.exams.services import blueprints, exams
from question_bank.types import QUESTION_TYPES
from training.core.clock import utcnow
from training.core.errors import DomainError

exam_manage_bp = Blueprint("exam_manage", __name__, url_prefix="/exams/manage", template_folder="../templates")
BLANK_ROWS = 3
ROW_FIELDS = ("scope", "type", "difficulty_min", "difficulty_max", "count", "points")


@exam_manage_bp.before_request
@login_required
def require_examiner():
    """Examiners and administrators only; each page then checks the exam's department scope."""
    if not can_manage_exams(current_user):
        abort(403)


def _flash_error(error: DomainError) -> None:
    flash(error.message, "error")
    if isinstance(error.details, list):
        for detail in error.details:
            flash(detail, "error")


@exam_manage_bp.get("", endpoint="exams")
def exam_list():
    return render_template("exams/manage/list.html", rows=exams.list_managed_exams(current_user))


def _organiser_choices() -> list[tuple[int, str]]:
    return [(d.id, "\u3000" * d.depth + d.name) for d in exams.organiser_departments(current_user)]


def _local(moment: datetime) -> datetime:
    """Stored UTC → the wall-clock time examiners enter (the configured time zone, Beijing by default)."""
    return to_user_timezone(moment).replace(tzinfo=None)


def _exam_form(exam: Exam | None) -> ExamForm:
    form = ExamForm(obj=exam)
    if not form.is_submitted():
        if exam is not None:
            form.opens_at.data, form.closes_at.data = _local(exam.opens_at), _local(exam.closes_at)
        else:
            tomorrow = _local(utcnow()).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
            form.opens_at.data, form.closes_at.data = tomorrow, tomorrow + timedelta(days=7)
    form.department_id.choices = _organiser_choices()
    form.blueprint_id.choices = [(b.id, f"{b.name}（{b.question_count} 题，{b.total_points:g} 分）")
                                 for b in blueprints.list_blueprints()]
    return form


def _settings(form: ExamForm) -> exams.ExamSettings:
    return exams.ExamSettings(
        title=form.title.data, instructions_md=form.instructions_md.data or "", kind=form.kind.data,
        department_id=form.department_id.data, blueprint_id=form.blueprint_id.data, paper_mode=form.paper_mode.data,
        opens_at=to_utc(form.opens_at.data), closes_at=to_utc(form.closes_at.data),
        duration_minutes=form.duration_minutes.data,
        max_attempts=form.max_attempts.data, pass_score=form.pass_score.data,
        shuffle_questions=form.shuffle_questions.data, shuffle_options=form.shuffle_options.data,
        release_policy=form.release_policy.data, scoring_policy=form.scoring_policy.data)


@exam_manage_bp.route("/new", methods=["GET", "POST"], endpoint="new_exam")
@exam_manage_bp.route("/<int:exam_id>/edit", methods=["GET", "POST"], endpoint="edit_exam")
def edit_exam(exam_id: int | None = None):
    exam = exams.get_managed_exam(current_user, exam_id) if exam_id else None
    form = _exam_form(exam)
    if form.validate_on_submit():
        try:
            exam = exams.save_exam(current_user, exam, _settings(form))
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("考试设置已保存"), "success")
            return redirect(url_for("exam_manage.exam", exam_id=exam.id))
    return render_template("exams/manage/edit.html", form=form, exam=exam)


@exam_manage_bp.get("/<int:exam_id>", endpoint="exam")
def exam_detail(exam_id: int):
    exam = exams.get_managed_exam(current_user, exam_id)
    rows = list(exam.blueprint.rows) if exam.blueprint else []
    availability = [blueprints.row_availability(row) for row in rows]
    audience_form = AudienceForm()
    audience_form.department_id.choices = [(0, "—"), *_organiser_choices()]
    count, points = exams.paper_summary(exam)
    return render_template("exams/manage/detail.html", exam=exam, rows=rows, availability=availability,
                           forecast=blueprints.forecast(rows, availability), question_count=count,
                           total_points=points, attempts=exams.exam_attempts(current_user, exam),
                           action_form=ActionForm(), audience_form=audience_form, extra_form=ExtraTimeForm(),
                           pairs=list(zip(rows, availability, strict=True)), types=QUESTION_TYPES,
                           scope_code=blueprints.row_scope_code)


ACTIONS = {"publish": (exams.publish_exam, _("考试已发布，参考人员现在可以看到它")),
           "unpublish": (exams.unpublish_exam, _("已撤回发布")),
           "redraw": (exams.redraw_fixed_paper, _("已重新抽取固定试卷")),
           "release": (exams.release_results, _("成绩已公布")),
           "archive": (exams.archive_exam, _("考试已归档"))}


@exam_manage_bp.post("/<int:exam_id>/<any(publish,unpublish,redraw,release,archive):action>", endpoint="action")
def exam_action(exam_id: int, action: str):
    if ActionForm().validate_on_submit():
        service, message = ACTIONS[action]
        try:
            service(current_user, exam_id)
        except DomainError as error:
            _flash_error(error)
        else:
            flash(message, "success")
            if action == "archive":
                return redirect(url_for("exam_manage.exams"))
    return redirect(url_for("exam_manage.exam", exam_id=exam_id))


@exam_manage_bp.post("/<int:exam_id>/audience", endpoint="add_audience")
def add_audience(exam_id: int):
    form = AudienceForm()
    if form.validate_on_submit():
        try:
            if form.employee_no.data.strip():
                exams.add_audience(current_user, exam_id, employee_no=form.employee_no.data)
            elif form.department_id.data:
                exams.add_audience(current_user, exam_id, department_id=form.department_id.data)
            else:
                flash(_("请选择单位或填写工号"), "error")
        except DomainError as error:
            _flash_error(error)
    return redirect(url_for("exam_manage.exam", exam_id=exam_id) + "#audience")


@exam_manage_bp.post("/<int:exam_id>/audience/<int:audience_id>/remove", endpoint="remove_audience")
def remove_audience(exam_id: int, audience_id: int):
    if ActionForm().validate_on_submit():
        try:
            exams.remove_audience(current_user, exam_id, audience_id)
        except DomainError as error:
            _flash_error(error)
    return redirect(url_for("exam_manage.exam", exam_id=exam_id) + "#audience")


@exam_manage_bp.post("/<int:exam_id>/extra-time", endpoint="extra_time")
def extra_time(exam_id: int):
    form = ExtraTimeForm()
    if form.validate_on_submit():
        try:
            exams.set_extra_time(current_user, exam_id, form.employee_no.data, form.minutes.data)
        except DomainError as error:
            _flash_error(error)
        else:
            flash(_("延时已设置"), "success")
    else:
        flash(_("请填写工号和分钟数"), "error")
    return redirect(url_for("exam_manage.exam", exam_id=exam_id) + "#extra-time")


def _raw_rows() -> list[dict[str, str]]:
    columns = {field: request.form.getlist(f"row_{field}") for field in ROW_FIELDS}
    return [{field: columns[field][index] if index < len(columns[field]) else "" for field in ROW_FIELDS}
            for index in range(max((len(values) for values in columns.values()), default=0))]


@exam_manage_bp.get("/blueprints", endpoint="blueprints")
def blueprint_list():
    return render_template("exams/manage/blueprints.html", items=blueprints.list_blueprints())


@exam_manage_bp.route("/blueprints/new", methods=["GET", "POST"], endpoint="new_blueprint")
@exam_manage_bp.route("/blueprints/<int:blueprint_id>", methods=["GET", "POST"], endpoint="blueprint")
def edit_blueprint(blueprint_id: int | None = None):
    """The row editor. 检查 shows each row's available questions and the difficulty forecast without saving;
    保存 refuses a blueprint the bank cannot fill."""
    blueprint = blueprints.get_blueprint(blueprint_id) if blueprint_id else None
    form = BlueprintForm(obj=blueprint)
    sample: list = []
    if form.validate_on_submit():
        raw = _raw_rows()
        if request.form.get("action") == "save":
            try:
                blueprint = blueprints.save_blueprint(current_user, blueprint, form.name.data,
                                                      form.description.data or "", raw)
            except DomainError as error:
                _flash_error(error)
            else:
                flash(_("组卷方案已保存"), "success")
                return redirect(url_for("exam_manage.blueprint", blueprint_id=blueprint.id))
        rows, errors = blueprints.parse_rows(raw)
        for message in errors:
            flash(message, "error")
        if request.form.get("action") == "sample" and rows and not errors:
            try:
                sample = blueprints.sample_paper(rows)
            except DomainError as error:
                _flash_error(error)
    else:
        raw = [{"scope": blueprints.row_scope_code(row), "type": row.type, "difficulty_min": row.difficulty_min,
                "difficulty_max": row.difficulty_max, "count": row.count, "points": f"{row.points:g}"}
               for row in (blueprint.rows if blueprint else [])]
        rows = list(blueprint.rows) if blueprint else []
    return _render_blueprint(form, blueprint, raw, rows, sample)


def _render_blueprint(form: BlueprintForm, blueprint, raw: list[dict], rows: list, sample: list):
    availability = [blueprints.row_availability(row) for row in rows]
    return render_template("exams/manage/blueprint.html", form=form, blueprint=blueprint,
                           raw_rows=raw + [{}] * BLANK_ROWS, pairs=list(zip(rows, availability, strict=True)),
                           forecast=blueprints.forecast(rows, availability),
                           modules=catalogue.syllabus_modules(), types=QUESTION_TYPES,
                           scope_code=blueprints.row_scope_code, sample=sample)
