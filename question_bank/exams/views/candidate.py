"""The candidate's pages: my exams, an exam's start page with its rules, the attempt page (a client of the JSON
API) and the result page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from question_bank.exams.errors import BlueprintUnfillable, ExamClosed
from question_bank.exams.forms import StartForm
from question_bank.exams.services import attempts, candidate, results
from training.core.clock import utcnow

exams_bp = Blueprint("exams", __name__, url_prefix="/exams", template_folder="../templates",
                     static_folder="../static", static_url_path="/static/exams")


@exams_bp.before_request
@login_required
def require_login():
    """Every exam page needs a signed-in user; each page then checks the object itself."""


@exams_bp.get("", endpoint="mine")
def my_exams():
    return render_template("exams/mine.html", cards=candidate.my_exams(current_user))


@exams_bp.get("/<int:exam_id>", endpoint="start_page")
def start_page(exam_id: int):
    card, count, points, mine = candidate.exam_for_candidate(current_user, exam_id)
    released = {attempt.id: results.is_released(card.exam, attempt, utcnow()) for attempt in mine}
    return render_template("exams/start.html", card=card, exam=card.exam, question_count=count,
                           total_points=points, attempts=mine, released=released, form=StartForm())


@exams_bp.post("/<int:exam_id>/start", endpoint="start")
def start(exam_id: int):
    """Start or resume, then go to the attempt page (which takes the attempt over for this browser)."""
    form = StartForm()
    if not form.validate_on_submit():
        return redirect(url_for("exams.start_page", exam_id=exam_id))
    try:
        body = attempts.start_or_resume(current_user.id, exam_id)
    except (ExamClosed, BlueprintUnfillable) as error:
        flash(error.message, "error")
        return redirect(url_for("exams.start_page", exam_id=exam_id))
    return redirect(url_for("exams.attempt", attempt_id=body["id"]))


@exams_bp.get("/attempts/<int:attempt_id>", endpoint="attempt")
def attempt_page(attempt_id: int):
    attempt = results.own_attempt(current_user.id, attempt_id)
    if attempt.status != attempts.IN_PROGRESS:
        return redirect(url_for("exams.result", attempt_id=attempt_id))
    return render_template("exams/attempt.html", attempt=attempt, exam=attempt.exam)


@exams_bp.get("/attempts/<int:attempt_id>/result", endpoint="result")
def result_page(attempt_id: int):
    result = results.result_for(current_user.id, attempt_id)
    if result.attempt.status == attempts.IN_PROGRESS:
        return redirect(url_for("exams.attempt", attempt_id=attempt_id))
    return render_template("exams/result.html", result=result, attempt=result.attempt, exam=result.exam)
