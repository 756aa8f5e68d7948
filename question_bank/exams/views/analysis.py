"""Item analysis pages for examiners."""

from __future__ import annotations

from question_bank.exams.views.manage import exam_manage_bp  # noqa: F401
