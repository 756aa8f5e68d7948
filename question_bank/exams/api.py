"""JSON API of exams, used by the browser's exam client and by other clients alike.

The attempt endpoints are the hot paths of exam day: they authenticate through ``training.org.identity`` (no
ORM user) and run on Core connections. The device holding an attempt sends the token it got when it started
or resumed the attempt in the ``X-Attempt-Session`` header.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from question_bank.exams.services import attempts, autosave, candidate, results
from training.core.api import API_PREFIX, api_login_required, json_error
from training.extensions import limiter
from training.org.identity import hot_path_login_required

exam_api = Blueprint("exam_api", __name__, url_prefix=API_PREFIX)
SESSION_HEADER = "X-Attempt-Session"
MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer


def _iso(value: datetime | None) -> str | None:
    return attempts.iso_utc(value)


@exam_api.get("/exams")
@api_login_required
def my_exams():
    """The exams open to the caller, with their standing and the seconds left in each window."""
    cards = candidate.my_exams(current_user)
    return jsonify({"exams": [
        {"id": card.exam.id, "title": card.exam.title, "kind": card.exam.kind, "state": card.state,
         "opens_at": _iso(card.exam.opens_at), "closes_at": _iso(card.exam.closes_at),
         "window_seconds_left": card.window_seconds_left, "duration_minutes": card.exam.duration_minutes,
         "extra_minutes": card.extra_minutes, "max_attempts": card.exam.max_attempts,
         "attempts_used": card.attempts_used, "attempts_left": card.attempts_left,
         "attempt_in_progress": card.in_progress_id} for card in cards]})


@exam_api.post("/exams/<int:exam_id>/attempts")
@limiter.exempt
@hot_path_login_required
def start_attempt(user_id: int, exam_id: int):
    """Start or resume (``{"attempt_id": n}`` resumes that attempt only). The calling device takes the attempt
    over; the answer is the attempt without keys, with ``session`` and ``remaining_seconds``."""
    body = request.get_json(silent=True) or {}
    attempt_id = body.get("attempt_id")
    if attempt_id is not None and (not isinstance(attempt_id, int) or isinstance(attempt_id, bool)):
        return json_error("bad_request", _("attempt_id 应为整数"), 400)
    return jsonify(attempts.start_or_resume(user_id, exam_id, attempt_id)), 201


@exam_api.get("/attempts/<int:attempt_id>")
@limiter.exempt
@hot_path_login_required
def attempt_state(user_id: int, attempt_id: int):
    """The caller's attempt: items without keys, saved answers, remaining seconds, and ``holder`` ("this" when
    the ``X-Attempt-Session`` header names the device that holds it, else "other")."""
    return jsonify(attempts.get_attempt_state(user_id, attempt_id, request.headers.get(SESSION_HEADER)))


def _made_at(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


@exam_api.put("/attempts/<int:attempt_id>/items/<int:item_id>")
@limiter.exempt
@hot_path_login_required
def save_item(user_id: int, attempt_id: int, item_id: int):
    """``{"response": …, "seq": n, "flagged"?: bool, "made_at"?: iso}`` → ``{"saved_seq", "saved_at"}``. A
    sequence number not newer than the stored one changes nothing (``stale``: true). Without ``response`` only
    the flag changes."""
    body = request.get_json(silent=True)
    seq = body.get("seq") if isinstance(body, dict) else None
    flagged = body.get("flagged") if isinstance(body, dict) else None
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ \
            or ("response" not in body and not isinstance(flagged, bool)):
        return json_error("bad_request", _("请求体应为 {\"response\": …, \"seq\": 正整数}"), 400)
    result = autosave.save_response(user_id, attempt_id, item_id, body.get("response"), seq,
                                    request.headers.get(SESSION_HEADER, ""),
                                    flagged=flagged if isinstance(flagged, bool) else None,
                                    made_at=_made_at(body.get("made_at")), keep_response="response" not in body)
    return jsonify({**asdict(result), "saved_at": _iso(result.saved_at)})


@exam_api.post("/attempts/<int:attempt_id>/submit")
@limiter.exempt
@hot_path_login_required
def submit(user_id: int, attempt_id: int):
    """Hand the attempt in (idempotent). Answers are graded from what the server saved."""
    body = attempts.submit_attempt(user_id, attempt_id, request.headers.get(SESSION_HEADER))
    return jsonify({**body, "result_url": url_for("exam_api.result", attempt_id=attempt_id)})


@exam_api.get("/attempts/<int:attempt_id>/result")
@api_login_required
def result(attempt_id: int):
    """Score, pass/fail, per-module breakdown and the review — or only the status before release."""
    return jsonify(results.result_json(results.result_for(current_user.id, attempt_id)))
