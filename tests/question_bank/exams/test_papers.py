"""The per-process cache of rendered questions."""

from __future__ import annotations

from question_bank.exams.services import papers
from question_bank.exams.services.attempts import start_or_resume
from tests.factories import make_bank, make_exam, make_user


def test_a_full_view_cache_is_refilled_with_every_question_of_the_paper(app_ctx, org, learner, monkeypatch):
    make_bank()
    exam = make_exam(org.qc)
    first = start_or_resume(learner.id, exam.id)
    monkeypatch.setattr(papers, "VIEW_CACHE_LIMIT", 3)  # the next paper cannot fit: the cache is cleared
    other = make_user(org.qc_division, employee_no="L0002")
    second = start_or_resume(other.id, exam.id)
    assert len(second["items"]) == len(first["items"]) == 8
    assert all(item["stem_html"].startswith("<p>") for item in second["items"])
