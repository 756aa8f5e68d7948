"""Writing questions as GIFT and Moodle XML (Excel lives in excel.py). What a format cannot hold is left out
and counted: GIFT has one blank per question and no reference answers; neither format has our difficulty,
knowledge point or competency, which Moodle XML carries as tags (``egov:difficulty=3`` …)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from question_bank.services.authoring import QuestionDraft
from question_bank.types import LETTERS, count_blanks

_GIFT_SPECIAL = "\\~=#{}:"


def gift_escape(text: str) -> str:
    """Backslash-escape GIFT's control characters (and the backslash itself)."""
    return "".join("\\" + ch if ch in _GIFT_SPECIAL else ch for ch in text).replace("\n", " ")


def draft_to_gift(name: str, draft: QuestionDraft) -> str | None:
    """One GIFT question, or None when GIFT cannot hold it (several blanks; short answers)."""
    explanation = f"####{gift_escape(draft.explanation_md)}" if draft.explanation_md else ""
    if draft.type == "single":
        answers = " ".join(("=" if LETTERS[i] == draft.key else "~") + gift_escape(option)
                           for i, option in enumerate(draft.options))
    elif draft.type == "multiple":
        weight = f"{100 / len(draft.key):.5f}".rstrip("0").rstrip(".")
        answers = " ".join(f"~%{weight}%" + gift_escape(option) if LETTERS[i] in draft.key
                           else f"~%-100%{gift_escape(option)}" for i, option in enumerate(draft.options))
    elif draft.type == "true_false":
        answers = "T" if draft.key else "F"
    elif draft.type == "fill_blank" and count_blanks(draft.stem_md) == 1:
        before, after = draft.stem_md.split("____", 1)
        block = "{" + " ".join("=" + gift_escape(answer) for answer in draft.key[0]) + explanation + "}"
        return f"::{gift_escape(name)}::[markdown]{gift_escape(before)}{block}{gift_escape(after)}"
    else:
        return None
    return f"::{gift_escape(name)}::[markdown]{gift_escape(draft.stem_md)}{{{answers}{explanation}}}"


def _text(tag: str, text: str, fmt: str | None = None) -> str:
    attr = f' format="{fmt}"' if fmt else ""
    return f"<{tag}{attr}><text>{escape(text)}</text></{tag}>"


def _answer(fraction: str, text: str) -> str:
    return f'<answer fraction="{fraction}" format="plain_text"><text>{escape(text)}</text></answer>'


def draft_to_moodle(name: str, draft: QuestionDraft) -> str | None:
    """One Moodle XML ``<question>``, or None when Moodle XML cannot hold it (several blanks)."""
    head = [_text("name", name), _text("questiontext", draft.stem_md, "markdown"),
            _text("generalfeedback", draft.explanation_md, "markdown"),
            f"<defaultgrade>{draft.points}</defaultgrade>"]
    if draft.type in ("single", "multiple"):
        share = f"{100 / len(draft.key):.5f}".rstrip("0").rstrip(".")
        body = [f"<single>{'true' if draft.type == 'single' else 'false'}</single>",
                *(_answer(("100" if draft.type == "single" else share) if LETTERS[i] in draft.key else "0", option)
                  for i, option in enumerate(draft.options))]
        kind = "multichoice"
    elif draft.type == "true_false":
        body, kind = [_answer("100" if draft.key else "0", "true"), _answer("0" if draft.key else "100", "false")], \
            "truefalse"
    elif draft.type == "fill_blank" and count_blanks(draft.stem_md) == 1:
        body, kind = [_answer("100", answer) for answer in draft.key[0]], "shortanswer"
    elif draft.type == "short_answer":
        body, kind = [_text("graderinfo", draft.key, "markdown")], "essay"
    else:
        return None
    tags = [f"egov:difficulty={draft.difficulty}"]
    tags += [f"egov:kp={draft.knowledge_point}"] if draft.knowledge_point else []
    tags += [f"egov:competency={draft.competency}"] if draft.competency else []
    tags += [f"egov:keyword={word}" for word in draft.extra.get("keywords", [])]
    tag_xml = "<tags>" + "".join(f"<tag><text>{escape(tag)}</text></tag>" for tag in tags) + "</tags>"
    return f'<question type="{kind}">' + "".join(head + body) + tag_xml + "</question>"


def moodle_document(questions: list[str], category: str = "电子政务学院") -> str:
    """A Moodle XML quiz file with one category."""
    category_xml = f'<question type="category"><category><text>$course$/{escape(category)}</text></category></question>'
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join([category_xml, *questions]) + "\n</quiz>\n"
