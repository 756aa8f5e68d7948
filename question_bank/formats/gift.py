"""GIFT, Moodle's plain-text question format, read by our own parser (no library exists).

Questions are separated by blank lines; ``//`` lines are comments; ``$CATEGORY: a/b`` tags the questions after
it; ``::name::`` titles a question; ``[html]`` / ``[markdown]`` / ``[plain]`` / ``[moodle]`` give the text
format; ``\\:`` ``\\~`` ``\\=`` ``\\#`` ``\\{`` ``\\}`` ``\\\\`` escape the control characters (``\\n`` is a
line break). The answer block ``{…}`` may stand anywhere in the text: when text follows it, the stem gets a
blank (``____``) where the block was ("missing word"). Per-answer feedback (``#…``) is dropped, general
feedback (``####…``) becomes the explanation.

The helpers below (:func:`category_tags`, :func:`clean`, :func:`plain`, :func:`choice_key`,
:func:`fill_blank`, :func:`finish`) are shared with the Moodle XML reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from question_bank.formats import ParsedQuestion
from question_bank.services.authoring import QuestionDraft
from question_bank.types import BLANK, DEFAULT_POINTS, LETTERS, get_question_type
from training.core.markdown import sanitize_html, to_plain_text

ESSAY_SKIP = "简答题（essay）没有参考答案，无法导入"
MATCHING_SKIP = "配对题（matching）无法表示，已跳过"
DESCRIPTION_SKIP = "说明文字（description）无法表示，已跳过"

# Escaped control characters live as private-use code points while the question is taken apart.
_PLACEHOLDERS = {":": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005",
                 "\\": "\ue006"}
_RESTORE = str.maketrans({held: char for char, held in _PLACEHOLDERS.items()})
_ESCAPE = re.compile(r"\\([\\:~=#{}n])")
_FORMAT = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d*)?)%")
_TAG = re.compile(r"<[A-Za-z/!?]")
_CONTEXT = re.compile(r"^\$(course|system|module|coursecategory)\$/?")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_FULL = Decimal(100)


class FormatError(ValueError):
    """A question that cannot be read; the message (Chinese) goes to ``ParsedQuestion.errors``."""


@dataclass
class Answer:
    """One answer of a block: its text, its weight in percent and, for numbers, the allowed variance
    (``误差 ±1`` or ``范围 3.141..3.142``)."""

    text: str
    weight: Decimal
    variance: str = ""


# --- helpers shared with the Moodle XML reader ----------------------------------------------------------------


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Chinese Windows tools write)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="replace")


def category_tags(path: str) -> list[str]:
    """A Moodle category path as tags: ``$course$/top/Iota/Kappa`` → ``["Iota", "Kappa"]`` (``//`` is a slash
    inside a name)."""
    path = _CONTEXT.sub("", path.strip())
    parts = [part.replace("//", "/").strip() for part in re.split(r"(?<!/)/(?!/)", path)]
    parts = [part for part in parts if part]
    return parts[1:] if parts[:1] == ["top"] else parts


def clean(text: str, fmt: str) -> str:
    """Text for a stem, an option or an explanation: HTML (or anything that looks like it) sanitized."""
    text = text.translate(_RESTORE).strip()
    return sanitize_html(text).strip() if fmt == "html" or _TAG.search(text) else text


def plain(text: str, fmt: str) -> str:
    """Text for an accepted answer: no markup at all."""
    text = text.translate(_RESTORE).strip()
    return to_plain_text(sanitize_html(text)) if fmt == "html" or _TAG.search(text) else text


def percent(weight: Decimal) -> str:
    """``Decimal("50.000")`` → ``"50"``."""
    return f"{weight.normalize():f}"


def choice_key(weights: list[Decimal]) -> tuple[str, str, list[str]]:
    """(type, key, notes) of a choice question from the weights of its options. As in Moodle, a question with
    one full-credit option is single choice (partial-credit options are noted and score nothing here); a
    question whose credit is shared by two or more options is multiple choice (negative weight = wrong)."""
    if len(weights) > len(LETTERS):
        raise FormatError(f"选择题最多 {len(LETTERS)} 个选项，原题有 {len(weights)} 个")
    positive = [index for index, weight in enumerate(weights) if weight > 0]
    if not positive:
        raise FormatError("选择题没有正确选项")
    full = [index for index in positive if weights[index] >= _FULL]
    if len(full) == 1:
        partial = [f"{LETTERS[index]}（{percent(weights[index])}%）" for index in positive if index != full[0]]
        notes = [f"原题另有部分得分选项：{'、'.join(partial)}，导入后不计分"] if partial else []
        return "single", LETTERS[full[0]], notes
    if len(positive) == 1:
        raise FormatError("选择题唯一的正确选项应为满分（100%）")
    key = "".join(LETTERS[index] for index in positive)
    notes = []
    if len({weights[index] for index in positive}) > 1:
        shares = "、".join(f"{LETTERS[index]} {percent(weights[index])}%" for index in positive)
        notes.append(f"原题各正确选项得分不同（{shares}），导入后按多选题评分，须选全 {key}")
    return "multiple", key, notes


def fill_blank(stem: str, answers: list[Answer]) -> tuple[str, list[list[str]], list[str]]:
    """(stem, key, notes) of a one-blank question: full-credit answers are accepted, partial ones noted."""
    full = [answer for answer in answers if answer.weight >= _FULL]
    if not full:
        raise FormatError("填空题没有满分（100%）答案")
    accepted = list(dict.fromkeys(answer.text for answer in full))
    notes = [f"原题允许{answer.variance}，导入后按精确值{_shown(answer)}评分" for answer in full if answer.variance]
    partial = [f"{answer.text}（{answer.variance + '，' if answer.variance else ''}{percent(answer.weight)}%）"
               for answer in answers if 0 < answer.weight < _FULL]
    if partial:
        notes.append(f"原题另有部分得分答案：{'、'.join(partial)}，导入后不计分")
    if BLANK not in stem:
        stem = stem[:-4] + f" {BLANK}</p>" if stem.endswith("</p>") else f"{stem} {BLANK}"
    return stem, [accepted], notes


def _shown(answer: Answer) -> str:
    """The exact value named in a note when it is not obvious (the middle of a range)."""
    return f" {answer.text} " if answer.variance.startswith("范围") else ""


def numeric_answer(value: str, tolerance: str, weight: Decimal) -> Answer:
    """An accepted number: ``value`` with ``tolerance`` (both as written), or a range ``low..high``."""
    value, tolerance = value.strip(), tolerance.strip()
    try:
        if ".." in value:
            low, high = (Decimal(part) for part in value.split("..", 1))
            if not (low.is_finite() and high.is_finite()):
                raise InvalidOperation(value)
            middle = percent((low + high) / 2)
            return Answer(middle, weight, f"范围 {value}" if low != high else "")
        number, allowed = Decimal(value), Decimal(tolerance or "0")
        if not (number.is_finite() and allowed.is_finite()):
            raise InvalidOperation(value)
    except InvalidOperation as exc:
        raise FormatError(f"数值题答案“{value}{':' + tolerance if tolerance else ''}”不是数字") from exc
    return Answer(percent(number) if "e" in value.lower() else value, weight,
                  f"误差 ±{percent(abs(allowed))}" if allowed else "")


def make_draft(kind: str, stem: str, key: Any, explanation: str, notes: list[str] | None = None,
               options: list[str] | None = None) -> QuestionDraft:
    """A draft with the imported defaults (difficulty 3, no knowledge point, the type's default points);
    ``notes`` about what the import changed are appended to the explanation."""
    return QuestionDraft(type=kind, stem_md=stem, key=key, options=list(options or []),
                         extra={"keywords": []} if kind == "short_answer" else {},
                         explanation_md="\n\n".join(part for part in [explanation, *(notes or [])] if part),
                         points=DEFAULT_POINTS[kind])


def finish(ref: str, draft: QuestionDraft, *, name: str = "", tags: list[str] | None = None) -> ParsedQuestion:
    """The draft, or the reasons our question type rejects it."""
    errors = get_question_type(draft.type).validate(draft.stem_md, draft.options, draft.key, draft.extra)
    if errors:
        return ParsedQuestion(ref, errors=errors, tags=list(tags or []), name=name)
    return ParsedQuestion(ref, draft=draft, tags=list(tags or []), name=name)


# --- GIFT -------------------------------------------------------------------------------------------------------


def parse_gift(content: bytes) -> list[ParsedQuestion]:
    """Every question of a GIFT file, in file order: a draft, a skip reason or errors — never an exception."""
    results: list[ParsedQuestion] = []
    tags: list[str] = []
    for block in _blocks(decode(content)):
        while block and block[0][1].upper().startswith("$CATEGORY:"):
            tags = category_tags(block[0][1][len("$CATEGORY:"):])
            block = block[1:]
        if block:
            results.append(_question(block, tags))
    return results


def _blocks(text: str) -> Iterator[list[tuple[int, str]]]:
    """Blank-line-separated groups of (line number, stripped line), comment lines left out."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        line = line.strip()
        if not line:
            if block:
                yield block
            block = []
        elif not line.startswith("//"):
            block.append((number, line))


def _question(block: list[tuple[int, str]], tags: list[str]) -> ParsedQuestion:
    """One question from its lines."""
    text = _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else _PLACEHOLDERS[m.group(1)],
                       "\n".join(line for _, line in block))
    name = ""
    if text.startswith("::") and "::" in text[2:]:
        name, text = text[2:].split("::", 1)
        name = name.translate(_RESTORE).strip()
    ref = f"第 {block[0][0]} 行" + (f"“{name}”" if name else "")
    try:
        draft = _draft(text.strip())
    except FormatError as exc:
        return ParsedQuestion(ref, errors=[str(exc)], tags=list(tags), name=name)
    if isinstance(draft, str):
        return ParsedQuestion(ref, skip_reason=draft, tags=list(tags), name=name)
    return finish(ref, draft, name=name, tags=tags)


def _split_format(text: str, default: str) -> tuple[str, str]:
    """(format, text without its ``[format]`` prefix)."""
    match = _FORMAT.match(text)
    return (match.group(1).lower(), text[match.end():]) if match else (default, text)


def _draft(text: str) -> QuestionDraft | str:
    """The draft of a question's text (name removed), or a skip reason."""
    if text.startswith("::"):
        raise FormatError("题目名称缺少结尾的 ::")
    if not text:
        raise FormatError("只有题目名称，没有题目内容")
    fmt, text = _split_format(text, "moodle")
    opening, closing = text.count("{"), text.count("}")
    if not opening and not closing:
        return DESCRIPTION_SKIP
    if opening != 1 or closing != 1 or text.index("}") < text.index("{"):
        raise FormatError("答案块的花括号不配对：每道题应有且只有一对 { }（字面的花括号请写成 \\{ \\}）")
    before, rest = text.split("{", 1)
    body, after = rest.split("}", 1)
    body, _, general = body.partition("####")
    stem = clean(before + BLANK + after if after.strip() else before, fmt)
    if not stem:
        raise FormatError("题干为空")
    return _from_block(body.strip(), stem, fmt, clean(general, fmt))


def _from_block(body: str, stem: str, fmt: str, explanation: str) -> QuestionDraft | str:
    """Dispatch on what the answer block holds: essay, number, true/false, matching, choice or words."""
    if not body:
        return ESSAY_SKIP
    if body.startswith("#"):
        stem, key, notes = fill_blank(stem, _numbers(body[1:].strip()))
        return make_draft("fill_blank", stem, key, explanation, notes)
    head = body.split("#", 1)[0].strip().upper()
    if head in _TRUE_FALSE:
        return make_draft("true_false", stem, _TRUE_FALSE[head], explanation)
    answers = _answers(body, fmt)
    if any("->" in text for _, _, text, _ in answers):
        return MATCHING_SKIP
    if any(marker == "~" for marker, _, _, _ in answers):
        kind, key, notes = choice_key([weight for _, _, _, weight in answers])
        options = [clean(text, answer_fmt) for _, answer_fmt, text, _ in answers]
        return make_draft(kind, stem, key, explanation, notes, options)
    stem, key, notes = fill_blank(stem, [Answer(plain(text, answer_fmt), weight)
                                         for _, answer_fmt, text, weight in answers])
    return make_draft("fill_blank", stem, key, explanation, notes)


def _answers(body: str, fmt: str) -> list[tuple[str, str, str, Decimal]]:
    """(marker, format, text, weight in percent) of each ``=`` / ``~`` answer; per-answer feedback dropped."""
    parts = re.split(r"([=~])", body)
    if parts[0].strip():
        stray = parts[0].strip().translate(_RESTORE)[:30]
        raise FormatError(f"答案块中有无法识别的内容“{stray}”：每个答案应以 = 或 ~ 开头")
    answers = []
    for marker, chunk in zip(parts[1::2], parts[2::2], strict=True):
        text = chunk.split("#", 1)[0]
        weight = _FULL if marker == "=" else Decimal(0)
        if match := _WEIGHT.match(text):
            weight, text = Decimal(match.group(1)), text[match.end():]
        answer_fmt, text = _split_format(text.strip(), fmt)
        answers.append((marker, answer_fmt, text.strip(), weight))
    if not answers:
        raise FormatError("答案块中没有答案")
    return answers


def _numbers(body: str) -> list[Answer]:
    """The answers of a numerical block: ``1822``, ``1822:1``, ``3.141..3.142`` or ``=1822:0 =%50%1822:2``."""
    if body[:1] in ("=", "~"):
        written = [(text, weight) for marker, _, text, weight in _answers(body, "plain") if marker == "="]
    else:
        written = [(body.split("#", 1)[0].strip(), _FULL)]
    written = [(text.translate(_RESTORE), weight) for text, weight in written if text]
    if not written:
        raise FormatError("数值题没有答案")
    return [numeric_answer(*_value_tolerance(text), weight) for text, weight in written]


def _value_tolerance(text: str) -> tuple[str, str]:
    """``"1822:2"`` → ``("1822", "2")``; ``"1822"`` → ``("1822", "")``."""
    value, _, tolerance = text.partition(":")
    return value, tolerance
