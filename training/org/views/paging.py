"""The ``page`` query argument, bounded."""

from __future__ import annotations

from flask import request


def page_arg(limit: int = 100000) -> int:
    """``?page=n`` as an int in 1..limit (1 when absent or malformed)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), limit)
