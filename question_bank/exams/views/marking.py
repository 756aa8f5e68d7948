"""Examiners' pages: the blind grading queue for short answers, and regrading after a key fix."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from question_bank.exams.grading_forms import GradeForm, RegradeForm
from question_bank.exams.services import exams, marking, regrade
from question_bank.exams.views.manage import exam_manage_bp
from training.core.errors import Conflict, ValidationFailed


@exam_manage_bp.get("/grading", endpoint="grading_exams")
def grading_exams():
    """Exams with responses waiting for a grade."""
    pending = marking.pending_by_exam(current_user)
    rows = [(exam, pending.get(exam.id, 0)) for exam, _n in exams.list_managed_exams(current_user)
            if exam.id in pending]
    return render_template("exams/manage/grading_exams.html", rows=rows)


@exam_manage_bp.get("/<int:exam_id>/grading", endpoint="grading")
def grading(exam_id: int):
    return render_template("exams/manage/grading.html", progress=marking.exam_progress(current_user, exam_id))


@exam_manage_bp.get("/<int:exam_id>/grading/<int:version_id>", endpoint="grading_question")
def grading_question(exam_id: int, version_id: int):
    batch = marking.grading_batch(current_user, exam_id, version_id)
    revise = marking.graded_items(current_user, exam_id, version_id) if request.args.get("graded") else None
    return render_template("exams/manage/grading_question.html", batch=batch, revise=revise,
                           form_for=_grade_form)


def _grade_form(item: marking.GradingItem, version_id: int) -> GradeForm:
    form = GradeForm(formdata=None, score="" if item.score is None else f"{item.score:g}", feedback=item.feedback,
                     version_id=version_id, expected=item.graded_at.isoformat() if item.graded_at else "")
    form.score.id, form.feedback.id = f"score-{item.item_id}", f"feedback-{item.item_id}"
    return form


@exam_manage_bp.post("/<int:exam_id>/grading/items/<int:item_id>", endpoint="grade_item")
def grade_item(exam_id: int, item_id: int):
    form = GradeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        expected = datetime.fromisoformat(form.expected.data) if form.expected.data else None
    except ValueError:
        abort(400)
    try:
        finished = marking.grade_item(current_user, exam_id, item_id, form.score.data, form.feedback.data or "",
                                      expected)
    except (Conflict, ValidationFailed) as error:
        flash(error.message, "error")
    else:
        flash(_("已评分，该答卷全部评阅完成") if finished else _("已评分"), "success")
    args = {"graded": 1} if form.expected.data else {}
    return redirect(url_for("exam_manage.grading_question", exam_id=exam_id, version_id=form.version_id.data,
                            **args) + f"#item-{item_id}")


@exam_manage_bp.get("/<int:exam_id>/regrade", endpoint="regrade")
def regrade_options(exam_id: int):
    exam = exams.get_managed_exam(current_user, exam_id)
    return render_template("exams/manage/regrade.html", exam=exam,
                           options=regrade.regrade_options(current_user, exam_id))


@exam_manage_bp.get("/<int:exam_id>/regrade/<int:question_id>", endpoint="regrade_preview")
def regrade_preview(exam_id: int, question_id: int):
    version_id = request.args.get("version_id", type=int)
    if version_id is None:
        abort(400)
    plan = regrade.preview_regrade(current_user, exam_id, question_id, version_id)
    form = RegradeForm(formdata=None, version_id=version_id, fingerprint=plan.fingerprint)
    return render_template("exams/manage/regrade_preview.html", plan=plan, form=form)


@exam_manage_bp.post("/<int:exam_id>/regrade/<int:question_id>", endpoint="regrade_apply")
def regrade_apply(exam_id: int, question_id: int):
    form = RegradeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        plan = regrade.apply_regrade(current_user, exam_id, question_id, form.version_id.data, form.fingerprint.data)
    except (Conflict, ValidationFailed) as error:
        flash(error.message, "error")
        return redirect(url_for("exam_manage.regrade_preview", exam_id=exam_id, question_id=question_id,
                                version_id=form.version_id.data))
    flash(_("已按第 %(v)d 版重新评分：%(n)d 份答卷的得分改变，其中 %(p)d 份合格与否改变",
            v=plan.target.number, n=len(plan.changes), p=len(plan.pass_changes)), "success")
    return redirect(url_for("exam_manage.exam", exam_id=exam_id))
