"""Shared check that shipped content is in our own words: no run of RUN characters (whitespace ignored) may be
copied from the source articles in ../shared/seeds (tests skip when that folder is absent)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
RUN = 15


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@cache
def seed_runs() -> frozenset[str]:
    """Every RUN-character run of the seed articles."""
    runs: set[str] = set()
    for seed in SEEDS.glob("*.txt"):
        text = squash(seed.read_text(encoding="utf-8", errors="ignore"))
        runs.update(text[i:i + RUN] for i in range(len(text) - RUN + 1))
    return frozenset(runs)


def copied_runs(text: str) -> list[str]:
    """The runs of ``text`` that also stand in a seed article."""
    text, runs = squash(text), seed_runs()
    return [text[i:i + RUN] for i in range(len(text) - RUN + 1) if text[i:i + RUN] in runs]
