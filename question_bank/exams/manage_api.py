"""JSON API for examiners: the exams they manage and item analysis."""

from __future__ import annotations

from flask import Blueprint

from training.core.api import API_PREFIX

exam_manage_api = Blueprint("exam_manage_api", __name__, url_prefix=API_PREFIX)
