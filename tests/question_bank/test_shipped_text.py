"""Shipped explanations do not repeat the 解析 label the pages already show."""

from __future__ import annotations

import tomllib

from question_bank.shipped import CONTENT_ROOT


def test_explanations_do_not_start_with_their_label():
    for path in CONTENT_ROOT.glob("M*.toml"):
        for entry in tomllib.loads(path.read_text(encoding="utf-8"))["question"]:
            assert not entry["explanation"].lstrip().startswith(("解析：", "解析:")), (path.name, entry["stem"][:20])
