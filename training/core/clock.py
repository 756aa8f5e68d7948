"""The server's clock, the only clock (DESIGN.md §4). Times are naive UTC throughout the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Now, as naive UTC; frozen when a test froze the clock."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def frozen_clock(at: datetime) -> Iterator[None]:
    """Freeze ``utcnow()`` at ``at`` (naive UTC) for the duration of the block; for tests and simulations."""
    global _frozen
    previous, _frozen = _frozen, at
    try:
        yield
    finally:
        _frozen = previous


def seconds_until(moment: datetime) -> int:
    """Whole seconds from now until ``moment`` (0 when past)."""
    return max(0, int((moment - utcnow()) / timedelta(seconds=1)))
