"""Per-process caches register here so that tests (and admin commands that change many rows at once) can
clear all of them together."""

from __future__ import annotations

from collections.abc import Callable

_clearers: list[Callable[[], None]] = []


def register_process_cache(clear: Callable[[], None]) -> Callable[[], None]:
    """Remember ``clear`` (a function emptying one cache); returns it, so it can be used as a decorator."""
    _clearers.append(clear)
    return clear


def clear_process_caches() -> None:
    """Empty every registered per-process cache."""
    for clear in _clearers:
        clear()
