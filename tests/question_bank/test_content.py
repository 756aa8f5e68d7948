"""The shipped questions: all modules and types, explained, and in our own words."""

from __future__ import annotations

import tomllib
from collections import Counter

import pytest

from question_bank.shipped import CONTENT_ROOT
from tests.originality import SEEDS, copied_runs

ENTRIES = [(path.stem, entry) for path in sorted(CONTENT_ROOT.glob("M*.toml"))
           for entry in tomllib.loads(path.read_text(encoding="utf-8"))["question"]]


def test_at_least_400_questions_over_all_modules_and_types():
    assert len(ENTRIES) >= 400
    per_module = Counter(module for module, _ in ENTRIES)
    assert set(per_module) == {f"M{n}" for n in range(1, 10)}
    for module in per_module:
        types = {entry["type"] for m, entry in ENTRIES if m == module}
        assert types == {"single", "multiple", "true_false", "fill_blank", "short_answer"}, module


def test_every_question_has_explanation_difficulty_and_knowledge_point():
    for module, entry in ENTRIES:
        assert entry["explanation"].strip() and 1 <= entry["difficulty"] <= 5
        assert entry["knowledge_point"].startswith(module + ".")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present in this checkout")
def test_no_question_copies_the_seeds():
    copied = []
    for module, entry in ENTRIES:
        text = (entry["stem"] + entry["explanation"] + "".join(entry.get("options", []))
                + (entry["answer"] if isinstance(entry["answer"], str) else ""))
        if copied_runs(text):
            copied.append((module, entry["stem"][:30]))
    assert copied == []
