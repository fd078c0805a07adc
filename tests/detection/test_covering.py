"""The pairwise covering array: every pair of two factors' levels appears in some row."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optout_conformance.faults import open_points
from optout_conformance.faults.covering import all_pairs, covered_by, pairwise


def covered(rows: list[list[int]]) -> set[tuple[int, int, int, int]]:
    return set().union(*map(covered_by, rows)) if rows else set()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=2, max_size=7))
def test_every_pair_of_two_factors_levels_is_in_some_row(levels: list[int]) -> None:
    rows = pairwise(levels)
    assert all(len(row) == len(levels) for row in rows)
    assert all(0 <= value < levels[f] for row in rows for f, value in enumerate(row))
    for a, b in combinations(range(len(levels)), 2):
        for x in range(levels[a]):
            for y in range(levels[b]):
                assert (a, x, b, y) in covered(rows), (a, x, b, y, rows)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=2, max_size=6))
def test_the_same_factors_always_give_the_same_rows(levels: list[int]) -> None:
    assert pairwise(levels) == pairwise(list(levels))


def test_rows_stay_far_below_every_combination() -> None:
    levels = [3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    rows = pairwise(levels)
    assert set(all_pairs(levels)) <= covered(rows)
    assert 9 <= len(rows) <= 20  # 9 is the least any array can have (3 x 3 levels)


def test_one_factor_gives_one_row_per_level_and_none_gives_no_row() -> None:
    assert pairwise([3]) == [[0], [1], [2]]
    assert pairwise([]) == []


def test_a_factor_without_levels_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one level"):
        pairwise([2, 0])


@pytest.mark.parametrize(
    ("api", "profile"),
    [("convoso", "community"), ("convoso", "official"), ("whatcounts", "community"), ("avaamo", "community")],
)
def test_the_sweep_of_each_api_covers_every_pair_of_its_open_points_realizations(
    api: str, profile: str
) -> None:
    points = open_points.open_points(api)
    servers = open_points.sweep(api, profile)
    rows = []
    for entry in servers:
        _api, _profile, choices = open_points.parse_name(entry.name)
        chosen = {c.entry.id: c.realization.name for c in choices}
        rows.append(
            [[r.name for r in p.realizations].index(chosen.get(p.id, p.realizations[0].name)) for p in points]
        )
    assert set(all_pairs([len(p.realizations) for p in points])) <= covered(rows)
    assert len({s.name for s in servers}) == len(servers)
    assert all(s.profiles == open_points.runs_for(api, profile) for s in servers)
