"""The error-code coverage table is computed by the run and only rendered by the reports.

One embedded run of every API through the command line (``run --api all --report-json --html
--require-coverage -v``). The expectation below is what the same command reported before the
table moved out of ``report/`` (captured from the JSON report of that tree): each documented
Convoso code's status and the checks credited with triggering it, and the gate's lines. Every
consumer — the results, the JSON report, the terminal, the HTML page, ``--require-coverage``
and the gate read back from the JSON — must show that same table.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest
from click.testing import CliRunner

from optout_conformance.checks.coverage import documented_error_codes, error_code_coverage, excused_codes
from optout_conformance.cli import cli
from optout_conformance.core.results import NOT_SEEN, ApiResult
from optout_conformance.report.coverage import coverage_gate

SEARCH, INSERT, UPDATE = "/sms-opt-out/search", "/sms-opt-out/insert", "/sms-opt-out/update"
# (operation, code) -> (status, checks credited), in the spec's order, as reported before the move.
BEFORE: dict[tuple[str, int], tuple[str, tuple[str, ...]]] = {
    (SEARCH, 6006): ("triggered", ("convoso.filters.campaign_id_filter_returns_only_that_campaign",)),
    (SEARCH, 7231): ("triggered", ("convoso.limits.negative_or_non_integer_offset_gets_7231",
                                   "convoso.limits.offset_above_the_maximum_gets_7231",
                                   "convoso.shapes.search_replies_conform_to_the_spec")),
    (SEARCH, 6008): ("not seen", ()),
    (SEARCH, 6026): ("seen", ()),
    (SEARCH, 6057): ("seen", ()),
    (SEARCH, 6058): ("seen", ()),
    (INSERT, 6006): ("triggered", ("convoso.errors.insert_with_an_unknown_campaign_gets_6006",
                                   "convoso.shapes.insert_and_update_replies_conform_to_the_spec")),
    (INSERT, 6007): ("triggered", ("convoso.errors.insert_of_a_phone_number_with_letters_gets_6007",)),
    (INSERT, 6008): ("triggered", ("convoso.errors.duplicate_insert_gets_6008",
                                   "convoso.state.duplicate_insert_leaves_a_single_record")),
    (INSERT, 6080): ("triggered", (
        "convoso.errors.insert_into_the_purpose_campaign_without_purpose_gets_6080",)),
    (INSERT, 6026): ("triggered", ("convoso.errors.insert_without_a_valid_phone_code_gets_6026",)),
    (INSERT, 6057): ("not seen", ()),
    (INSERT, 6058): ("seen", ()),
    (UPDATE, 6004): ("triggered", ("convoso.errors.update_with_an_unknown_campaign_gets_6004",)),
    (UPDATE, 6008): ("triggered", ("convoso.errors.update_with_a_non_numeric_field_gets_4002",)),
    (UPDATE, 6026): ("not seen", ()),
    (UPDATE, 6056): ("triggered", ("convoso.errors.update_without_a_known_id_gets_6056",
                                   "convoso.shapes.insert_and_update_replies_conform_to_the_spec")),
    (UPDATE, 6057): ("not seen", ()),
    (UPDATE, 6058): ("seen", ()),
    (UPDATE, 6059): ("triggered", ("convoso.errors.update_to_an_existing_combination_gets_6059",
                                   "convoso.state.refused_colliding_update_changes_nothing")),
    (UPDATE, 4001): ("triggered", ("convoso.errors.update_with_a_non_numeric_field_gets_4002",)),
    (UPDATE, 4002): ("triggered", ("convoso.errors.update_with_a_non_numeric_field_gets_4002",)),
    (UPDATE, 6080): ("triggered", (
        "convoso.errors.update_clearing_the_purpose_of_a_purpose_campaign_record_gets_6080",)),
}
# The gate's lines before the move (run --require-coverage).
GATE_BEFORE = [
    "convoso: excused (no documented cause, convoso.search.error-codes-without-cause): "
    "/sms-opt-out/search 6008 The phone number already exists",
    "convoso: excused (no documented cause, convoso.reason-purpose-validity): "
    "/sms-opt-out/insert 6057 Invalid Purpose Provided",
    "convoso: excused (no documented cause, convoso.update.country-code-validity): "
    "/sms-opt-out/update 6026 Missing or Invalid Country Code",
    "convoso: excused (no documented cause, convoso.reason-purpose-validity): "
    "/sms-opt-out/update 6057 Invalid Purpose Provided",
    "convoso: coverage gate passes: 19/23 documented codes triggered or seen, 0 missing, 4 excused",
    "whatcounts: coverage gate passes (no documented numeric error codes)",
    "avaamo: coverage gate passes (no documented numeric error codes)",
]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], str]:
    folder = tmp_path_factory.mktemp("coverage")
    result = CliRunner().invoke(cli, ["run", "--api", "all", "--no-color", "-v", "--require-coverage",
                                      "--report-json", str(folder / "r.json"),
                                      "--html", str(folder / "r.html")])
    assert result.exit_code == 0, result.output
    document = json.loads((folder / "r.json").read_text(encoding="utf-8"))
    return result.output, document, (folder / "r.html").read_text(encoding="utf-8")


def test_the_json_reports_coverage_table_is_the_one_reported_before_the_move(
    embedded: tuple[str, dict[str, Any], str],
) -> None:
    _, document, _ = embedded
    convoso, whatcounts, avaamo = document["apis"]
    rows = convoso["error_codes"]
    table = {(r["operation"], r["code"]): (r["status"], tuple(r["check_ids"])) for r in rows}
    # The targeted checks trigger the same codes, credited to the same checks, on every run.
    assert {k: v for k, v in table.items() if v[0] == "triggered"} == {
        k: v for k, v in BEFORE.items() if v[0] == "triggered"}
    # Whether the property phase's generated requests happen to meet a code ("seen") varies with
    # what Hypothesis generates in its time budget; such rows are seen or not, credited to no check.
    assert all(v in (("seen", ()), ("not seen", ())) for k, v in table.items() if BEFORE[k][0] != "triggered")
    assert [(r["operation"], r["code"]) for r in convoso["error_codes"]] == list(BEFORE)  # same order
    assert whatcounts["error_codes"] == [] and avaamo["error_codes"] == []
    messages = {(path, code): message for path, code, message in documented_error_codes("convoso")}
    assert all(r["message"] == messages[(r["operation"], r["code"])] for r in convoso["error_codes"])


def reported(document: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(operation, code, status) of the Convoso rows the JSON report carries, in order."""
    return [(r["operation"], r["code"], r["status"]) for r in document["apis"][0]["error_codes"]]


def test_the_json_rows_name_the_registry_entry_excusing_a_code() -> None:
    excused = excused_codes("convoso")
    assert excused[(SEARCH, 6008)] == "convoso.search.error-codes-without-cause"
    assert excused[(INSERT, 6057)] == "convoso.reason-purpose-validity"
    assert (INSERT, 6008) not in excused


def test_require_coverage_prints_the_gate_lines_reported_before_the_move(
    embedded: tuple[str, dict[str, Any], str],
) -> None:
    output, document, _ = embedded
    printed = [line for line in output.splitlines() if "coverage gate" in line or ": excused (" in line]
    assert [line for api in document["apis"] for line in coverage_gate(api)[1]] == printed
    # Every code neither triggered nor seen is excused by its registry entry (none is missing), and
    # each line names the row the run reported; the codes excused before the move that were not
    # seen this time are excused again (whether a code is "seen" varies with what Hypothesis generates).
    rows = document["apis"][0]["error_codes"]
    excused = [line for line in printed if ": excused (" in line]
    assert excused == [f"convoso: excused (no documented cause, {r['excused_by']}): "
                       f"{r['operation']} {r['code']} {r['message']}"
                       for r in rows if r["status"] == "not seen"]
    not_seen = {f" {r['operation']} {r['code']} " for r in rows if r["status"] == "not seen"}
    assert all(line in excused for line in GATE_BEFORE if ": excused (" in line
               and any(key in line for key in not_seen))
    assert printed[-2:] == GATE_BEFORE[-2:]
    assert re.fullmatch(r"convoso: coverage gate passes: \d+/23 documented codes triggered or seen, "
                        rf"0 missing, {len(excused)} excused", printed[-3])


def test_the_terminal_table_lists_the_same_rows(embedded: tuple[str, dict[str, Any], str]) -> None:
    output, document, _ = embedded
    statuses = [status for _, _, status in reported(document)]
    counts = [statuses.count(status) for status in ("triggered", "seen", "not seen")]
    assert "Documented error codes: {} triggered, {} seen, {} not seen".format(*counts) in output
    row = r"^    (search|insert|update)\s+(\d{4})\s.*?\s(triggered|seen|not seen)$"
    shown = re.findall(row, output, re.M)
    assert [(f"/sms-opt-out/{op}", int(code), status) for op, code, status in shown] == reported(document)


def test_the_html_table_lists_the_same_rows(embedded: tuple[str, dict[str, Any], str]) -> None:
    _, document, page = embedded
    table = page.split("<h3>Documented error codes</h3>", 1)[1].split("</table>", 1)[0]
    row = r"<tr(?: class=\"n0\")?><td>([^<]*)</td><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td>"
    cells = re.findall(row, table)
    assert [(op, int(code), unescape(status)) for op, code, status in cells] == reported(document)


def test_reports_render_the_rows_the_results_carry_and_compute_none() -> None:
    # A hand-made result with no rows: the reports show no table, whatever its exchanges were.
    result = ApiResult("convoso", "http://127.0.0.1:9/v1", True, "lenient", "lenient", True)
    passes = "convoso: coverage gate passes (no documented numeric error codes)"
    assert coverage_gate(result) == (True, [passes])
    # The same result's rows as the run computes them: every documented code, none seen.
    rows = error_code_coverage(result)
    assert len(rows) == len(BEFORE) and {r.status for r in rows} == {NOT_SEEN}
    result.error_codes = rows
    ok, lines = coverage_gate(result)
    # Every code the registry excuses is excused now that none was seen (10), the rest missing.
    assert not ok
    assert lines[-1] == ("convoso: coverage gate fails: 0/23 documented codes triggered or seen, "
                         "13 missing, 10 excused")


def test_an_error_entry_without_a_numeric_code_is_no_row_of_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An x-error-codes entry that gives a message without a code (as 000's Error Handling table
    # does for a bad token) or a code that is not a number has no code a reply could carry.
    from optout_conformance.checks import coverage

    spec = {"paths": {"/op": {"post": {"x-error-codes": [
        {"message": "Invalid authentication token"},
        {"code": "6001", "message": "a code spelled as text"},
        "6002",
        {"code": 6003, "message": "a coded entry"},
    ]}}}}
    monkeypatch.setattr(coverage, "load_spec", lambda api, profile: spec)
    coverage.documented_error_codes.cache_clear()
    try:
        assert coverage.documented_error_codes("convoso") == (("/op", 6003, "a coded entry"),)
    finally:
        coverage.documented_error_codes.cache_clear()


def test_a_causeless_entry_missing_from_the_registry_or_an_unmapped_operation_excuses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The gate fails closed: a dialect naming an entry the registry lacks, or an operation it has no
    # path for, excuses no code; the entries that do resolve excuse theirs as before.
    from optout_conformance.checks import coverage

    dialect = coverage._dialect("convoso")
    before = excused_codes("convoso")
    monkeypatch.setattr(dialect, "CAUSELESS_ENTRIES", ("convoso.no-such-entry", *dialect.CAUSELESS_ENTRIES))
    assert excused_codes("convoso") == before
    monkeypatch.setattr(dialect, "OPERATION_PATHS", {"insert": "/sms-opt-out/insert"})
    assert excused_codes("convoso") == {k: v for k, v in before.items() if k[0] == "/sms-opt-out/insert"}
    assert excused_codes("convoso") and before.keys() - excused_codes("convoso").keys()
