"""Item analysis pages for examiners: one exam's figures, items and distractors."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from question_bank.exams.services import analysis
from question_bank.exams.services.exams import get_managed_exam
from question_bank.exams.views.manage import exam_manage_bp
from question_bank.types import QUESTION_TYPES

SORTS = ("code", "responses", "facility", "discrimination", "efficiency")


def _sorted(items: list, key: str, descending: bool) -> list:
    """Items by ``key``; undefined figures last whichever the direction."""
    defined = [item for item in items if getattr(item, key) is not None]
    missing = [item for item in items if getattr(item, key) is None]
    return sorted(defined, key=lambda item: (getattr(item, key), item.code, item.version),
                  reverse=descending) + missing


@exam_manage_bp.get("/<int:exam_id>/analysis", endpoint="analysis")
def exam_analysis(exam_id: int):
    exam = get_managed_exam(current_user, exam_id)
    result = analysis.exam_item_analysis(current_user, exam.id)
    sort = request.args.get("sort", "code") if request.args.get("sort") in SORTS else "code"
    descending = request.args.get("dir") == "desc"
    items = result.items
    if request.args.get("flagged"):
        items = [item for item in items if item.flags]
    return render_template("exams/manage/analysis.html", exam=exam, result=result,
                           items=_sorted(items, sort, descending), sort=sort, descending=descending,
                           flagged_only=bool(request.args.get("flagged")), types=QUESTION_TYPES,
                           flag_labels=analysis.FLAG_LABELS, min_responses=analysis.FLAG_MIN_RESPONSES)
