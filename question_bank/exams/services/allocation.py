"""Which questions each blueprint row takes when rows share questions (a knowledge-point row inside a module
row, a whole-bank row, overlapping difficulty ranges). Pure functions, no database.

Questions are grouped by the set of rows they could serve (their *signature*); a maximum flow from rows
(demand = count) through signatures (capacity = their size) says whether the rows can be filled together and
how many questions each row takes from each group. A seeded generator orders the search and the questions, so
a draw is random yet reproducible from its seed, and questions in ``avoid`` are used only when nothing else
fits.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass


class Unfillable(Exception):
    """The rows cannot be filled together; ``shortfalls`` maps row index → (count, questions it could get)."""

    def __init__(self, shortfalls: dict[int, tuple[int, int]]) -> None:
        super().__init__(shortfalls)
        self.shortfalls = shortfalls


@dataclass(frozen=True)
class Group:
    """Questions that could serve exactly the rows in ``signature``."""

    signature: tuple[int, ...]
    ids: tuple[int, ...]
    members: frozenset[int]


def group_pools(pools: Sequence[Sequence[int]]) -> list[Group]:
    """Group the questions of the rows' pools by the set of rows each could serve (one pass over the pools;
    callers cache the result with the pools)."""
    rows_of: dict[int, list[int]] = {}
    for index, pool in enumerate(pools):
        for qid in pool:
            rows_of.setdefault(qid, []).append(index)
    found: dict[tuple[int, ...], list[int]] = {}
    for qid in sorted(rows_of):
        found.setdefault(tuple(rows_of[qid]), []).append(qid)
    return [Group(signature, tuple(ids), frozenset(ids)) for signature, ids in sorted(found.items())]


def _max_flow(counts: Sequence[int], groups: list[tuple[tuple[int, ...], int]],
              rng: random.Random | None) -> list[dict[int, int]]:
    """Edmonds–Karp on source → rows → groups → sink; returns, per row, {group index: questions taken}."""
    rows = len(counts)
    taken: list[dict[int, int]] = [{} for _ in range(rows)]
    room = [size for _signature, size in groups]
    demand = list(counts)
    members: list[list[int]] = [[] for _ in range(rows)]
    for group_index, (signature, _size) in enumerate(groups):
        for row in signature:
            members[row].append(group_index)
    if rng is not None:
        for candidates in members:
            rng.shuffle(candidates)
    while True:
        path = _augmenting_path(demand, room, members, taken, groups)
        if path is None:
            return taken
        first_row, steps, last_group = path
        demand[first_row] -= 1
        room[last_group] -= 1
        for row, group_index, direction in steps:
            taken[row][group_index] = taken[row].get(group_index, 0) + direction


def _augmenting_path(demand, room, members, taken, groups):
    """BFS over rows with demand left; a path alternates row → group (forward) and group → row (undo a taking)."""
    parent: dict[tuple[str, int], tuple[str, int] | None] = {}
    queue: deque[tuple[str, int]] = deque()
    for row, need in enumerate(demand):
        if need > 0:
            parent[("r", row)] = None
            queue.append(("r", row))
    while queue:
        kind, node = queue.popleft()
        if kind == "r":
            for group_index in members[node]:
                if ("g", group_index) not in parent:
                    parent[("g", group_index)] = (kind, node)
                    if room[group_index] > 0:
                        return _trace(parent, group_index)
                    queue.append(("g", group_index))
        else:
            for row in groups[node][0]:
                if taken[row].get(node, 0) > 0 and ("r", row) not in parent:
                    parent[("r", row)] = (kind, node)
                    queue.append(("r", row))
    return None


def _trace(parent, last_group: int):
    steps = []
    node: tuple[str, int] = ("g", last_group)
    while parent[node] is not None:
        previous = parent[node]
        if node[0] == "g":      # row → group: the row takes one more from the group
            steps.append((previous[1], node[1], 1))
        else:                   # group → row: that row gives one back
            steps.append((node[1], previous[1], -1))
        node = previous
    return node[1], steps, last_group


def shortfalls(groups: list[Group], counts: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Rows that cannot get their count when all rows are filled together: row → (count, obtainable)."""
    taken = _max_flow(counts, [(group.signature, len(group.ids)) for group in groups], None)
    return {row: (count, sum(taken[row].values())) for row, count in enumerate(counts)
            if sum(taken[row].values()) < count}


def allocate(groups: list[Group], counts: Sequence[int], rng: random.Random,
             avoid: frozenset[int] = frozenset()) -> list[list[int]]:
    """Distinct question ids per row (``counts[row]`` of them), drawn with ``rng``; questions not in ``avoid``
    are preferred. Costs O(avoid + groups + drawn questions), not O(pool). Raises ``Unfillable``."""
    seen = [frozenset(qid for qid in avoid if qid in group.members) for group in groups]
    fresh = [(group.signature, len(group.ids) - len(old)) for group, old in zip(groups, seen, strict=True)]
    taken = _max_flow(counts, fresh, rng)
    if any(sum(taken[row].values()) < count for row, count in enumerate(counts)):
        taken = _max_flow(counts, [(group.signature, len(group.ids)) for group in groups], rng)
        missing = {row: (count, sum(taken[row].values())) for row, count in enumerate(counts)
                   if sum(taken[row].values()) < count}
        if missing:
            raise Unfillable(missing)
    picked: list[list[int]] = [[] for _ in counts]
    for group_index, (group, old) in enumerate(zip(groups, seen, strict=True)):
        order = _sample(group, old, sum(taken[row].get(group_index, 0) for row in range(len(counts))), rng)
        for row in range(len(counts)):
            take = taken[row].get(group_index, 0)
            picked[row] += order[:take]
            order = order[take:]
    return picked


def _sample(group: Group, old: frozenset[int], k: int, rng: random.Random) -> list[int]:
    """``k`` random ids of the group, unseen ones first: sampling ``k + len(old)`` and dropping the seen ones
    keeps every unseen subset equally likely without copying the group."""
    if not k:
        return []
    if not old:
        return rng.sample(group.ids, k)
    unseen_count = len(group.ids) - len(old)
    if k <= unseen_count:
        return [qid for qid in rng.sample(group.ids, min(len(group.ids), k + len(old))) if qid not in old][:k]
    unseen = [qid for qid in group.ids if qid not in old]
    return unseen + rng.sample(sorted(old), k - unseen_count)
