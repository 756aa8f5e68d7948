"""Filling blueprint rows that share questions (pure allocation, no database)."""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from question_bank.exams.services.allocation import Unfillable, allocate, group_pools, shortfalls


def brute_force_fillable(pools, counts) -> bool:
    """Try every choice (tiny inputs only): is there a disjoint choice of counts[i] ids from pools[i]?"""
    def fill(row: int, used: frozenset) -> bool:
        if row == len(pools):
            return True
        free = [qid for qid in pools[row] if qid not in used]
        return any(fill(row + 1, used | set(choice)) for choice in combinations(free, counts[row]))
    return fill(0, frozenset())


def check(pools, counts, picked):
    flat = [qid for ids in picked for qid in ids]
    assert len(flat) == len(set(flat)), "a question appears twice"
    for pool, count, ids in zip(pools, counts, picked, strict=True):
        assert len(ids) == count and set(ids) <= set(pool)


@pytest.mark.parametrize("seed", range(40))
def test_allocation_agrees_with_brute_force_on_random_overlapping_pools(seed):
    rng = random.Random(seed)
    pools = [sorted(rng.sample(range(12), rng.randint(1, 7))) for _ in range(rng.randint(2, 4))]
    counts = [rng.randint(0, min(3, len(pool))) for pool in pools]
    groups = group_pools(pools)
    fillable = brute_force_fillable(pools, counts)
    assert (not shortfalls(groups, counts)) == fillable
    if fillable:
        check(pools, counts, allocate(groups, counts, random.Random(seed)))
    else:
        with pytest.raises(Unfillable):
            allocate(groups, counts, random.Random(seed))


def test_overlapping_difficulty_ranges_are_filled_together():
    # row 0: difficulty 1–3 ids 1..6; row 1: difficulty 3–5 ids 5..10; row 2: whole bank
    pools = [list(range(1, 7)), list(range(5, 11)), list(range(1, 11))]
    picked = allocate(group_pools(pools), [5, 4, 1], random.Random(1))
    check(pools, [5, 4, 1], picked)


def test_same_seed_same_draw_and_draws_vary_with_the_seed():
    pools = [list(range(100)), list(range(50, 150))]
    groups = group_pools(pools)
    first = allocate(groups, [10, 10], random.Random(7))
    assert allocate(groups, [10, 10], random.Random(7)) == first
    assert len({tuple(map(tuple, allocate(groups, [10, 10], random.Random(seed)))) for seed in range(10)}) == 10


def test_questions_seen_before_are_used_only_when_nothing_else_fits():
    pools = [list(range(10))]
    groups = group_pools(pools)
    seen = frozenset(range(6))
    for seed in range(20):
        assert set(allocate(groups, [4], random.Random(seed), seen)[0]) == {6, 7, 8, 9}
    topped_up = allocate(groups, [6], random.Random(3), seen)[0]
    assert {6, 7, 8, 9} <= set(topped_up) and len(set(topped_up) & seen) == 2


def test_shortfalls_name_the_rows_that_cannot_be_filled():
    pools = [[1, 2, 3], [1, 2, 3], [4, 5]]
    assert shortfalls(group_pools(pools), [2, 2, 1]) in ({0: (2, 1)}, {1: (2, 1)})
    assert shortfalls(group_pools(pools), [2, 1, 2]) == {}
