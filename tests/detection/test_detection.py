"""The detection matrix: the suite catches every fault and passes every faithful variant.

One test per fault and one per faithful variant and run profile, each serving the entry on
127.0.0.1 and running the suite against it (``faults.detect.run_variant``). A representative
subset is marked ``detection`` only, so CI runs it: the faults in ``CI_FAULTS`` and every faithful
variant in one profile (``representative_profile``: a faithful Convoso variant runs the property
phase once per profile, which made the subset take minutes). The rest is also marked ``slow``.
The full matrix: ``pytest -m detection``.

A fault counts as detected only when a check it names in ``detected_by`` fails
(``run_variant``'s verdict); caught only by other checks, it is missed.

The covering-array sweep (``faults.open_points.sweep``): generated faithful servers composing the
registry's realizations of every open point, every pair of two points' choices in at least one
server, per API (Convoso on both server profiles), each run in ``auto`` and its pinned profile.
CI runs the first row of each API and server profile in ``auto`` (``SWEEP_CI_ROWS``); every row in
every profile is ``-m detection`` (and ``slow``).
"""

from __future__ import annotations

import pytest

from optout_conformance.faults import open_points
from optout_conformance.faults.catalog import FAULTS
from optout_conformance.faults.detect import VariantOutcome, run_variant

# A few faults per API and family, cheap to catch.
CI_FAULTS = {
    "convoso-limit-above-max-served",
    "convoso-pages-overlap",
    "convoso-duplicate-insert-accepted",
    "convoso-record-id-as-integer",
    "convoso-blank-stored-literally",
    "convoso-token-not-checked",
    "whatcounts-short-aliases-ignored",
    "whatcounts-wrong-success-text",
    "avaamo-page-holds-one-entry-too-many",
    "avaamo-to-phone-filter-ignored",
    "avaamo-html-500-on-long-input",
}

# Known gaps of the suite, found by this matrix (strict: an xpass fails, so a fix is noticed).
KNOWN_GAPS = {}


def representative_profile(name: str) -> str:
    """The profile a faithful variant runs in for CI: ``auto`` (the default of ``run``, which
    holds the target to the variant its fingerprint shows) when the entry lists it."""
    profiles = FAULTS[name].profiles
    return "auto" if "auto" in profiles else profiles[0]


def _marks(name: str, profile: str | None = None) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.detection]
    if FAULTS[name].kind == "fault" and name not in CI_FAULTS:
        marks.append(pytest.mark.slow)
    if profile is not None and profile != representative_profile(name):
        marks.append(pytest.mark.slow)
    if name in KNOWN_GAPS:
        marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True))
    return marks


def _explain(outcome: VariantOutcome) -> str:
    return "\n".join(outcome.messages) or outcome.note or "no check failed"


FAULT_PARAMS = [
    pytest.param(name, id=f"test_{name.replace('-', '_')}_is_detected", marks=_marks(name))
    for name, entry in FAULTS.items()
    if entry.kind == "fault"
]
FAITHFUL_PARAMS = [
    pytest.param(
        name, profile, id=f"test_{name.replace('-', '_')}_passes_in_{profile}", marks=_marks(name, profile)
    )
    for name, entry in FAULTS.items()
    if entry.kind == "faithful"
    for profile in entry.profiles
]


@pytest.mark.parametrize("name", FAULT_PARAMS)
def test_fault_is_detected_by_its_named_checks(name: str) -> None:
    outcome = run_variant(name)
    named = FAULTS[name].detected_by
    assert outcome.verdict == "detected", (
        f"{name} was not detected by its named checks {named}"
        + (f" (failed instead: {outcome.failed_instead})" if outcome.failed_instead else "")
        + f":\n{_explain(outcome)}"
    )
    assert set(outcome.caught_by) <= set(named)


@pytest.mark.parametrize(("name", "profile"), FAITHFUL_PARAMS)
def test_faithful_variant_passes_every_check(name: str, profile: str) -> None:
    outcome = run_variant(name, profiles=[profile])
    assert outcome.verdict == "passed", f"false alarm on {name}:\n{_explain(outcome)}"
    assert not outcome.inconclusive, f"{name} left checks without evidence: {outcome.inconclusive}"


# The covering-array sweep: (api, server profile, row number, generated name).
SWEEP = [
    (api, profile, number, entry.name)
    for api in ("convoso", "whatcounts", "avaamo")
    for profile in open_points.sweep_server_profiles(api)
    for number, entry in enumerate(open_points.sweep(api, profile))
]
# CI: the first row of each API and server profile (it holds the most non-reference choices).
SWEEP_CI_ROWS = {(api, profile, 0) for api, profile, _n, _name in SWEEP}

# Realizations the suite falsely fails, found by this sweep and `detect --singles`: choice ->
# (strict, reason). A row holding one is an xfail (strict, so a fix is noticed; non-strict only
# where the row's other choices decide whether a check reaches the point). Empty: the last full
# sweep found no false alarm (docs/detection.md gives the figures and the command).
KNOWN_FALSE_ALARMS: dict[str, tuple[bool, str]] = {}


def _sweep_marks(
    api: str, profile: str, number: int, name: str, run_profile: str
) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.detection]
    if (api, profile, number) not in SWEEP_CI_ROWS or run_profile != "auto":
        marks.append(pytest.mark.slow)
    known = [
        (strict, reason)
        for choice, (strict, reason) in KNOWN_FALSE_ALARMS.items()
        if choice in name.split(open_points.PART)
    ]
    if known:
        marks.append(
            pytest.mark.xfail(
                reason="; ".join(reason for _strict, reason in known),
                strict=any(strict for strict, _r in known),
            )
        )
    return marks


SWEEP_PARAMS = [
    pytest.param(
        name,
        run_profile,
        id=f"test_sweep_{api}_{profile}_row_{number}_passes_in_{run_profile}",
        marks=_sweep_marks(api, profile, number, name, run_profile),
    )
    for api, profile, number, name in SWEEP
    for run_profile in open_points.runs_for(api, profile)
]


@pytest.mark.parametrize(("name", "profile"), SWEEP_PARAMS)
def test_generated_faithful_server_passes_every_check(name: str, profile: str) -> None:
    outcome = run_variant(name, profiles=[profile])
    assert outcome.verdict == "passed", (
        f"false alarm on {name} (reproduce: optout-conformance serve --fault '{name}'):\n{_explain(outcome)}"
    )
    assert not outcome.inconclusive, f"{name} left checks without evidence: {outcome.inconclusive}"
