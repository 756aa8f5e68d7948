"""Question types as a registry of classes (CTFd's flag registry shape): each validates its own definition,
says what a candidate may see, normalises a response and scores it.

A definition is ``{"stem", "options", "key", "extra"}``:

| type | options | key | extra |
|---|---|---|---|
| single | 2–6 texts | one letter, ``"B"`` | |
| multiple | 2–6 texts | two or more letters, ``"ABD"`` | |
| true_false | none | ``true`` / ``false`` | |
| fill_blank | none | one list of accepted answers per ``____`` in the stem | |
| short_answer | none | reference answer (text) | ``{"keywords": [...]}`` for the grader |
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l

LETTERS = "ABCDEF"
BLANK = "____"
ALL_OR_NOTHING, PARTIAL, PER_OPTION = "all_or_nothing", "partial", "per_option"


def normalise_text(text: str) -> str:
    """Full-width → half-width (NFKC), whitespace removed, case folded: how fill-in answers are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def count_blanks(stem: str) -> int:
    return stem.count(BLANK)


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class QuestionType:
    """Base of every question type."""

    name: ClassVar[str]
    label: ClassVar[object]
    auto_graded: ClassVar[bool] = True

    def validate(self, stem: str, options: list[str], key: Any, extra: dict) -> list[str]:
        """Messages (Chinese) for everything wrong with the definition; empty when valid."""
        return [] if stem.strip() else ["题干不能为空"]

    def candidate_view(self, options: list[str]) -> dict:
        """What a candidate may see beyond the stem: never the key."""
        return {"options": list(options)}

    def normalise_response(self, response: Any) -> Any:
        """A canonical form of a candidate's response, or None when it is not one."""
        return response

    def score(self, key: Any, response: Any, points: Decimal, policy: str = ALL_OR_NOTHING) -> Decimal | None:
        """Points earned (None when a person must grade)."""
        raise NotImplementedError

    def key_text(self, key: Any) -> str:
        """The key as examiners read it."""
        return str(key)


class ChoiceType(QuestionType):
    multiple: ClassVar[bool]

    def validate(self, stem, options, key, extra):
        errors = super().validate(stem, options, key, extra)
        if not 2 <= len(options) <= 6 or any(not str(option).strip() for option in options):
            errors.append("选择题需要 2–6 个非空选项")
        letters = LETTERS[:len(options)]
        key = str(key or "")
        if not key or any(letter not in letters for letter in key) or len(set(key)) != len(key):
            errors.append(f"答案应为选项字母（{letters}）")
        elif self.multiple and len(key) < 2:
            errors.append("多选题至少有两个正确选项")
        elif not self.multiple and len(key) != 1:
            errors.append("单选题只能有一个正确选项")
        return errors

    def normalise_response(self, response):
        if isinstance(response, str):
            letters = sorted(set(response.upper()) & set(LETTERS))
            return "".join(letters) or None
        if isinstance(response, list):
            return self.normalise_response("".join(str(item) for item in response))
        return None

    def key_text(self, key):
        return str(key)


class SingleChoice(ChoiceType):
    name, label, multiple = "single", _l("单选题"), False

    def score(self, key, response, points, policy=ALL_OR_NOTHING):
        return points if self.normalise_response(response) == key else Decimal("0")


class MultipleChoice(ChoiceType):
    name, label, multiple = "multiple", _l("多选题"), True

    def score(self, key, response, points, policy=ALL_OR_NOTHING):
        """all_or_nothing: exact set; partial: share of right options if no wrong one is chosen; per_option:
        +1/n per right option chosen, −1/n per wrong one, floor 0."""
        chosen = set(self.normalise_response(response) or "")
        right = set(key)
        if policy == ALL_OR_NOTHING or not chosen:
            return points if chosen == right else Decimal("0")
        if policy == PARTIAL:
            if chosen - right:
                return Decimal("0")
            return _round(points * len(chosen & right) / len(right))
        gained = len(chosen & right) - len(chosen - right)
        return max(Decimal("0"), _round(points * gained / len(right)))


class TrueFalse(QuestionType):
    name, label = "true_false", _l("判断题")

    def validate(self, stem, options, key, extra):
        errors = super().validate(stem, options, key, extra)
        if not isinstance(key, bool):
            errors.append("判断题答案应为“正确”或“错误”")
        return errors

    def candidate_view(self, options):
        return {"options": []}

    def normalise_response(self, response):
        if isinstance(response, bool):
            return response
        text = normalise_text(response) if response is not None else ""
        if text in ("true", "t", "正确", "对", "√", "是", "1"):
            return True
        if text in ("false", "f", "错误", "错", "×", "否", "0"):
            return False
        return None

    def score(self, key, response, points, policy=ALL_OR_NOTHING):
        return points if self.normalise_response(response) is key else Decimal("0")

    def key_text(self, key):
        return "正确" if key else "错误"


class FillBlank(QuestionType):
    name, label = "fill_blank", _l("填空题")

    def validate(self, stem, options, key, extra):
        errors = super().validate(stem, options, key, extra)
        if not isinstance(key, list) or not key or not all(
                isinstance(blank, list) and blank and all(str(answer).strip() for answer in blank) for blank in key):
            errors.append("填空题答案应为每个空一组可接受的答案")
        elif count_blanks(stem) != len(key):
            errors.append(f"题干中有 {count_blanks(stem)} 个空（____），答案却有 {len(key)} 组")
        return errors

    def candidate_view(self, options):
        return {"options": []}

    def normalise_response(self, response):
        if isinstance(response, str):
            response = [response]
        if not isinstance(response, list):
            return None
        return [normalise_text(item) if item is not None else "" for item in response]

    def score(self, key, response, points, policy=ALL_OR_NOTHING):
        """Each blank is worth an equal share; a blank is right when it matches any accepted answer."""
        given = self.normalise_response(response) or []
        right = sum(1 for index, accepted in enumerate(key)
                    if index < len(given) and given[index] in {normalise_text(answer) for answer in accepted})
        return _round(points * right / len(key))

    def key_text(self, key):
        return "｜".join("/".join(blank) for blank in key)


class ShortAnswer(QuestionType):
    name, label, auto_graded = "short_answer", _l("简答题"), False

    def validate(self, stem, options, key, extra):
        errors = super().validate(stem, options, key, extra)
        if not isinstance(key, str) or not key.strip():
            errors.append("简答题需要参考答案")
        if not isinstance(extra.get("keywords", []), list):
            errors.append("评分关键词应为列表")
        return errors

    def candidate_view(self, options):
        return {"options": []}

    def normalise_response(self, response):
        return str(response).strip() if response is not None else None

    def score(self, key, response, points, policy=ALL_OR_NOTHING):
        return None  # graded by a person (manual grading queue)


QUESTION_TYPES: dict[str, QuestionType] = {cls.name: cls() for cls in
                                           (SingleChoice, MultipleChoice, TrueFalse, FillBlank, ShortAnswer)}
TYPE_BY_CHINESE = {"单选": "single", "单选题": "single", "多选": "multiple", "多选题": "multiple",
                   "判断": "true_false", "判断题": "true_false", "填空": "fill_blank", "填空题": "fill_blank",
                   "简答": "short_answer", "简答题": "short_answer"}
DEFAULT_POINTS = {"single": Decimal("2"), "multiple": Decimal("3"), "true_false": Decimal("1"),
                  "fill_blank": Decimal("2"), "short_answer": Decimal("10")}


def get_question_type(name: str) -> QuestionType:
    """The registered type called ``name``; KeyError for an unknown one."""
    return QUESTION_TYPES[name]
