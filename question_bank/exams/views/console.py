"""The exam-day console: live list of candidates, extra time and reopening (examiners and HR, scoped).

The console page renders its table on the server (it works without JavaScript: a refresh link); console.js
polls ``rows.json`` with the same filters every 15 s and redraws the table and the counts from the same row
dictionaries (``row_view``), so both show the same words.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from question_bank.exams.forms import ConsoleExtendForm, ConsoleReopenForm
from question_bank.exams.models import GRADED
from question_bank.exams.permissions import can_use_console
from question_bank.exams.services import console, console_actions
from question_bank.exams.services.attempts import iso_utc
from training.core.api import json_error
from training.core.clock import utcnow
from training.core.errors import Conflict, DomainError, ValidationFailed

exam_console_bp = Blueprint("exam_console", __name__, url_prefix="/exams/console", template_folder="../templates")


@exam_console_bp.before_request
@login_required
def require_console_role():
    """Examiners, HR officers with a scope and administrators; each page then checks the exam and candidate."""
    if not can_use_console(current_user):
        if request.endpoint == "exam_console.rows":
            return json_error("forbidden", _("您没有使用考试现场的权限"), 403)
        abort(403)
    return None


def status_labels() -> dict[str, str]:
    return {console.NOT_STARTED: _("未开始"), console.ANSWERING: _("作答中"), console.OVERDUE: _("已超时待收卷"),
            console.FINISHED: _("已交卷")}


def _filters() -> console.Filters:
    status = request.args.get("status", "")
    department = request.args.get("department", "")
    return console.Filters(status=status if status in console.STATUSES else "",
                           department_id=int(department) if department.isdigit() else None,
                           q=request.args.get("q", "")[:50])


def _page_number() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and len(page) < 7 else 1


def _texts(row: console.CandidateRow, now) -> dict[str, str]:
    """What the table shows of a row, worded once for the page and for console.js."""
    texts = {"attempt": _("第 %(n)d 次", n=row.number) if row.number else "—", "progress": "—", "timing": "—",
             "result": "—"}
    if row.status == console.NOT_STARTED:
        if row.extra_minutes:
            texts["timing"] = _("已加时 %(m)d 分钟", m=row.extra_minutes)
        return texts
    saved = (_("最后保存 %(at)s", at=format_datetime(row.last_saved_at, "HH:mm:ss")) if row.last_saved_at
             else _("尚未保存答案"))
    texts["progress"] = _("已答 %(n)d / %(m)d", n=row.answered, m=row.total_items) + " · " + saved
    deadline = format_datetime(row.deadline_at, "MM-dd HH:mm")
    if row.status == console.ANSWERING:
        texts["timing"] = _("截止 %(at)s · 剩余 %(m)d 分钟", at=deadline, m=row.minutes_left(now))
    elif row.status == console.OVERDUE:
        late = int((now - row.deadline_at).total_seconds() // 60)
        texts["timing"] = _("截止 %(at)s · 已超时 %(m)d 分钟", at=deadline, m=late)
    else:
        texts["timing"] = _("交卷 %(at)s", at=format_datetime(row.submitted_at, "MM-dd HH:mm")) + (
            " · " + _("到时自动收卷") if row.finished_by == "deadline" else "")
        texts["result"] = _result_text(row)
    return texts


def _result_text(row: console.CandidateRow) -> str:
    if row.attempt_status != GRADED:
        return _("待评阅")
    verdict = _("合格") if row.passed else _("不合格")
    return _("%(s)s / %(m)s 分", s=f"{row.score:g}", m=f"{row.max_score:g}") + " · " + verdict


def row_view(exam_id: int, row: console.CandidateRow, now) -> dict:
    """One candidate as the page and ``rows.json`` show them (score only once graded)."""
    attempt = None
    if row.attempt_id is not None:
        graded = row.attempt_status == GRADED
        attempt = {"id": row.attempt_id, "number": row.number, "status": row.attempt_status,
                   "started_at": iso_utc(row.started_at), "deadline_at": iso_utc(row.deadline_at),
                   "submitted_at": iso_utc(row.submitted_at), "finished_by": row.finished_by or "",
                   "answered": row.answered, "total_items": row.total_items,
                   "last_saved_at": iso_utc(row.last_saved_at),
                   "minutes_left": row.minutes_left(now) if row.status == console.ANSWERING else 0,
                   "score": float(row.score) if graded and row.score is not None else None,
                   "max_score": float(row.max_score) if graded else None, "passed": row.passed if graded else None}
    return {"user_id": row.user_id, "name": row.name, "employee_no": row.employee_no,
            "department": row.department, "status": row.status, "status_label": status_labels()[row.status],
            "extra_minutes": row.extra_minutes or 0, "attempt": attempt, "text": _texts(row, now),
            "url": url_for("exam_console.candidate", exam_id=exam_id, user_id=row.user_id)}


def _snapshot(exam_id: int) -> tuple[console.Watch, console.ConsolePage, list[dict]]:
    watch = console.get_watch(current_user, exam_id)
    page = console.console_page(watch, _filters(), _page_number(), utcnow())
    return watch, page, [row_view(exam_id, row, page.now) for row in page.rows]


@exam_console_bp.get("", endpoint="index")
def index():
    return render_template("exams/console/index.html", watches=console.watchable_exams(current_user, utcnow()),
                           labels=status_labels(), statuses=console.STATUSES)


@exam_console_bp.get("/<int:exam_id>", endpoint="exam")
def exam_console(exam_id: int):
    watch, page, rows = _snapshot(exam_id)
    filters = _filters()
    args = {key: value for key, value in (("status", filters.status), ("department", filters.department_id),
                                          ("q", filters.q)) if value}
    base = {key: value for key, value in args.items() if key != "status"}
    return render_template("exams/console/exam.html", exam=watch.exam, page=page, rows=rows, filters=filters,
                           args=args, base=base, labels=status_labels(), statuses=console.STATUSES,
                           departments=console.department_choices(watch), scoped=watch.paths is not None)


@exam_console_bp.get("/<int:exam_id>/rows.json", endpoint="rows")
def rows_json(exam_id: int):
    """The console's snapshot as JSON (same filters and page as the page's query string)."""
    try:
        watch, page, rows = _snapshot(exam_id)
    except DomainError as error:
        return json_error(error.code, error.message, error.http_status)
    return jsonify({"exam": {"id": watch.exam.id, "title": watch.exam.title},
                    "server_time": iso_utc(page.now),
                    "server_time_text": format_datetime(page.now, "yyyy-MM-dd HH:mm:ss"),
                    "counts": page.counts, "total": page.total, "page": page.page, "pages": page.pages,
                    "per_page": console.PER_PAGE, "rows": rows})


@exam_console_bp.get("/<int:exam_id>/candidates/<int:user_id>", endpoint="candidate")
def candidate(exam_id: int, user_id: int):
    now = utcnow()
    state = console_actions.candidate_state(current_user, exam_id, user_id, now)
    return render_template(
        "exams/console/candidate.html", exam=state.watch.exam, row=row_view(exam_id, state.row, now), now=now,
        extend_note=state.extend_note, reopen_note=state.reopen_note, attempt=state.attempt,
        extend_form=ConsoleExtendForm(), reopen_form=ConsoleReopenForm())


def _flash_form_errors(form) -> None:
    for name, errors in form.errors.items():
        label = form[name].label.text if name in form else ""
        for error in errors:
            flash(f"{label}：{error}" if label else error, "error")


@exam_console_bp.post("/<int:exam_id>/candidates/<int:user_id>/extend", endpoint="extend")
def extend(exam_id: int, user_id: int):
    form = ConsoleExtendForm()
    back = url_for("exam_console.candidate", exam_id=exam_id, user_id=user_id)
    if not form.validate_on_submit():
        console.candidate_row(console.get_watch(current_user, exam_id), user_id, utcnow())  # 404 out of scope
        _flash_form_errors(form)
        return redirect(back)
    try:
        done = console_actions.extend_time(current_user, exam_id, user_id, form.minutes.data, form.reason.data)
    except (ValidationFailed, Conflict) as error:
        flash(error.message, "error")
        return redirect(back)
    if done.new_deadline is not None:
        flash(_("已延长 %(m)d 分钟，新的截止时间为 %(at)s", m=form.minutes.data,
                at=format_datetime(done.new_deadline, "yyyy-MM-dd HH:mm")), "success")
    else:
        flash(_("已为该考生加时 %(m)d 分钟（累计 %(total)d 分钟），在其开始作答时生效", m=form.minutes.data,
                total=done.new_extra), "success")
    return redirect(back)


@exam_console_bp.post("/<int:exam_id>/attempts/<int:attempt_id>/reopen", endpoint="reopen")
def reopen(exam_id: int, attempt_id: int):
    form = ConsoleReopenForm()
    _watch, attempt, _row = console_actions.watched_attempt(current_user, exam_id, attempt_id, utcnow())
    back = url_for("exam_console.candidate", exam_id=exam_id, user_id=attempt.user_id)
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(back)
    try:
        attempt = console_actions.reopen_attempt(current_user, exam_id, attempt_id, form.minutes.data,
                                                 form.reason.data)
    except (ValidationFailed, Conflict) as error:
        flash(error.message, "error")
        return redirect(back)
    flash(_("答卷已重新开放，考生再次进入考试即可继续作答，截止时间 %(at)s",
            at=format_datetime(attempt.deadline_at, "yyyy-MM-dd HH:mm")), "success")
    return redirect(back)
