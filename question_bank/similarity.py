"""Near-duplicate stems: character-bigram Jaccard similarity (works for Chinese, which has no spaces), found
without loading the bank through prefix filtering.

If two token sets have Jaccard similarity ≥ t, they share at least one token among the first
``|x| − ⌈t·|x|⌉ + 1`` tokens of each, taken in one fixed global order. Each question stores that prefix for
``INDEX_THRESHOLD`` (the lowest threshold we support) in ``question_ngrams``; a query computes its own prefix
for the requested threshold, looks the tokens up through the index, and verifies only those candidates exactly.
The global order puts rare tokens first (common ones, listed in ``data/common_bigrams.txt``, last), so the
prefixes hold the distinctive bigrams and candidate lists stay short.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from functools import cache
from pathlib import Path

INDEX_THRESHOLD = 0.7
COMMON_BIGRAMS = Path(__file__).resolve().parent / "data" / "common_bigrams.txt"


def normalise_stem(text: str) -> str:
    """NFKC, case folded, without punctuation, symbols, spaces, control characters or blank markers."""
    text = unicodedata.normalize("NFKC", text or "").casefold().replace("____", "")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def bigrams(text: str) -> set[str]:
    """The character bigrams of the normalised text (a one-character text is its own token)."""
    norm = normalise_stem(text)
    if len(norm) < 2:
        return {norm} if norm else set()
    return {norm[i:i + 2] for i in range(len(norm) - 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@cache
def _common_rank() -> dict[str, int]:
    lines = [line for line in COMMON_BIGRAMS.read_text(encoding="utf-8").split("\n") if line and line[0] != "#"]
    return {token: rank for rank, token in enumerate(lines)}


def _order_key(token: str) -> tuple[int, int]:
    """Rare tokens (not in the common list) first, by CRC32; then common ones, least common first."""
    rank = _common_rank().get(token)
    if rank is None:
        return (0, zlib.crc32(token.encode("utf-8")))
    return (1, -rank)


def prefix(tokens: set[str], threshold: float) -> list[str]:
    """The prefix-filter tokens of a set for a Jaccard threshold."""
    ordered = sorted(tokens, key=_order_key)
    length = len(ordered) - math.ceil(threshold * len(ordered)) + 1
    return ordered[:max(1, length)]
