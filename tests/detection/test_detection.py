"""The detection matrix: the suite catches every fault and passes every faithful variant.

One test per fault and one per faithful variant and run profile, each serving the entry on
127.0.0.1 and running the suite against it (``faults.detect.run_variant``). A representative
subset is marked ``detection`` only, so CI runs it: the faults in ``CI_FAULTS`` and every faithful
variant in one profile (``representative_profile``: a faithful Convoso variant runs the property
phase once per profile, which made the subset take minutes). The rest is also marked ``slow``.
The full matrix: ``pytest -m detection``.
"""

from __future__ import annotations

import pytest

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
KNOWN_GAPS = {
}


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
    assert outcome.verdict == "detected", f"{name} was not detected: {_explain(outcome)}"
    named = FAULTS[name].detected_by
    assert not outcome.unexpected, f"{name} caught only by {outcome.caught_by}, not by {named}"


@pytest.mark.parametrize(("name", "profile"), FAITHFUL_PARAMS)
def test_faithful_variant_passes_every_check(name: str, profile: str) -> None:
    outcome = run_variant(name, profiles=[profile])
    assert outcome.verdict == "passed", f"false alarm on {name}:\n{_explain(outcome)}"
