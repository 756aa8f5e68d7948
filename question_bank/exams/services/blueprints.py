"""Blueprints (组卷方案): rows, how many approved questions each row can draw from, the expected difficulty of
the papers it makes, and saving with the rule that the bank must be able to fill it.

Everything here is aggregated in SQL over the questions' copied filter columns and their indexes: no question
is loaded to answer "how many" or "how hard".
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from courseware.models import KnowledgePoint, SyllabusModule
from question_bank.exams.errors import BlueprintUnfillable
from question_bank.exams.models import Blueprint, BlueprintRow
from question_bank.exams.services.drawing import check_rows_fillable, draw_paper, row_clause
from question_bank.models import Question, QuestionVersion
from question_bank.types import QUESTION_TYPES
from training.core.audit import record_audit
from training.core.errors import NotFound, ValidationFailed
from training.extensions import db

#: Warn when two random forms would typically differ by more than this in mean difficulty (2σ of a form mean).
SPREAD_WARNING = 0.3
MAX_ROWS = 40


@dataclass
class RowSpec:
    """One blueprint row as entered (codes, not ids); ``scope`` is a module code, a knowledge point code or
    empty for the whole bank."""

    scope: str
    type: str
    difficulty_min: int
    difficulty_max: int
    count: int
    points: Decimal


@dataclass(frozen=True)
class RowAvailability:
    """How many approved questions a row can draw from, and their difficulty's mean and variance."""

    available: int
    mean_difficulty: float
    variance: float
    enough: bool


@dataclass(frozen=True)
class Forecast:
    """Expected (points-weighted) difficulty of a paper, and the spread between random forms (2σ)."""

    expected: float | None
    spread: float
    warn: bool


def row_availability(row: BlueprintRow) -> RowAvailability:
    """One aggregate query: count, mean and variance of difficulty over the row's pool."""
    count, mean, mean_square = db.session.execute(
        select(func.count(), func.avg(Question.difficulty), func.avg(Question.difficulty * Question.difficulty))
        .where(row_clause(row))).one()
    mean = float(mean or 0)
    variance = max(float(mean_square or 0) - mean * mean, 0.0)
    return RowAvailability(count, mean, variance, count >= row.count)


def forecast(rows: list[BlueprintRow], availability: list[RowAvailability]) -> Forecast:
    """Expected difficulty = points-weighted mean over rows of the pool's mean difficulty. A random form's mean
    difficulty varies by the variance of a sample mean drawn without replacement (σ²/n·(N−n)/(N−1)) per row,
    weighted the same way; the warning fires when 2σ exceeds ``SPREAD_WARNING``."""
    weights = [float(row.points * row.count) for row in rows]
    total = sum(weights)
    if not total:
        return Forecast(None, 0.0, False)
    expected = sum(w * a.mean_difficulty for w, a in zip(weights, availability, strict=True)) / total
    variance = 0.0
    for weight, row, pool in zip(weights, rows, availability, strict=True):
        if row.count and pool.available > 1 and pool.available >= row.count:
            correction = (pool.available - row.count) / (pool.available - 1)
            variance += (weight / total) ** 2 * pool.variance / row.count * correction
    spread = 2 * math.sqrt(variance)
    return Forecast(round(expected, 2), round(spread, 2), spread > SPREAD_WARNING)


def parse_rows(raw_rows: list[dict[str, str]]) -> tuple[list[BlueprintRow], list[str]]:
    """Rows from form or JSON input (``scope``, ``type``, ``difficulty_min``, ``difficulty_max``, ``count``,
    ``points``), as unsaved ``BlueprintRow`` objects with ids resolved, and messages ``第 n 行：…``. Blank
    rows are skipped."""
    modules = dict(db.session.execute(select(SyllabusModule.code, SyllabusModule.id)).all())
    points_by_code = {code: (kp_id, module_id) for code, kp_id, module_id in db.session.execute(
        select(KnowledgePoint.code, KnowledgePoint.id, KnowledgePoint.module_id))}
    rows: list[BlueprintRow] = []
    errors: list[str] = []
    for number, raw in enumerate(raw_rows, start=1):
        if not any(str(value or "").strip() for key, value in raw.items() if key in ("scope", "type", "count")):
            continue
        row, problems = _parse_row(raw, modules, points_by_code)
        errors += [_("第 %(n)d 行：%(message)s", n=number, message=problem) for problem in problems]
        if row is not None:
            row.position = len(rows) + 1
            rows.append(row)
    if len(rows) > MAX_ROWS:
        errors.append(_("一个方案最多 %(n)d 行", n=MAX_ROWS))
    return rows, errors


def _int(value, default: int | None = None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _parse_row(raw: dict, modules: dict, points_by_code: dict) -> tuple[BlueprintRow | None, list[str]]:
    problems: list[str] = []
    scope = str(raw.get("scope") or "").strip().upper()
    module_id = kp_id = None
    if scope in points_by_code:
        kp_id, module_id = points_by_code[scope]
    elif scope in modules:
        module_id = modules[scope]
    elif scope:
        problems.append(_("范围 %(scope)s 不是大纲模块或知识点", scope=scope))
    kind = str(raw.get("type") or "").strip()
    if kind not in QUESTION_TYPES:
        problems.append(_("请选择题型"))
    low, high = _int(raw.get("difficulty_min"), 1), _int(raw.get("difficulty_max"), 5)
    if low is None or high is None or not 1 <= low <= high <= 5:
        problems.append(_("难度范围应在 1–5 之间且下限不大于上限"))
    count = _int(raw.get("count"))
    if count is None or not 1 <= count <= 200:
        problems.append(_("题量应为 1–200 的整数"))
    try:
        points = Decimal(str(raw.get("points") or "").strip())
        if not Decimal("0") < points <= Decimal("100"):
            raise InvalidOperation
    except InvalidOperation:
        problems.append(_("每题分值应为 0–100 之间的数"))
        points = Decimal("0")
    if problems:
        return None, problems
    return BlueprintRow(module_id=module_id, knowledge_point_id=kp_id, type=kind, difficulty_min=low,
                        difficulty_max=high, count=count, points=points), []


def row_scope_code(row: BlueprintRow) -> str:
    """The code a row was entered with (knowledge point, module or empty)."""
    if row.knowledge_point_id is not None:
        return db.session.get(KnowledgePoint, row.knowledge_point_id).code
    if row.module_id is not None:
        return db.session.get(SyllabusModule, row.module_id).code
    return ""


def check_fillable(rows: list[BlueprintRow]) -> list[RowAvailability]:
    """Availability per row; raises ``BlueprintUnfillable`` listing the rows the bank cannot fill."""
    availability = [row_availability(row) for row in rows]
    short = [_("第 %(n)d 行需要 %(count)d 道，题库只有 %(available)d 道已审核通过的试题", n=number,
               count=row.count, available=pool.available)
             for number, (row, pool) in enumerate(zip(rows, availability, strict=True), start=1) if not pool.enough]
    if short:
        raise BlueprintUnfillable(_("题库中的试题不足以组成这份试卷"), details=short)
    check_rows_fillable(db.session.connection(), rows)
    return availability


def save_blueprint(actor, blueprint: Blueprint | None, name: str, description: str,
                   raw_rows: list[dict[str, str]]) -> Blueprint:
    """Create or replace a blueprint's rows after checking every row and that the bank can fill it. Commits."""
    name = name.strip()
    rows, errors = parse_rows(raw_rows)
    if not name:
        errors.insert(0, _("请填写方案名称"))
    if not rows and not errors:
        errors.append(_("方案至少需要一行"))
    if errors:
        raise ValidationFailed(_("组卷方案有错误"), details=errors)
    check_fillable(rows)
    created = blueprint is None
    if created:
        blueprint = Blueprint(created_by_id=actor.id if actor else None)
        db.session.add(blueprint)
    blueprint.name, blueprint.description = name[:120], description.strip()
    blueprint.rows = rows
    db.session.flush()
    record_audit(actor.id if actor else None, "blueprint.create" if created else "blueprint.update",
                 "exam_blueprint", blueprint.id, name=blueprint.name, rows=len(rows),
                 questions=blueprint.question_count, points=str(blueprint.total_points))
    db.session.commit()
    return blueprint


def get_blueprint(blueprint_id: int) -> Blueprint:
    blueprint = db.session.get(Blueprint, blueprint_id)
    if blueprint is None:
        raise NotFound(_("组卷方案不存在"))
    return blueprint


def list_blueprints() -> list[Blueprint]:
    return list(db.session.scalars(select(Blueprint).order_by(Blueprint.updated_at.desc())))


def sample_paper(rows: list[BlueprintRow]) -> list[tuple[QuestionVersion, Decimal]]:
    """One random paper the rows would draw (for the examiner to look at), as (version, points) in row
    order; raises ``BlueprintUnfillable`` when the bank cannot fill them."""
    items = draw_paper(db.session.connection(), rows, secrets.randbits(31))
    versions = {v.id: v for v in db.session.scalars(
        select(QuestionVersion).where(QuestionVersion.id.in_([item.version_id for item in items])))}
    return [(versions[item.version_id], item.points) for item in items]
