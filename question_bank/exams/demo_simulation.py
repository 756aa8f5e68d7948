"""Simulated candidates for the demo's past exams: a two-parameter logistic (2PL) model of who answers what.

Each official has a latent ability θ (normal, seeded by employee number, with a small department and rank
effect); each question version a difficulty b (from its difficulty 1–5) and a discrimination a (mostly 0.6–1.8,
about 3 % near zero or negative, as real banks have flawed items). P(right) = 1 / (1 + exp(−a(θ − b))).
Wrong answers look like real ones: one attractive distractor, partly right multiple choices, wrong or empty
blanks, short answers written from fragments of the reference answer and graded roughly by their content.
Everything is deterministic: generators are seeded by strings (``random.Random`` hashes them with SHA-512).
Nothing here touches the database: ``demo_history`` writes what this module simulates.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from question_bank.exams.services.drawing import DrawnItem
from question_bank.types import LETTERS

FLAWED_SHARE = 0.03
FLAWED_BELOW = 0.2  # flawed items have a in [−0.6, 0.15), the others in [0.6, 1.8)
_TYPE_SHIFT = {"true_false": -0.5, "single": -0.1, "multiple": 0.25, "fill_blank": 0.15, "short_answer": 0.0}
_RANK_EFFECT = (("调研员", 0.2), ("县处级", 0.15), ("乡科级", 0.1), ("主任科员", 0.05), ("科员", -0.1))
# units whose daily work is e-government know the subject better
_EGOV_UNITS = ("-ZW", "-XA-ZW")
_LEAD_INS = (
    "这项工作关系到群众的切身利益，必须高度重视。",
    "我们单位近年来在这方面做了不少探索，效果比较明显。",
    "这个问题在基层工作中经常遇到。",
)
_CLOSINGS = (
    "在实际工作中，要加强组织领导，明确责任分工。",
    "同时要加强学习培训，提高干部运用信息化手段的能力。",
    "各部门要密切配合，形成工作合力。",
    "要坚持以人民为中心，不断提升服务水平。",
    "总之，要把制度建设和技术手段结合起来，常抓不懈。",
)
_NUMERALS = "一二三四五六七八九"
_OPENERS = ("", "", "我认为，", "结合工作实际，", "首先，")


@dataclass(frozen=True)
class ItemParameters:
    """2PL parameters of a question version, and the distractor most candidates fall for."""

    a: float
    b: float
    attractive: int  # index into the wrong options (choice questions)


@dataclass(frozen=True)
class VersionInfo:
    """What the simulation needs to know of a question version."""

    id: int
    question_id: int
    type: str
    key: Any
    options: list[str]
    keywords: list[str]
    difficulty: int
    content_hash: str
    module: str


def ability(employee_no: str, department_code: str, rank: str) -> float:
    """Latent ability θ of an official: a personal normal draw plus a small department and rank effect."""
    personal = random.Random(f"theta:{employee_no}").gauss(0.0, 0.85)
    unit = random.Random(f"unit:{department_code}").gauss(0.0, 0.2)
    if any(marker in department_code for marker in _EGOV_UNITS):
        unit += 0.25
    rank_effect = next((effect for marker, effect in _RANK_EFFECT if marker in rank), 0.0)
    return 0.45 + personal + unit + rank_effect


def item_parameters(version: VersionInfo) -> ItemParameters:
    """Difficulty b = (d − 3)·0.6 + a type shift + noise; discrimination a mostly 0.6–1.8, a few flawed items
    near zero or negative. Seeded by the version's content hash."""
    return _parameters(version.content_hash, version.difficulty, version.type)


@lru_cache(maxsize=4096)
def _parameters(content_hash: str, difficulty: int, kind: str) -> ItemParameters:
    rng = random.Random(f"item:{content_hash}")
    b = (difficulty - 3) * 0.6 + _TYPE_SHIFT.get(kind, 0.0) + rng.gauss(0.0, 0.35)
    a = rng.uniform(-0.6, 0.15) if rng.random() < FLAWED_SHARE else rng.uniform(0.6, 1.8)
    return ItemParameters(a=a, b=b, attractive=rng.randrange(5))


def is_flawed(version: VersionInfo) -> bool:
    """Whether the simulation makes the question a flawed one (discrimination near zero or negative)."""
    return item_parameters(version).a < FLAWED_BELOW


def p_right(theta: float, item: ItemParameters) -> float:
    return 1.0 / (1.0 + math.exp(-item.a * (theta - item.b)))


def _wrong_letter(version: VersionInfo, item: ItemParameters, rng: random.Random, exclude: str) -> str:
    """A wrong option: the attractive distractor about half the time, the others evenly otherwise."""
    wrong = [letter for letter in LETTERS[:len(version.options)] if letter not in exclude]
    if not wrong:
        return ""
    favourite = wrong[item.attractive % len(wrong)]
    return favourite if rng.random() < 0.55 else rng.choice(wrong)


def _multiple_wrong(version: VersionInfo, item: ItemParameters, rng: random.Random) -> str:
    key = str(version.key)
    roll = rng.random()
    if roll < 0.45 and len(key) > 2:  # partly right: one right option missed
        missed = rng.choice(key)
        return "".join(letter for letter in key if letter != missed)
    if roll < 0.45:
        return rng.choice(key)
    extra = _wrong_letter(version, item, rng, key)
    if not extra:
        return key[:-1]
    if roll < 0.8:  # everything right plus the attractive wrong option
        return "".join(sorted(key + extra))
    dropped = rng.choice(key)
    return "".join(sorted(key.replace(dropped, "") + extra))


def _wrong_blank(accepted: list[str], confusions: list[str], rng: random.Random) -> str:
    first = str(accepted[0])
    if first.isdigit():
        return str(int(first) + rng.choice((-2, -1, 1, 2)))
    others = [text for text in confusions if text not in accepted]
    if others and rng.random() < 0.7:
        return rng.choice(others)
    return first[:-1] if len(first) > 1 else first + "化"


def _fill_blank(version: VersionInfo, right: bool, theta: float, rng: random.Random,
                confusions: list[str]) -> list[str] | None:
    key: list[list[str]] = version.key
    own = [str(answer) for blank in key for answer in blank]
    answers, any_wrong = [], False
    for index, accepted in enumerate(key):
        blank_right = right or (len(key) > 1 and rng.random() < 0.45 and (index < len(key) - 1 or any_wrong))
        if blank_right:
            answers.append(str(rng.choice(accepted)))
            continue
        any_wrong = True
        empty_chance = 0.45 if theta < 0 else 0.12
        answers.append("" if rng.random() < empty_chance else _wrong_blank(accepted, own + confusions, rng))
    return answers if any(answer.strip() for answer in answers) else None


def choice_response(version: VersionInfo, item: ItemParameters, right: bool, rng: random.Random) -> Any:
    """The response of a choice or true/false question, in the client's format (letters, or a boolean)."""
    if version.type == "true_false":
        return bool(version.key) if right else not version.key
    if right:
        return str(version.key)
    if version.type == "multiple":
        return _multiple_wrong(version, item, rng)
    return _wrong_letter(version, item, rng, str(version.key)) or str(version.key)


def respond(version: VersionInfo, theta: float, rng: random.Random, confusions: list[str]) -> tuple[Any, float]:
    """A simulated candidate's response to an objective question, and the probability of a right answer it
    was drawn with. A weak candidate sometimes leaves a question unanswered (None)."""
    item = item_parameters(version)
    chance = p_right(theta, item)
    if theta < -0.3 and rng.random() < 0.03:
        return None, chance
    right = rng.random() < chance
    if version.type == "fill_blank":
        return _fill_blank(version, right, theta, rng, confusions), chance
    return choice_response(version, item, right, rng), chance


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[。；！？])", text) if part.strip()]


def _shorten(sentence: str, rng: random.Random) -> str:
    """Candidates write from memory: sometimes only the first clauses of a sentence."""
    clauses = re.split(r"(?<=，)", sentence)
    if len(clauses) > 2 and rng.random() < 0.45:
        return "".join(clauses[:rng.randint(1, len(clauses) - 1)])
    return sentence


def short_answer_quality(version: VersionInfo, theta: float, rng: random.Random) -> float:
    """How much of the reference answer a candidate reproduces (0–1): the 2PL probability with some noise."""
    return min(1.0, max(0.0, p_right(theta, item_parameters(version)) + rng.gauss(0.0, 0.12)))


def short_answer_text(version: VersionInfo, quality: float, rng: random.Random) -> str | None:
    """A short answer written from fragments: reference sentences (more of them for a better candidate),
    partly shortened, mixed with general sentences; a very weak candidate may leave it empty."""
    if quality < 0.08 and rng.random() < 0.5:
        return None
    reference = _sentences(str(version.key))
    count = round(quality * len(reference))
    chosen = sorted(rng.sample(range(len(reference)), count)) if count else []
    parts = _renumber([_shorten(reference[index], rng).rstrip("，；。") + "。" for index in chosen])
    if not parts and version.keywords:
        parts.append(f"关于{rng.choice(version.keywords)}，要结合本单位实际抓好落实。")
    opening = rng.choice(_LEAD_INS) if quality < 0.5 or rng.random() < 0.3 else rng.choice(_OPENERS)
    closings = rng.sample(_CLOSINGS, (quality < 0.5) + (quality < 0.25) + (rng.random() < 0.5))
    return opening + "".join(parts + sorted(closings, key=lambda line: line.startswith("总之")))


def _renumber(parts: list[str]) -> list[str]:
    """Sentences kept from an enumeration ("一是…二是…四是…") are numbered again in order."""
    counter = 0
    for index, part in enumerate(parts):
        if len(part) > 2 and part[0] in _NUMERALS and part[1] == "是":
            parts[index] = _NUMERALS[counter] + part[1:]
            counter += 1
    return parts


def keyword_coverage(version: VersionInfo, text: str | None) -> tuple[float, list[str]]:
    """Share of the grading keywords found in the text, and the keywords missing."""
    if not version.keywords:
        return (0.8 if text else 0.0), []
    missing = [word for word in version.keywords if not text or word not in text]
    return 1 - len(missing) / len(version.keywords), missing


def examiner_grade(version: VersionInfo, text: str | None, points: Decimal, quality: float,
                   rng: random.Random) -> tuple[Decimal, str]:
    """The score (whole points) and a brief comment an examiner gives a short answer: mostly what the
    keywords say, partly the examiner's overall impression."""
    coverage, missing = keyword_coverage(version, text)
    if not text:
        return Decimal("0"), "未作答。"
    share = 0.1 + 0.6 * quality + 0.25 * coverage + rng.gauss(0.0, 0.06)
    score = Decimal(max(0, min(int(points), round(float(points) * share))))
    return score, _comment(score / points if points else Decimal("0"), missing, rng)


def _comment(share: Decimal, missing: list[str], rng: random.Random) -> str:
    gaps = "、".join(f"“{word}”" for word in missing[:2])
    if share >= Decimal("0.85"):
        return rng.choice(("要点齐全，论述清楚。", "答得完整，层次分明。", "要点完整，能结合实际。"))
    if share >= Decimal("0.6"):
        return (f"答出了主要要点，{gaps}方面还需展开。" if gaps
                else rng.choice(("基本答对，论述可以更充分。", "要点基本正确，条理还可更清楚。")))
    if share >= Decimal("0.25"):
        return f"只答出部分要点，缺少{gaps}等内容。" if gaps else "只答出部分要点，论述较笼统。"
    return "要点基本未答出，建议复习相关课程。"


@dataclass
class Sitting:
    """One simulated attempt before it is written."""

    user_id: int
    employee_no: str
    theta: float
    number: int  # the attempt's number
    seed: int
    started_at: datetime
    deadline_at: datetime
    submitted_at: datetime
    finished_by: str


def confusions_by_module(versions: dict[int, VersionInfo]) -> dict[str, list[str]]:
    """Per module, answers of its fill-in questions: what a candidate mixes up when they get a blank wrong."""
    pool: dict[str, list[str]] = {}
    for version in versions.values():
        if version.type == "fill_blank":
            pool.setdefault(version.module, []).extend(str(blank[0]) for blank in version.key)
    return pool


_TYPE_WEIGHT = {"single": 1.0, "multiple": 1.6, "true_false": 0.6, "fill_blank": 1.3, "short_answer": 6.0}


def answer_sheet(attempt_id: int, sitting: Sitting, paper: list[DrawnItem], versions: dict[int, VersionInfo],
                 confusions: dict[str, list[str]], qualities: dict[tuple[int, int], float]) -> list[dict]:
    """The items of one attempt: responses as the client saves them, in answering order with growing
    sequence numbers and save times spread over the time the candidate took."""
    rng = random.Random(f"answers:{sitting.seed}")
    order = sorted(range(len(paper)), key=lambda index: index + (len(paper) if rng.random() < 0.08 else 0))
    weights = [_TYPE_WEIGHT[versions[paper[index].version_id].type] * rng.uniform(0.5, 1.5) for index in order]
    span = (sitting.submitted_at - sitting.started_at).total_seconds() * rng.uniform(0.85, 0.97)
    unit, elapsed, seq, rows = span / sum(weights), 0.0, 0, {}
    for index, weight in zip(order, weights, strict=True):
        drawn, elapsed = paper[index], elapsed + weight * unit
        version = versions[drawn.version_id]
        if version.type == "short_answer":
            qualities[(attempt_id, index + 1)] = quality = short_answer_quality(version, sitting.theta, rng)
            response = short_answer_text(version, quality, rng)
        else:
            response = respond(version, sitting.theta, rng, confusions.get(version.module, []))[0]
        seq += (1 + (rng.random() < 0.1)) if response is not None else 0
        rows[index] = {"attempt_id": attempt_id, "position": index + 1, "question_id": drawn.question_id,
                       "question_version_id": drawn.version_id, "points": drawn.points,
                       "option_order": drawn.option_order, "response": response,
                       "response_seq": seq if response is not None else 0,
                       "saved_at": sitting.started_at + timedelta(seconds=int(elapsed)) if response is not None
                       else None, "flagged": rng.random() < 0.03, "feedback": ""}
    return [rows[index] for index in range(len(paper))]
