"""Examiners' pages: the blind grading queue for short answers, and regrading after a key fix."""

from __future__ import annotations

from question_bank.exams.views.manage import exam_manage_bp  # noqa: F401
