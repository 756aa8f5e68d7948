"""Chinese is the default; English ships complete: every string the code marks has an English translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\(\w+\)\w")


def test_english_catalogue_covers_every_marked_string(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(pot), "--ignore-dirs=.venv", "."], cwd=ROOT, check=True,
                   capture_output=True)
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    english = {m.id: m.string for m in read_po((ROOT / "training/translations/en/LC_MESSAGES/messages.po").open("rb"))
               if m.id}
    missing = sorted(str(msgid) for msgid in wanted if not all(forms(english.get(msgid))))
    assert missing == [], f"untranslated (run pybabel update, then translate): {missing[:20]}"
    broken = [msgid for msgid in wanted if any(sorted(PLACEHOLDER.findall(forms(msgid)[0]))
                                               != sorted(PLACEHOLDER.findall(text)) for text in forms(english[msgid]))]
    assert broken == []


def forms(value) -> list[str]:
    """A message's text forms: one, or (for a plural message id or translation) each plural form."""
    if value is None:
        return [""]
    return list(value) if isinstance(value, tuple | list) else [value]


def test_default_language_is_chinese_and_english_can_be_chosen(client, app_ctx):
    assert "登录电子政务学院" in client.get("/login").text
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").text
    assert '<html lang="en">' in page and "登录电子政务学院" not in page and "E-Gov Academy" in page
