"""Moodle XML (``<quiz>`` of ``<question type="…">``), read with defusedxml so that entity tricks and external
references in an uploaded file are refused.

A ``category`` pseudo-question tags the questions after it; multichoice, truefalse, shortanswer, numerical and
essay map onto our types as described in :mod:`question_bank.formats`; every other type is listed with a skip
reason naming it. Question text and feedback HTML is sanitized and kept as is (our Markdown allows sanitized
inline HTML).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from question_bank.formats import ParsedQuestion
from question_bank.formats.gift import (
    ESSAY_SKIP,
    Answer,
    FormatError,
    category_tags,
    choice_key,
    clean,
    fill_blank,
    finish,
    make_draft,
    numeric_answer,
    percent,
    plain,
)
from question_bank.services.authoring import QuestionDraft
from question_bank.types import LETTERS
from training.core.markdown import sanitize_html, to_plain_text

SKIPPED_TYPES = {
    "matching": "配对题", "cloze": "完形填空", "multianswer": "完形填空", "ddwtos": "拖放填词题",
    "gapselect": "下拉选词填空题", "ddimageortext": "图片拖放题", "ddmarker": "图片标记题", "calculated": "计算题",
    "calculatedsimple": "简易计算题", "calculatedmulti": "计算选择题", "description": "说明文字",
    "random": "随机抽题", "randomsamatch": "随机配对题", "ordering": "排序题",
}
_FULL = Decimal(100)
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*(["'])([A-Za-z0-9._-]+)\1""")
_SINGLE_PARAGRAPH = re.compile(r"^<p>((?:(?!<p[ >]).)*)</p>$", re.DOTALL)


def skip_reason(kind: str) -> str:
    """Why a question of a type we cannot represent is skipped, naming the type in Chinese and English."""
    if kind in SKIPPED_TYPES:
        return f"{SKIPPED_TYPES[kind]}（{kind}）无法表示，已跳过"
    return f"题型 {kind or '（未注明）'} 无法表示，已跳过"


def parse_moodle_xml(content: bytes) -> list[ParsedQuestion]:
    """Every question of a Moodle XML export, in file order (categories are not questions); a malformed file
    gives a single entry with ref ``文件``. Never raises."""
    try:
        root = fromstring(_as_utf8(content))
    except DefusedXmlException:
        return [ParsedQuestion("文件", errors=["XML 格式错误：文件含有实体或外部引用声明，出于安全考虑不予读取"])]
    except (ParseError, ValueError, LookupError) as exc:
        return [ParsedQuestion("文件", errors=[f"XML 格式错误：{exc}"])]
    if root.tag != "quiz":
        return [ParsedQuestion("文件", errors=[f"XML 格式错误：根元素应为 <quiz>，而不是 <{root.tag}>"])]
    results: list[ParsedQuestion] = []
    tags: list[str] = []
    for element in root.findall("question"):
        kind = (element.get("type") or "").strip()
        if kind == "category":
            tags = category_tags(_text(element, "category"))
            continue
        results.append(_question(element, kind, len(results) + 1, tags))
    return results


def _as_utf8(content: bytes) -> bytes:
    """The file re-encoded as UTF-8 when its declaration names another encoding (GBK, GB2312, GB18030…):
    the XML parser reads no multi-byte encoding but UTF-8 and UTF-16."""
    match = _DECLARED.match(content)
    if not match or match.group(2).decode("ascii", "replace").lower().replace("_", "-") in ("utf-8", "utf8"):
        return content
    try:
        text = content.decode(match.group(2).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return content  # the parser reports it
    return text.replace(match.group(2).decode("ascii"), "UTF-8", 1).encode("utf-8")


def _text(element: Element, path: str) -> str:
    """The ``<text>`` of a child such as ``questiontext`` (empty when absent)."""
    return element.findtext(f"{path}/text") or ""


def _format(element: Element, path: str) -> str:
    """The ``format`` attribute of a child (``html``, ``moodle_auto_format``, ``plain_text``, ``markdown``)."""
    child = element.find(path)
    return (child.get("format") or "") if child is not None else ""


def _question(element: Element, kind: str, number: int, tags: list[str]) -> ParsedQuestion:
    """One ``<question>`` (not a category) as a draft, a skip reason or errors."""
    name = _text(element, "name").strip()
    ref = f"“{name}”（第 {number} 题）" if name else f"第 {number} 题"
    builder = _BUILDERS.get(kind)
    if builder is None:
        return ParsedQuestion(ref, skip_reason=skip_reason(kind), tags=list(tags), name=name)
    try:
        draft = builder(element, clean(_text(element, "questiontext"), _format(element, "questiontext")),
                        clean(_text(element, "generalfeedback"), _format(element, "generalfeedback")))
    except FormatError as exc:
        return ParsedQuestion(ref, errors=[str(exc)], tags=list(tags), name=name)
    if isinstance(draft, str):
        return ParsedQuestion(ref, skip_reason=draft, tags=list(tags), name=name)
    draft.points = _points(element.findtext("defaultgrade"), draft.points)
    _apply_egov_tags(element, draft)
    return finish(ref, draft, name=name, tags=tags)


def _apply_egov_tags(element: Element, draft) -> None:
    """Our own export carries difficulty, knowledge point and competency as tags ``egov:key=value``."""
    for tag in element.findall("tags/tag/text"):
        key, _sep, value = (tag.text or "").strip().partition("=")
        if key == "egov:difficulty" and value.isdigit() and 1 <= int(value) <= 5:
            draft.difficulty = int(value)
        elif key == "egov:kp" and value:
            draft.knowledge_point = value
        elif key == "egov:competency" and value:
            draft.competency = value
        elif key == "egov:keyword" and value and draft.type == "short_answer":
            draft.extra.setdefault("keywords", []).append(value)


def _points(text: str | None, default: Decimal) -> Decimal:
    """``<defaultgrade>`` when it is a positive number (two decimals, as we store points), else the default."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return default
    return value.quantize(Decimal("0.01")) if value.is_finite() and value > 0 else default


def _fraction(answer: Element) -> Decimal:
    """An answer's ``fraction`` attribute in percent."""
    text = (answer.get("fraction") or "0").strip()
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise FormatError(f"答案得分比例“{text}”不是数字") from exc


def _option(answer: Element) -> str:
    """An option's text, sanitized, without the lone ``<p>`` editors wrap it in."""
    text = clean(_text(answer, "."), answer.get("format") or "")
    match = _SINGLE_PARAGRAPH.match(text)
    return match.group(1).strip() if match else text


def _multichoice(element: Element, stem: str, explanation: str) -> QuestionDraft:
    """``<single>true</single>``: the 100% option is the key (partial ones noted); ``false``: every option with a
    positive fraction is."""
    answers = element.findall("answer")
    options, weights = [_option(answer) for answer in answers], [_fraction(answer) for answer in answers]
    single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
    if not single:
        kind, key, notes = choice_key(weights)
        return make_draft(kind, stem, key, explanation, notes, options)
    right = [index for index, weight in enumerate(weights) if weight >= _FULL]
    if len(right) != 1:
        raise FormatError(f"单选题应恰有一个满分（100%）选项，原题有 {len(right)} 个")
    if len(options) > len(LETTERS):
        raise FormatError(f"选择题最多 {len(LETTERS)} 个选项，原题有 {len(options)} 个")
    partial = [f"{LETTERS[index]}（{percent(weight)}%）" for index, weight in enumerate(weights) if 0 < weight < _FULL]
    notes = [f"原题另有部分得分选项：{'、'.join(partial)}，导入后不计分"] if partial else []
    return make_draft("single", stem, LETTERS[right[0]], explanation, notes, options)


def _truefalse(element: Element, stem: str, explanation: str) -> QuestionDraft:
    """The answer worth 100% says ``true`` or ``false``."""
    right = [plain(_text(answer, "."), "").lower() for answer in element.findall("answer")
             if _fraction(answer) >= _FULL]
    if len(right) != 1 or right[0] not in ("true", "false"):
        raise FormatError("判断题应恰有一个满分答案，且为 true 或 false")
    return make_draft("true_false", stem, right[0] == "true", explanation)


def _shortanswer(element: Element, stem: str, explanation: str) -> QuestionDraft:
    """Accepted words of one blank: the 100% answers."""
    answers = [Answer(plain(_text(answer, "."), answer.get("format") or ""), _fraction(answer))
               for answer in element.findall("answer")]
    stem, key, notes = fill_blank(stem, [answer for answer in answers if answer.text])
    return make_draft("fill_blank", stem, key, explanation, notes)


def _numerical(element: Element, stem: str, explanation: str) -> QuestionDraft:
    """The 100% value is the accepted answer; tolerances and partial answers are noted."""
    answers = [numeric_answer(_text(answer, "."), answer.findtext("tolerance") or "", _fraction(answer))
               for answer in element.findall("answer") if _text(answer, ".").strip() not in ("", "*")]
    stem, key, notes = fill_blank(stem, answers)
    return make_draft("fill_blank", stem, key, explanation, notes)


def _essay(element: Element, stem: str, explanation: str) -> QuestionDraft | str:
    """The grader information is the reference answer; without it the essay cannot be imported."""
    text = _text(element, "graderinfo")
    if _format(element, "graderinfo") in ("html", "moodle_auto_format"):
        reference = to_plain_text(sanitize_html(text))
    else:
        reference = plain(text, "")
    if not reference:
        return ESSAY_SKIP
    return make_draft("short_answer", stem, reference, explanation)


_BUILDERS = {"multichoice": _multichoice, "truefalse": _truefalse, "shortanswer": _shortanswer,
             "numerical": _numerical, "essay": _essay}
