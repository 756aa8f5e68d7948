"""JSON API of the question bank: browse (examiners, reviewers) and import (examiners)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from question_bank.errors import QuestionInvalid
from question_bank.permissions import can_use_bank
from question_bank.services.authoring import review_question
from question_bank.services.browse import QuestionFilter, list_questions
from question_bank.services.history import get_question
from question_bank.services.importing import FORMATS, commit_import, detect_format, preview_import
from training.core.api import API_PREFIX, api_login_required, json_error

question_api = Blueprint("question_api", __name__, url_prefix=API_PREFIX)
MAX_PER_PAGE = 200


def filter_from_args(args) -> QuestionFilter:
    """The browser's filters from query arguments (shared with the bank pages)."""
    difficulty = args.get("difficulty", type=int)
    return QuestionFilter(module=args.get("module", ""), knowledge_point=args.get("knowledge_point", ""),
                          type=args.get("type", ""), difficulty=difficulty if difficulty in range(1, 6) else None,
                          status=args.get("status", ""), author=args.get("author", ""),
                          competency=args.get("competency", ""), text=args.get("q", "")[:100])


@question_api.get("/questions")
@api_login_required
def questions():
    """Questions matching the filters, newest first, paginated."""
    if not can_use_bank(current_user):
        return json_error("forbidden", _("题库仅向命题、审题人员开放"), 403)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = min(max(request.args.get("per_page", 50, type=int) or 50, 1), MAX_PER_PAGE)
    rows, total = list_questions(current_user, filter_from_args(request.args), page, per_page)
    return jsonify({"total": total, "page": page, "per_page": per_page, "questions": [
        {"id": r.id, "code": r.code, "status": r.status, "type": r.type, "difficulty": r.difficulty,
         "module": r.module, "knowledge_point": r.knowledge_point, "competency": r.competency, "stem": r.stem,
         "author": r.author, "version": r.version} for r in rows]})


@question_api.post("/questions/import")
@api_login_required
def import_questions():
    """Multipart ``file``, ``format`` (optional), ``dry_run``, ``knowledge_point``: the preview report, or the
    result of an all-or-nothing import (422 with the report when the file has errors)."""
    upload = request.files.get("file")
    if upload is None:
        return json_error("bad_request", _("请上传文件（字段名 file）"), 400)
    content = upload.read()
    fmt = request.form.get("format") or detect_format(upload.filename or "", content)
    if fmt not in FORMATS:
        return json_error("bad_request", _("format 应为 excel、gift、aiken 或 moodle"), 400)
    kp = request.form.get("knowledge_point") or None
    if request.form.get("dry_run", "true").lower() in ("1", "true", "yes"):
        return jsonify(preview_import(current_user, content, fmt, kp).as_json())
    try:
        report = commit_import(current_user, content, fmt, upload.filename or "", kp)
    except QuestionInvalid as error:
        body = error.details.as_json() if hasattr(error.details, "as_json") else {}
        return jsonify({**body, "error": {"code": error.code, "message": error.message}}), 422
    return jsonify(report.as_json()), 201


@question_api.post("/questions/<int:question_id>/review")
@api_login_required
def review(question_id: int):
    """``{"decision": "approve" | "reject", "comment": "…"}``: review a question in review (never one's own)."""
    body = request.get_json(silent=True) or {}
    decision = body.get("decision")
    if decision not in ("approve", "reject"):
        return json_error("bad_request", _("decision 应为 approve 或 reject"), 400)
    question = get_question(current_user, question_id)
    review_question(current_user, question, decision == "approve", str(body.get("comment", "")))
    return jsonify({"id": question.id, "code": question.code, "status": question.status})
