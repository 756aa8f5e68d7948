"""The exam-day console: live list of candidates, extra time and reopening (examiners and HR, scoped)."""

from __future__ import annotations

from flask import Blueprint

exam_console_bp = Blueprint("exam_console", __name__, url_prefix="/exams/console", template_folder="../templates")
