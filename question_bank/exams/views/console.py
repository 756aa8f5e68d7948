"""The exam-day console: live list of candidates, extra time and reopening (examiners and HR, scoped)."""

from __future__ import annotations

from question_bank.exams.views.manage import exam_manage_bp  # noqa: F401
