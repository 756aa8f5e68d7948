"""Learners' pages: practice by module or knowledge point, and the wrong-answer book."""

from __future__ import annotations

from flask import Blueprint

from question_bank.practice import models  # noqa: F401  (the tables must be known to migrations)

practice_bp = Blueprint("practice", __name__, url_prefix="/practice", template_folder="templates")
