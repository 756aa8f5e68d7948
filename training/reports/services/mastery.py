"""Mastery per syllabus module (M1–M9) and per general competency (DOMAIN.md §2).

Mastery = 100 × Σ item score / Σ item points over graded items (attempt status ``graded``, ``graded_at`` in the
window) whose version's knowledge point belongs to the module; an item's competency is its version's
``competency`` if set, else its knowledge point's. Responses = the number of such items.

The heavy statement (attempts × attempt_items × question_versions × knowledge_points) filters attempts by
status and ``graded_at`` first, aggregates per (person, module, competency), then per department, and only
then matches departments to their buckets, grouped per (bucket, module, competency): one pass serves both the
module and the competency figures, which are summed from those few rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Subquery, func, literal_column, select

from courseware.content_files import COMPETENCIES
from courseware.models import KnowledgePoint, SyllabusModule
from question_bank.exams.models import GRADED, Attempt, AttemptItem
from question_bank.models import QuestionVersion
from training.extensions import db
from training.org.models import User
from training.reports.report_types import Mastery, band_of
from training.reports.services.buckets import by_bucket


@dataclass(frozen=True)
class ModuleRef:
    id: int
    code: str
    title: str


@dataclass(frozen=True)
class ItemSums:
    """Σ score, Σ points and the number of graded items of one (module, competency) cell."""

    module_id: int | None
    competency: str | None
    score: float
    points: float
    responses: int


def syllabus_modules() -> list[ModuleRef]:
    """The syllabus modules in order (one statement)."""
    statement = select(SyllabusModule.id, SyllabusModule.code, SyllabusModule.title).order_by(
        SyllabusModule.position, SyllabusModule.code)
    return [ModuleRef(row.id, row.code, row.title) for row in db.session.execute(statement)]


def _items_per_person(start: datetime, end: datetime, user_id: int | None = None) -> Select:
    # An inline '' (not a bound parameter): PostgreSQL matches the GROUP BY expression to the selected one
    # only when both are the same text, and two bound parameters are not.
    competency = func.coalesce(func.nullif(QuestionVersion.competency, literal_column("''")),
                               KnowledgePoint.competency)
    statement = (
        select(Attempt.user_id, KnowledgePoint.module_id, competency.label("competency"),
               func.sum(AttemptItem.score).label("score"), func.sum(AttemptItem.points).label("points"),
               func.count().label("responses"))
        .select_from(Attempt)
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .outerjoin(KnowledgePoint, KnowledgePoint.id == QuestionVersion.knowledge_point_id)
        .where(Attempt.status == GRADED, Attempt.graded_at >= start, Attempt.graded_at <= end,
               AttemptItem.score.is_not(None))
        .group_by(Attempt.user_id, KnowledgePoint.module_id, competency))
    return statement if user_id is None else statement.where(Attempt.user_id == user_id)


def _sums(row) -> ItemSums:
    return ItemSums(row.module_id, row.competency, float(row.score or 0), float(row.points or 0),
                    int(row.responses or 0))


def bucket_item_sums(buckets: Subquery, start: datetime, end: datetime) -> dict[int, list[ItemSums]]:
    """Each bucket's item sums per (module, competency), over its active people (one statement: per person,
    then per department, then per bucket)."""
    person: Subquery = _items_per_person(start, end).subquery("person_items")
    per_department = (
        select(User.department_id, person.c.module_id, person.c.competency,
               func.sum(person.c.score).label("score"), func.sum(person.c.points).label("points"),
               func.sum(person.c.responses).label("responses"))
        .select_from(person)
        .join(User, User.id == person.c.user_id)
        .where(User.is_active.is_(True))
        .group_by(User.department_id, person.c.module_id, person.c.competency).subquery("department_items"))
    statement = by_bucket(buckets, per_department, ("module_id", "competency"), ("score", "points", "responses"))
    result: dict[int, list[ItemSums]] = {}
    for row in db.session.execute(statement):
        result.setdefault(row.bucket_id, []).append(_sums(row))
    return result


def person_item_sums(user_id: int, start: datetime, end: datetime) -> list[ItemSums]:
    """One person's item sums per (module, competency) (one statement)."""
    return [_sums(row) for row in db.session.execute(_items_per_person(start, end, user_id))]


def _mastery(code: str, title: str, score: float, points: float, responses: int) -> Mastery:
    value = 100.0 * score / points if points > 0 else None
    return Mastery(code=code, title=title, mastery=value, responses=responses, band=band_of(value))


def _totals(cells: list[ItemSums], key) -> dict:
    totals: dict = {}
    for cell in cells:
        name = key(cell)
        if name is not None:
            score, points, responses = totals.get(name, (0.0, 0.0, 0))
            totals[name] = (score + cell.score, points + cell.points, responses + cell.responses)
    return totals


def module_masteries(cells: list[ItemSums], modules: list[ModuleRef]) -> list[Mastery]:
    """Mastery of every syllabus module, in syllabus order (None without responses)."""
    totals = _totals(cells, lambda cell: cell.module_id)
    return [_mastery(module.code, module.title, *totals.get(module.id, (0.0, 0.0, 0))) for module in modules]


def competency_masteries(cells: list[ItemSums]) -> list[Mastery]:
    """Mastery of the nine general competencies in DOMAIN.md's order, then any other competency found."""
    totals = _totals(cells, lambda cell: cell.competency or None)
    names = [*COMPETENCIES, *sorted(set(totals) - set(COMPETENCIES))]
    return [_mastery(name, name, *totals.get(name, (0.0, 0.0, 0))) for name in names]
