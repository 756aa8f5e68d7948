"""Writing user-entered text into spreadsheets safely."""

from __future__ import annotations

from collections.abc import Iterable


def cell_value(value: object) -> object:
    """``value`` as written to an Excel cell: text starting with ``=`` would be stored as a formula (and run when
    the sheet is opened), so it is written with a leading apostrophe; everything else unchanged."""
    return f"'{value}" if isinstance(value, str) and value.startswith("=") else value


def row_values(values: Iterable[object]) -> list[object]:
    """A row of ``cell_value``s."""
    return [cell_value(value) for value in values]
