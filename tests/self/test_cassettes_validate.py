"""``validate`` on cassettes this tool did not record (hand-written, vcrpy's format) and on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from optout_conformance.cassettes.validate import validate_paths
from optout_conformance.cli import cli

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
CLEAR_TOKEN = "clear-token-5d1e0c77"
FORM = {"Content-Type": ["application/x-www-form-urlencoded"]}
JSON = {"Content-Type": ["application/json"]}


def interaction(method: str, uri: str, body: str | None, status: int, reply: str,
                request_headers: dict[str, list[str]] | None = None,
                reply_type: str = "application/json") -> dict[str, Any]:
    return {
        "request": {"method": method, "uri": uri, "body": body, "headers": request_headers or {}},
        "response": {"status": {"code": status, "message": "OK"},
                     "headers": {"Content-Type": [reply_type]}, "body": {"string": reply}},
    }


def write(path: Path, *interactions: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "interactions": list(interactions)}))
    return path


SEARCH = "https://api.convoso.com/v1/sms-opt-out/search"
OK_SEARCH = ('{"success": true, "offset": 0, "limit": 10, "total": 1, "records": [{"id": "1", '
             '"phone_number": "5551234567", "phone_code": "1", "reason": "", "purpose": "", '
             '"insert_date": "2026-03-03", "campaign_id": "0", "campaign_name": "Global SMS Opt-Out"}]}')


def test_clean_traffic_of_all_three_apis_validates(tmp_path: Path) -> None:
    cassette = write(
        tmp_path / "clean.yaml",
        interaction("POST", SEARCH, f"auth_token={CLEAR_TOKEN}&limit=10", 200, OK_SEARCH, FORM),
        interaction("GET", "https://x.whatcounts.com/bin/api_web?r=acme&p=pw&c=smsstopsubscribersend"
                    "&phone=12065550100&sender_code=120162701555", None, 200,
                    "SUCCESS: Stopping message to phone was successful", reply_type="text/plain"),
        interaction("GET", "https://cx.avaamo.com/api/v2/sms/opt-status.json?per_page=1", None, 200,
                    '{"current_page": 1, "per_page": 1, "total_entries": 0, "total_pages": 0, '
                    '"time_token": 1675410047.1, "entries": []}', {"access-token": ["avaamo-token-1"]}),
    )
    report = validate_paths([cassette])
    assert report.exit_code == 0, report.render()
    assert "3 interaction(s)" in report.render()


def test_request_and_reply_violations_are_reported_per_interaction(tmp_path: Path) -> None:
    cassette = write(
        tmp_path / "bad.yaml",
        interaction("POST", SEARCH, f"auth_token={CLEAR_TOKEN}&limit=1001", 200, OK_SEARCH, FORM),
        interaction("POST", SEARCH, f'{{"auth_token": "{CLEAR_TOKEN}"}}', 200, OK_SEARCH, JSON),
        interaction("POST", SEARCH, f"auth_token={CLEAR_TOKEN}&colour=red", 200, OK_SEARCH, FORM),
        interaction("POST", SEARCH, f"auth_token={CLEAR_TOKEN}", 200,
                    '{"success": false, "code": 9999, "error": "Nope"}', FORM),
        interaction("POST", SEARCH, f"auth_token={CLEAR_TOKEN}&campaign_id=x1", 200,
                    '{"success": false, "code": 6006, "error": "Campaign is bad"}', FORM),
        interaction("POST", SEARCH, f"auth_token={CLEAR_TOKEN}", 200, '{"success": true, "records": 3}',
                    FORM),
        interaction("GET", "https://x/bin/api_web?r=acme&p=pw&c=smsstopsubscribersend&phone=(206)555",
                    None, 200, "OK", reply_type="text/plain"),
        interaction("GET", "https://cx.avaamo.com/api/v2/sms/opt-status.json?per_page=500&colour=1", None,
                    500, "boom", {"access-token": ["avaamo-token-1"]}, reply_type="text/plain"),
    )
    report = validate_paths([cassette])
    text = report.render()
    assert report.exit_code == 1
    for expected in ("#1 POST /v1/sms-opt-out/search", "1001 is greater than the maximum of 1000",
                     "body sent as application/json", "undocumented parameter(s): colour", "code 9999",
                     "code 6006 with message 'Campaign is bad'", "campaign_id: 'x1' is not an integer",
                     "$.records", "is not numeric", "missing sender_code", "SUCCESS or FAILURE",
                     "500 is greater than the maximum of 100", "undocumented query parameter(s): colour",
                     "HTTP 500: a server error"):
        assert expected in text, expected
    assert CLEAR_TOKEN not in text


def test_the_cli_exits_1_on_violations_and_never_prints_a_clear_credential(tmp_path: Path) -> None:
    cassette = write(tmp_path / "bad.yaml",
                     interaction("GET", f"https://x/bin/api_web?r=acme&p={CLEAR_TOKEN}&c=smsstopsubscribersend"
                                 "&phone=12065550100&sender_code=1", None, 200,
                                 f"Hello, your password is {CLEAR_TOKEN}", reply_type="text/plain"))
    result = CliRunner().invoke(cli, ["validate", str(cassette)])
    assert result.exit_code == 1, result.output
    assert CLEAR_TOKEN not in result.output
    assert "REDACTED" in result.output


def test_an_unreadable_cassette_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [\n")
    not_vcr = write(tmp_path / "other.yaml")
    not_vcr.write_text("hello: world\n")
    for path in (broken, not_vcr, tmp_path / "missing.yaml"):
        result = CliRunner().invoke(cli, ["validate", str(path)])
        assert result.exit_code == 2, result.output
        assert "error:" in result.output and "Traceback" not in result.output


def test_committed_recordings_have_only_documented_replies() -> None:
    report = validate_paths([CASSETTES], "auto", requests=False)
    assert report.exit_code == 0, report.render(notes=False)


def test_committed_community_recording_holds_to_the_community_profile() -> None:
    report = validate_paths([CASSETTES / "convoso" / "community"], "community", requests=False)
    assert report.exit_code == 0, report.render(notes=False)


def test_requests_of_the_suite_include_its_deliberate_negative_probes() -> None:
    report = validate_paths([CASSETTES / "convoso" / "community"], "auto")
    assert report.exit_code == 1
    assert "1001 is greater than the maximum of 1000" in report.render()


def findings_of(cassette: Path, profile: str = "auto") -> list[tuple[str, str, str]]:
    """(severity, message, source) of every finding of every interaction, in order."""
    return [(f.severity, f.message, f.source) for _, found in validate_paths([cassette], profile).results
            for f in found]


def test_every_schema_error_of_a_reply_is_listed_not_only_the_first(tmp_path: Path) -> None:
    # Under the community profile (000) the paging fields are integers: the string-typed ones of
    # 001's example are listed with the campaign_name error, not hidden behind it.
    paging = '"offset": "0", "limit": "10", "total": "1"'
    reply = OK_SEARCH.replace('"offset": 0, "limit": 10, "total": 1', paging).replace("Global SMS Opt-Out",
                                                                                      "Everyone")
    cassette = write(tmp_path / "c.yaml", interaction("POST", SEARCH, "auth_token=t", 200, reply, FORM))
    [(severity, message, _)] = findings_of(cassette, "community")
    assert severity == "violation"
    for error in ("$.records[0].campaign_name: 'Global SMS Opt-Out' was expected",
                  "$.offset: '0' is not of type 'integer'", "$.limit: '10' is not of type 'integer'",
                  "$.total: '1' is not of type 'integer'"):
        assert error in message, message


def test_an_undocumented_field_and_a_non_integer_campaign_are_each_reported_once(tmp_path: Path) -> None:
    body = "auth_token=t&Reason=x&campaign_id=abc"
    cassette = write(tmp_path / "c.yaml", interaction("POST", SEARCH, body, 200, OK_SEARCH, FORM))
    messages = [m for _, m, _ in findings_of(cassette)]
    assert messages == ["undocumented parameter(s): Reason", "campaign_id: 'abc' is not an integer"]


def test_a_limit_above_the_maximum_is_reported_in_a_json_body_and_in_a_posts_query_string(
    tmp_path: Path,
) -> None:
    cassette = write(tmp_path / "c.yaml",
                     interaction("POST", SEARCH, '{"auth_token": "t", "limit": 5000}', 200, OK_SEARCH, JSON),
                     interaction("POST", SEARCH + "?limit=5000", "auth_token=t", 200, OK_SEARCH, FORM))
    report = validate_paths([cassette])
    first, second = ([f.message for f in found] for _, found in report.results)
    assert "limit: 5000 is greater than the maximum of 1000" in first
    assert any(m.startswith("body sent as application/json") for m in first)
    assert "limit: 5000 is greater than the maximum of 1000" in second
    assert any(m.startswith("parameters in the query string (limit)") for m in second)


def test_a_content_type_without_a_body_is_a_note_never_body_sent_as(tmp_path: Path) -> None:
    cassette = write(tmp_path / "c.yaml",
                     interaction("POST", SEARCH + "?auth_token=t", "", 200, OK_SEARCH, JSON))
    found = findings_of(cassette)
    assert not any("body sent as" in m for _, m, _ in found)
    assert ("note", "Content-Type application/json sent without a body") in [(s, m) for s, m, _ in found]
    assert not any(s == "violation" for s, _, _ in found)


def test_an_offset_above_the_profiles_maximum_cites_the_document_that_sets_it(tmp_path: Path) -> None:
    cassette = write(tmp_path / "c.yaml",
                     interaction("POST", SEARCH, "auth_token=t&offset=200000", 200, OK_SEARCH, FORM),
                     interaction("POST", SEARCH, "auth_token=t&offset=2000000", 200, OK_SEARCH, FORM))
    community = [f for f in findings_of(cassette, "community") if f[0] == "violation"]
    assert community[0] == ("violation", "offset: 200000 is greater than the maximum of 100000",
                            "000_4120ae5ce1e52dc7.txt (offset: Pagination offset (default 0, max 100000))")
    lenient = [f for f in findings_of(cassette, "auto") if f[0] == "violation"]
    assert lenient == [("violation", "offset: 2000000 is greater than the maximum of 1000000",
                        "001_5cae901d395a1be8.txt (offset: Row offset for pagination (default 0, "
                        "max 1,000,000))")]
