"""JSON API for examiners: the exams they manage and item analysis."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from question_bank.exams.permissions import can_manage_exams
from question_bank.exams.services import analysis
from training.core.api import API_PREFIX, api_login_required, json_error

exam_manage_api = Blueprint("exam_manage_api", __name__, url_prefix=API_PREFIX)


@exam_manage_api.before_request
@api_login_required
def require_examiner():
    """Examiners and administrators only (403 JSON); each endpoint then checks the exam's scope (404)."""
    if not can_manage_exams(current_user):
        return json_error("forbidden", _("仅命题（考试管理）人员可以访问"), 403)
    return None


@exam_manage_api.get("/manage/exams")
def managed_exams():
    """Exams organised within the caller's examiner scope, newest first, with attempt and graded counts."""
    return jsonify({"exams": [
        {"id": exam.id, "title": exam.title, "kind": exam.kind, "status": exam.status,
         "paper_mode": exam.paper_mode, "department_id": exam.department_id,
         "opens_at": _iso(exam.opens_at), "closes_at": _iso(exam.closes_at),
         "attempts": attempts, "graded": graded}
        for exam, attempts, graded in analysis.managed_exam_counts(current_user)]})


@exam_manage_api.get("/exams/<int:exam_id>/item-analysis")
def item_analysis(exam_id: int):
    """Item analysis of one exam (404 outside the caller's scope)."""
    return jsonify(analysis.analysis_json(analysis.exam_item_analysis(current_user, exam_id)))


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None
