"""Drawing papers: for each blueprint row, the ids of its pool are read through an index (no question is
loaded), the rows are filled together (``allocation``: rows may share questions), a seeded generator samples,
and only the chosen questions' current versions are fetched.

The same seed over the same bank and exclusions gives the same paper. Questions the candidate saw in earlier
attempts of the exam are avoided while the pools allow; a question never appears twice on one paper.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from time import monotonic

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, select

from question_bank.exams.errors import BlueprintUnfillable
from question_bank.exams.services.allocation import Group, Unfillable, allocate, group_pools, shortfalls
from question_bank.models import APPROVED, Question, QuestionVersion
from question_bank.types import LETTERS
from training.core.caches import register_process_cache

#: Pools (the sorted ids a row draws from) are cached per process this long: the synchronized start of an exam
#: reads each pool once per worker, not once per candidate. A question retired meanwhile is caught when the
#: chosen versions are fetched (only approved questions are), and the paper is drawn again from fresh pools.
POOL_CACHE_SECONDS = 60
_pools: dict[tuple, tuple[float, tuple[int, ...]]] = {}
_groups: dict[tuple, tuple[float, list[Group]]] = {}
register_process_cache(_pools.clear)
register_process_cache(_groups.clear)


def pool_clause(module_id: int | None, knowledge_point_id: int | None, kind: str, low: int,
                high: int) -> ColumnElement[bool]:
    """The approved questions a row draws from (served by ``ix_questions_browse`` / ``ix_questions_draw_kp``)."""
    conditions = [Question.status == APPROVED]
    if knowledge_point_id is not None:
        conditions.append(Question.knowledge_point_id == knowledge_point_id)
    elif module_id is not None:
        conditions.append(Question.module_id == module_id)
    conditions += [Question.type == kind, Question.difficulty.between(low, high)]
    return and_(*conditions)


def row_clause(row) -> ColumnElement[bool]:
    """The pool of a blueprint row (an ORM row or a Core row with the same columns)."""
    return pool_clause(row.module_id, row.knowledge_point_id, row.type, row.difficulty_min, row.difficulty_max)


def _row_key(row) -> tuple:
    return row.module_id, row.knowledge_point_id, row.type, row.difficulty_min, row.difficulty_max


@dataclass(frozen=True)
class DrawnItem:
    """A question chosen for a paper: its current version, points, and the display order of its options."""

    question_id: int
    version_id: int
    points: Decimal
    option_order: str


def pool_ids(connection, row, *, fresh: bool = False) -> tuple[int, ...]:
    """The sorted ids of a row's pool, read through the index (cached, see ``POOL_CACHE_SECONDS``, unless
    ``fresh``)."""
    key = _row_key(row)
    hit = _pools.get(key)
    if fresh or hit is None or hit[0] < monotonic():
        ids = tuple(connection.execute(select(Question.id).where(row_clause(row)).order_by(Question.id)).scalars())
        hit = _pools[key] = (monotonic() + POOL_CACHE_SECONDS, ids)
    return hit[1]


def row_groups(connection, rows: list, *, fresh: bool = False) -> list[Group]:
    """The rows' pools grouped by the rows each question could serve, cached like the pools."""
    key = tuple(_row_key(row) for row in rows)
    hit = _groups.get(key)
    if fresh or hit is None or hit[0] < monotonic():
        pools = [pool_ids(connection, row, fresh=fresh) for row in rows]
        hit = _groups[key] = (monotonic() + POOL_CACHE_SECONDS, group_pools(pools))
    return hit[1]


def _unfillable(rows: list, missing: dict[int, tuple[int, int]]) -> BlueprintUnfillable:
    return BlueprintUnfillable(_("题库中的试题不足以组成这份试卷"), details=[
        _("第 %(n)d 行需要 %(count)d 道，与其他行一起抽题时只能得到 %(available)d 道", n=index + 1, count=count,
          available=available) for index, (count, available) in sorted(missing.items())])


def check_rows_fillable(connection, rows: list) -> None:
    """Raise ``BlueprintUnfillable`` unless the rows can be filled together (shared questions counted once)."""
    missing = shortfalls(row_groups(connection, rows, fresh=True), [row.count for row in rows])
    if missing:
        raise _unfillable(rows, missing)


def draw_question_ids(connection, rows: list, rng: random.Random,
                      avoid: frozenset[int] = frozenset()) -> list[tuple[int, Decimal]]:
    """(question id, points) per blueprint row, in row order; raises ``BlueprintUnfillable``."""
    try:
        picked = allocate(row_groups(connection, rows), [row.count for row in rows], rng, avoid)
    except Unfillable as error:
        raise _unfillable(rows, error.shortfalls) from None
    return [(qid, row.points) for row, ids in zip(rows, picked, strict=True) for qid in ids]


def current_versions(connection, question_ids: list[int]) -> dict[int, tuple[int, str, int]]:
    """question id → (current version id, type, number of options), for the given ids that are still
    approved."""
    if not question_ids:
        return {}
    # The status is checked here, not in SQL: with it in the WHERE clause SQLite scans the status index (every
    # approved question) instead of looking the ids up by primary key.
    rows = connection.execute(
        select(Question.id, Question.status, QuestionVersion.id, QuestionVersion.type, QuestionVersion.options)
        .join(QuestionVersion, and_(QuestionVersion.question_id == Question.id,
                                    QuestionVersion.number == Question.current_version))
        .where(Question.id.in_(question_ids)))
    return {qid: (vid, kind, len(options or [])) for qid, status, vid, kind, options in rows if status == APPROVED}


def option_order(kind: str, option_count: int, rng: random.Random, shuffle: bool) -> str:
    """Original letters in display order: shuffled for choice questions when the exam says so."""
    if kind not in ("single", "multiple"):
        return ""
    letters = list(LETTERS[:option_count])
    if shuffle:
        rng.shuffle(letters)
    return "".join(letters)


def draw_paper(connection, rows: list, seed: int, *, avoid: frozenset[int] = frozenset(),
               shuffle_questions: bool = False, shuffle_options: bool = False) -> list[DrawnItem]:
    """A whole paper from ``rows`` with ``seed``: rows in order (questions shuffled across the paper when
    asked), option orders drawn from the same generator."""
    for _round in range(2):
        rng = random.Random(seed)
        picked = draw_question_ids(connection, rows, rng, avoid)
        if shuffle_questions:
            rng.shuffle(picked)
        versions = current_versions(connection, [qid for qid, _points in picked])
        if len(versions) == len(picked):
            break
        _pools.clear()  # a cached pool held a question that is no longer approved: draw from fresh pools
        _groups.clear()
    else:
        raise BlueprintUnfillable(_("题库正在变动，请稍后重试"))
    items = []
    for qid, points in picked:
        version_id, kind, option_count = versions[qid]
        items.append(DrawnItem(qid, version_id, points, option_order(kind, option_count, rng, shuffle_options)))
    return items


def arrange_fixed(paper: list[tuple[int, int, Decimal, str, int]], seed: int, *, shuffle_questions: bool,
                  shuffle_options: bool) -> list[DrawnItem]:
    """A fixed paper's items ``(question id, version id, points, type, option count)`` for one candidate: the
    same questions for everyone, in an order and with option orders drawn from the candidate's seed."""
    rng = random.Random(seed)
    order = list(paper)
    if shuffle_questions:
        rng.shuffle(order)
    return [DrawnItem(qid, vid, points, option_order(kind, count, rng, shuffle_options))
            for qid, vid, points, kind, count in order]
