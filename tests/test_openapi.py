"""docs/openapi.yaml documents every API route the app serves."""

from __future__ import annotations

import re
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"


def documented_paths() -> set[str]:
    return set(re.findall(r"^  (/[^:]+):\s*$", SPEC.read_text(encoding="utf-8"), flags=re.M))


def test_every_api_route_is_documented(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/livez"):
            served.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
    assert served - documented_paths() == set()
    assert documented_paths() - served == set(), "the spec documents routes that do not exist"
