"""A small deterministic pairwise covering array (greedy, AETG-like).

:func:`pairwise` takes factors (each a number of levels) and returns rows (one level index per
factor) such that for every two factors every pair of their levels appears in at least one row.
Each new row is the best of SEEDS candidates: the first holds the first pair not covered yet (in
a fixed order) and fills the other factors most levels first; the others hold an uncovered pair
and a factor order drawn from a generator with a fixed seed. Each other factor gets, in turn, the
level that covers most new pairs with the levels already chosen (the lowest index on a tie); the
candidate covering most new pairs wins (the earliest on a tie). The seed is fixed, so the same
factors always give the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations

Pair = tuple[int, int, int, int]  # factor a, level of a, factor b, level of b (a < b)
# Candidate rows tried per new row (each seeded by one uncovered pair).
SEEDS = 50
# The fixed seed of the candidates' seed pairs and factor orders (deterministic output).
RANDOM_SEED = 20261203


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
    rng = random.Random(RANDOM_SEED)
    while uncovered:
        # Candidates seeded by the first uncovered pairs (in the fixed order); the row covering
        # most new pairs wins, the earliest seed on a tie.
        first = [p for p in order if p in uncovered]
        seeds = [first[0]] + [rng.choice(first) for _ in range(SEEDS - 1)]
        best_row: list[int] = []
        best_gain = -1
        for number, seed in enumerate(seeds):
            factors = sorted(range(len(levels)), key=lambda f: (-levels[f], f))
            if number:
                rng.shuffle(factors)
            row = _complete(levels, seed, uncovered, factors)
            gain = len(covered_by(row) & uncovered)
            if gain > best_gain:
                best_row, best_gain = row, gain
        uncovered -= covered_by(best_row)
        rows.append(best_row)
    return _without_redundant(rows)


def _without_redundant(rows: list[list[int]]) -> list[list[int]]:
    """Drop rows (latest first) whose every pair another kept row also covers."""
    kept = list(rows)
    for row in reversed(rows):
        others = [r for r in kept if r is not row]
        if others and covered_by(row) <= set().union(*map(covered_by, others)):
            kept = others
    return kept


def _complete(levels: Sequence[int], seed: Pair, uncovered: set[Pair], factors: Sequence[int]) -> list[int]:
    """A row holding the seed pair, every other factor (in ``factors`` order) given its most
    covering level in turn."""
    a, x, b, y = seed
    row: list[int | None] = [None] * len(levels)
    row[a], row[b] = x, y
    for factor in factors:
        if row[factor] is not None:
            continue
        best, best_gain = 0, -1
        for level in range(levels[factor]):
            gain = sum(1 for pair in _pairs_with(factor, level, row) if pair in uncovered)
            if gain > best_gain:
                best, best_gain = level, gain
        row[factor] = best
    return [int(v) for v in row if v is not None]


def _pairs_with(factor: int, level: int, row: Sequence[int | None]) -> list[Pair]:
    pairs = []
    for other, chosen in enumerate(row):
        if chosen is None or other == factor:
            continue
        pairs.append((factor, level, other, chosen) if factor < other else (other, chosen, factor, level))
    return pairs
