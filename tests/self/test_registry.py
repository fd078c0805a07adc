"""The discrepancy registry: validation, queries, rendering, and the generated docs page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from optout_conformance import registry
from optout_conformance.core.errors import BadChoice, SpecError
from optout_conformance.registry import expectation, get, load_registry, parse_registry, render

REPOSITORY = Path(__file__).resolve().parents[2]
SEEDS = REPOSITORY.parent / "shared" / "seeds"

# Ids other modules (reference server, checks) rely on; they must stay stable.
RELIED_UPON = [
    "convoso.search.limit-default",
    "convoso.search.offset-max",
    "convoso.search.paging-field-types",
    "convoso.search.limit-echo-meaning",
    "convoso.request.campaign_id-type",
    "convoso.record.insert_date-format",
    "convoso.search.insert_date-filter-format",
    "convoso.error.6058-message",
    "convoso.search.purpose-blank-filters",
    "convoso.record.global-campaign_name",
    "convoso.error.6008-meaning",
    "convoso.error.unknown-campaign-code",
    "convoso.update.non-numeric-field-code",
    "convoso.update.optional-vs-4001",
    "convoso.error.body-shape",
    "convoso.update.record-not-found",
    "convoso.error.http-status",
    "convoso.auth.invalid-token",
    "convoso.search.limit-above-max",
    "convoso.search.invalid-limit",
    "convoso.search.error-codes-without-cause",
    "convoso.insert.duplicate-key",
    "convoso.insert.phone-number-format",
    "convoso.reason-purpose-validity",
    "convoso.search.text-filter-matching",
    "convoso.search.order",
    "convoso.search.campaign-filter-unknown",
    "whatcounts.stop.subscription-required",
    "whatcounts.http-method",
    "whatcounts.failure-http-status",
    "whatcounts.failure-reason-text",
    "whatcounts.alias-conflict",
    "whatcounts.sender-code-unknown",
    "whatcounts.repeat-stop",
    "whatcounts.content-type",
    "avaamo.response.total-pages-arithmetic",
    "avaamo.path.json-suffix",
    "avaamo.query.start-time-without-end-time",
    "avaamo.entry.created_at-type",
    "avaamo.entry.created_at-units",
    "avaamo.query.per-page-above-max",
    "avaamo.response.entries-count",
    "avaamo.query.page-zero",
    "avaamo.auth.failure-response",
    "avaamo.current-status-scope",
    "avaamo.order",
    "avaamo.query.invalid-values",
]

GOOD_ENTRY = {
    "id": "convoso.search.example",
    "api": "convoso",
    "operations": ["search"],
    "subject": "s",
    "kind": "conflict",
    "sources": [{"file": "000_4120ae5ce1e52dc7.txt", "says": "x"}],
    "probe": {"request": "r", "observe": "o"},
    "profiles": {"community": 1, "official": 2, "lenient": None},
    "reference": "r",
    "spec": "none: example",
}


def test_the_registry_loads_with_at_least_twenty_entries_and_unique_ids() -> None:
    entries = load_registry()
    assert len(entries) >= 20
    assert len({entry.id for entry in entries}) == len(entries)


def test_every_id_other_modules_rely_on_is_present() -> None:
    ids = {entry.id for entry in load_registry()}
    assert sorted(set(RELIED_UPON) - ids) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not next to this checkout")
def test_every_quoted_source_passage_occurs_in_its_document() -> None:
    """`says` is the documents' exact words: fragments joined by ' … ', each maybe '<label>: '-prefixed."""
    missing = []
    for entry in load_registry():
        for source in entry.sources:
            text = " ".join((SEEDS / source.file).read_text(encoding="utf-8").split())
            for fragment in source.says.split(" … "):
                fragment = " ".join(fragment.split())
                unlabelled = re.sub(r"^[\w\[\].-]+: ", "", fragment)
                if fragment not in text and unlabelled not in text:
                    missing.append((entry.id, source.file, fragment))
    assert missing == []


def test_expectation_gives_each_profiles_pinned_value() -> None:
    assert expectation("convoso.search.limit-default", "community") == 1000
    assert expectation("convoso.search.limit-default", "official") == 100
    assert expectation("convoso.search.limit-default", "lenient") is None
    assert expectation("convoso.error.http-status", "official") == registry.OBSERVE


def test_expectation_under_auto_is_left_to_the_runner() -> None:
    assert expectation("convoso.search.limit-default", "auto") is None


def test_expectation_rejects_an_unknown_profile() -> None:
    with pytest.raises(BadChoice):
        expectation("convoso.search.limit-default", "strict")


def test_get_of_an_unknown_id_raises_spec_error_with_near_ids() -> None:
    with pytest.raises(SpecError) as raised:
        get("convoso.search.limit-defualt")
    assert "convoso.search.limit-default" in (raised.value.hint or "")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "disagreement"}, "kind must be one of"),
        ({"api": "twilio", "id": "twilio.x.y"}, "unknown api"),
        ({"id": "convoso.Search.Limit"}, "kebab-case"),
        ({"profiles": {"community": 1, "official": 2}}, "profiles must give exactly"),
        (
            {"sources": [{"file": "002_b0345f491e7a5826.txt", "says": "x"}]},
            "not a source document of convoso",
        ),
        ({"spec": "components.schemas.X"}, "spec must be a JSONPath"),
        ({"probe": {"request": "r"}}, "probe needs"),
    ],
)
def test_a_bad_entry_is_rejected_naming_the_fault(change: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_registry({"version": 1, "entries": [{**GOOD_ENTRY, **change}]})


def test_an_entry_without_a_required_key_is_rejected() -> None:
    entry = {key: value for key, value in GOOD_ENTRY.items() if key != "reference"}
    with pytest.raises(SpecError, match="lacks reference"):
        parse_registry({"version": 1, "entries": [entry]})


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(SpecError, match="duplicate id"):
        parse_registry({"version": 1, "entries": [GOOD_ENTRY, GOOD_ENTRY]})


def test_a_registry_without_version_one_is_rejected() -> None:
    with pytest.raises(SpecError, match="version: 1"):
        parse_registry({"entries": [GOOD_ENTRY]})


def test_the_table_lists_every_entry_one_per_line() -> None:
    table = render("table").splitlines()
    for entry in load_registry():
        assert any(line.startswith(entry.id + " ") for line in table)
    widths = {len(line) for line in table[2:-1]}
    assert max(widths) <= len(table[1])


def test_the_table_for_one_api_lists_only_that_api() -> None:
    rows = render("table", api="avaamo").splitlines()[2:-1]
    assert rows and all(row.startswith("avaamo.") for row in rows)


def test_json_rendering_round_trips_every_entry() -> None:
    data = json.loads(render("json"))
    assert [item["id"] for item in data] == [entry.id for entry in load_registry()]
    assert data[0]["profiles"] == load_registry()[0].profiles


def test_markdown_has_a_section_per_entry() -> None:
    markdown = render("markdown")
    for entry in load_registry():
        assert f"\n### {entry.id}\n" in markdown


def test_an_unknown_format_is_a_bad_choice() -> None:
    with pytest.raises(BadChoice):
        render("yaml")


def test_docs_discrepancies_md_is_the_current_markdown_rendering() -> None:
    committed = (REPOSITORY / "docs" / "discrepancies.md").read_text(encoding="utf-8")
    assert committed == render("markdown") + "\n", (
        "docs/discrepancies.md is stale; regenerate it with "
        "`optout-conformance discrepancies --format markdown > docs/discrepancies.md`"
    )


@pytest.mark.parametrize(
    ("realizations", "message"),
    [
        ([{"name": "only-one", "apply": {}}], "at least two"),
        ("not-a-list", "at least two"),
        ([{"name": "a", "apply": {}}, {"name": "a", "apply": {"status": 400}}], "listed twice"),
        ([{"name": "Bad Name", "apply": {}}, {"name": "b", "apply": {}}], "kebab-case"),
        ([{"name": "a", "apply": []}, {"name": "b", "apply": {}}], "mapping"),
        ([{"name": "a"}, {"name": "b", "apply": {}}], "realization is"),
    ],
)
def test_bad_realizations_are_rejected_naming_the_fault(realizations: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_registry({"version": 1, "entries": [{**GOOD_ENTRY, "realizations": realizations}]})


def test_realizations_are_parsed_with_their_catalog_names() -> None:
    entry = get("convoso.search.order")
    assert [r.name for r in entry.realizations] == ["id-ascending", "newest-first"]
    assert entry.realization("newest-first").catalog == "convoso-newest-first"
    with pytest.raises(SpecError, match="no realization"):
        entry.realization("sideways")


def test_open_points_are_the_entries_every_profile_observes() -> None:
    assert get("convoso.error.http-status").is_open_point
    assert not get("convoso.search.limit-default").is_open_point


def test_markdown_lists_each_entrys_realizations() -> None:
    line = "- Faithful realizations (`faults/open_points.py`): `id-ascending` (the reference)"
    assert line in render("markdown")
