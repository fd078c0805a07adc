"""The fault catalog itself: its size, its documentation, its check references, its apps."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest

from optout_conformance.checks.registry import load_all
from optout_conformance.core.apis import APIS
from optout_conformance.core.errors import BadChoice
from optout_conformance.core.faults import FAMILIES
from optout_conformance.faults.catalog import FAULTS, build_app
from optout_conformance.faults.detect import (
    DetectionResult,
    VariantOutcome,
    ordered_checks,
    run_variant,
    table_row,
)
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

SEED_FILE = re.compile(r"00[0-3]_[0-9a-f]{16}\.txt")
FAULT_ENTRIES = [f for f in FAULTS.values() if f.kind == "fault"]
FAITHFUL_ENTRIES = [f for f in FAULTS.values() if f.kind == "faithful"]


def test_catalog_has_at_least_forty_faults() -> None:
    assert len(FAULT_ENTRIES) >= 40


def test_every_api_has_faults_and_faithful_variants() -> None:
    for api in APIS:
        assert any(f.api == api for f in FAULT_ENTRIES), api
        assert any(f.api == api for f in FAITHFUL_ENTRIES), api


def test_every_family_is_covered_by_some_fault() -> None:
    assert {f.family for f in FAULT_ENTRIES} == set(FAMILIES)


@pytest.mark.parametrize("entry", FAULTS.values(), ids=lambda f: f.name)
def test_every_entry_has_a_docstring_citing_a_seed_file(entry) -> None:
    assert entry.summary and entry.summary == entry.description.splitlines()[0]
    assert SEED_FILE.search(entry.description) or "glossary" in entry.description.lower(), entry.name


@pytest.mark.parametrize("entry", FAULT_ENTRIES, ids=lambda f: f.name)
def test_every_detected_by_id_names_a_registered_check_of_its_api(entry) -> None:
    checks = load_all()
    for check_id in entry.detected_by:
        assert check_id in checks, f"{entry.name}: {check_id} is not a registered check"
        assert checks[check_id].api == entry.api


def test_faithful_variants_name_no_detecting_check_and_at_least_one_profile() -> None:
    for entry in FAITHFUL_ENTRIES:
        assert entry.detected_by == ()
        assert entry.profiles


def test_names_are_kebab_case_and_start_with_their_api() -> None:
    for name, entry in FAULTS.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name), name
        assert name.startswith(entry.api + "-")


@pytest.mark.parametrize("entry", FAULTS.values(), ids=lambda f: f.name)
def test_build_app_serves_each_entry_over_http_with_a_reply_its_api_reads(entry) -> None:
    config = ReferenceConfig(seed_records=5)
    app = build_app(entry.name, config)
    operation = APIS[entry.api].operations[0][0]
    with EmbeddedServer(app) as server, httpx.Client(timeout=10.0) as client:
        url = server.url(entry.api) + operation
        response = client.post(url, data={"auth_token": "reference-token"}) if entry.api == "convoso" \
            else client.get(url)
    # A fault changes one documented behaviour; the app still answers over real HTTP, with a
    # status and a body (an unhandled exception would be a bare 500 "Internal Server Error").
    assert 200 <= response.status_code < 600
    assert response.text.strip(), entry.name
    assert response.text != "Internal Server Error", entry.name


def test_build_app_with_an_unknown_name_is_a_bad_choice_naming_the_valid_ones() -> None:
    with pytest.raises(BadChoice) as raised:
        build_app("convoso-no-such-fault", ReferenceConfig(seed_records=0))
    assert raised.value.value == "convoso-no-such-fault"
    assert "convoso-limit-above-max-served" in raised.value.choices


def test_build_app_uses_the_server_profile_an_entry_needs() -> None:
    pinned = [f for f in FAULTS.values() if f.server_profile == "official"]
    assert pinned
    assert pinned[0].config_for(ReferenceConfig(seed_records=0)).profile == "official"


def test_detected_by_checks_run_first() -> None:
    entry = FAULT_ENTRIES[0]
    checks = list(load_all().values())
    ordered = ordered_checks(entry, [c for c in checks if c.api == entry.api])
    assert [c.id for c in ordered[: len(entry.detected_by)]] == list(entry.detected_by)


def test_summary_line_counts_detections_by_named_checks_and_false_alarms() -> None:
    result = DetectionResult(outcomes=[
        VariantOutcome("convoso-a", "convoso", "fault", ["auto"], "detected", ["x"], seconds=1.0),
        VariantOutcome("convoso-b", "convoso", "fault", ["auto"], "missed", failed_instead=["z"]),
        VariantOutcome("convoso-c", "convoso", "faithful", ["auto"], "false-alarm", ["y"]),
        VariantOutcome("convoso-d", "convoso", "faithful", ["auto"], "passed"),
    ])
    summary = result.summary()
    assert summary.startswith("detected 1/2 faults by their named checks, false alarms 1/2 faithful variants")
    assert summary.endswith("missed: convoso-b")
    assert result.exit_code == 1
    assert result.to_dict()["missed"] == ["convoso-b"]


def test_a_missed_fault_caught_only_by_other_checks_names_them_in_the_table() -> None:
    outcome = VariantOutcome("convoso-a", "convoso", "fault", ["auto"], "missed", failed_instead=["z.check"])
    assert "(!) failed instead (not named in detected_by): z.check" in table_row(outcome)


def test_every_registered_check_is_named_by_some_faults_detected_by() -> None:
    named = {check_id for entry in FAULT_ENTRIES for check_id in entry.detected_by}
    unnamed = sorted(set(load_all()) - named)
    assert not unnamed, f"checks no fault names in detected_by: {unnamed}"


def test_every_name_in_a_detected_by_is_a_registered_check() -> None:
    checks = load_all()
    unknown = sorted({c for entry in FAULT_ENTRIES for c in entry.detected_by if c not in checks})
    assert not unknown


def test_a_fault_whose_named_check_does_not_fail_is_reported_missed_with_what_failed_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A real fault (the phone_code filter is ignored), credited to a check that cannot see it.
    real = FAULTS["convoso-phone-code-filter-ignored"]
    wrong = dataclasses.replace(
        real, name="convoso-credited-to-the-wrong-check",
        detected_by=("convoso.limits.limit_1000_is_accepted_and_filled",),
    )
    monkeypatch.setitem(FAULTS, wrong.name, wrong)
    outcome = run_variant(wrong.name, profiles=["auto"], budget=60)
    assert outcome.verdict == "missed", outcome.messages
    assert outcome.caught_by == []
    assert set(outcome.failed_instead) & set(real.detected_by), outcome.messages
    assert DetectionResult(outcomes=[outcome]).exit_code == 1


def test_run_variant_refuses_a_profile_the_entry_does_not_list() -> None:
    with pytest.raises(ValueError, match="lists"):
        run_variant("convoso-official-purpose-blank-ignored", profiles=["auto"])


def test_run_variant_in_one_profile_runs_only_that_profile() -> None:
    outcome = run_variant("convoso-phone-code-filter-ignored", profiles=["auto"], budget=30)
    assert outcome.profiles == ["auto"]
    assert outcome.verdict == "detected", outcome.messages
