"""Aiken: a question line, options ``A) …`` or ``A. …``, then ``ANSWER: B``; blank lines between questions."""

from __future__ import annotations

import re

from question_bank.formats import ParsedQuestion
from question_bank.services.authoring import QuestionDraft
from question_bank.types import DEFAULT_POINTS
from training.core.markdown import sanitize_html

_OPTION = re.compile(r"^([A-Z])[.)]\s*(.*)$")
_ANSWER = re.compile(r"^ANSWER:\s*([A-Z])\s*$", re.IGNORECASE)


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Chinese Windows tools write)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030", errors="replace")


def parse_aiken(content: bytes) -> list[ParsedQuestion]:
    """Every Aiken question as a single-choice draft, or with the reason it is broken."""
    results, block, start = [], [], 0
    for number, line in enumerate([*decode(content).splitlines(), ""], start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line.strip())
        elif block:
            results.append(_question(block, start))
            block = []
    return results


def _question(lines: list[str], start: int) -> ParsedQuestion:
    ref = f"第 {start} 行"
    stem_lines, options, answer = [], [], None
    for line in lines:
        if (match := _ANSWER.match(line)) and options:
            answer = match.group(1).upper()
        elif (match := _OPTION.match(line)) and stem_lines:
            options.append((match.group(1), match.group(2)))
        elif not options:
            stem_lines.append(line)
        else:
            return ParsedQuestion(ref, errors=[f"无法识别的行：“{line[:40]}”"])
    letters = [letter for letter, _ in options]
    if not stem_lines or len(options) < 2 or answer is None:
        return ParsedQuestion(ref, errors=["Aiken 题目需要题干、至少两个选项和 ANSWER: 行"])
    if letters != [chr(ord("A") + i) for i in range(len(letters))] or answer not in letters:
        return ParsedQuestion(ref, errors=["选项字母应从 A 起连续，答案必须是其中之一"])
    draft = QuestionDraft(type="single", stem_md=sanitize_html(" ".join(stem_lines)), key=answer,
                          options=[sanitize_html(text) for _, text in options], points=DEFAULT_POINTS["single"])
    return ParsedQuestion(ref, draft=draft)
