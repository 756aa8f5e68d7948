"""Text that a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

from training.core.spreadsheets import cell_value, row_values


def test_formula_like_text_is_escaped_and_the_rest_unchanged():
    assert cell_value('=HYPERLINK("http://x","点我")') == '\'=HYPERLINK("http://x","点我")'
    assert row_values(["清川市", 12.5, None, "-3", "=1+1"]) == ["清川市", 12.5, None, "-3", "'=1+1"]
