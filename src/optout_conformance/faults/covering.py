"""A small deterministic pairwise covering array (greedy, AETG-like).

:func:`pairwise` takes factors (each a number of levels) and returns rows (one level index per
factor) such that for every two factors every pair of their levels appears in at least one row.
Each new row starts from the first pair not covered yet (in a fixed order) and then gives every
other factor, in order, the level that covers most new pairs with the levels already chosen
(the lowest index on a tie), so the same factors always give the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

Pair = tuple[int, int, int, int]  # factor a, level of a, factor b, level of b (a < b)


def all_pairs(levels: Sequence[int]) -> list[Pair]:
    """Every pair of levels of two different factors, in a fixed order."""
    return [
        (a, x, b, y)
        for a, b in combinations(range(len(levels)), 2)
        for x in range(levels[a])
        for y in range(levels[b])
    ]


def covered_by(row: Sequence[int]) -> set[Pair]:
    """The pairs one row covers."""
    return {(a, row[a], b, row[b]) for a, b in combinations(range(len(row)), 2)}


def pairwise(levels: Sequence[int]) -> list[list[int]]:
    """Rows covering every pair of levels of every two factors (ValueError on a factor without levels)."""
    if any(n < 1 for n in levels):
        raise ValueError(f"every factor needs at least one level: {list(levels)}")
    if len(levels) == 0:
        return []
    if len(levels) == 1:
        return [[x] for x in range(levels[0])]
    uncovered = set(all_pairs(levels))
    order = all_pairs(levels)
    rows: list[list[int]] = []
    while uncovered:
        a, x, b, y = next(p for p in order if p in uncovered)
        row: list[int | None] = [None] * len(levels)
        row[a], row[b] = x, y
        for factor in range(len(levels)):
            if row[factor] is not None:
                continue
            best, best_gain = 0, -1
            for level in range(levels[factor]):
                gain = sum(
                    1
                    for other, chosen in enumerate(row)
                    if chosen is not None
                    and (min(factor, other), level if factor < other else chosen,
                         max(factor, other), chosen if factor < other else level) in uncovered
                )
                if gain > best_gain:
                    best, best_gain = level, gain
            row[factor] = best
        complete = [int(v) for v in row if v is not None]
        uncovered -= covered_by(complete)
        rows.append(complete)
    return rows
