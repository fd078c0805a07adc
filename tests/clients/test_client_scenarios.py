"""Client scenarios through the proxy: SDK-like clients, exact findings, and ``validate`` agreeing.

Each scenario runs a small client of ``scenario_clients.py`` through the validating proxy
(``create_proxy_app`` served on 127.0.0.1) in front of the embedded reference server of the same
profile (community, then official), reads every finding the proxy appended to
``out/violations.json`` and asserts the exact list: none missing, none extra. Then ``validate``
on the cassette the proxy saved (``out/proxy.yaml``) must find the same, finding for finding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import scenario_clients as clients

from optout_conformance.cassettes.proxy import CASSETTE_NAME, VIOLATIONS_NAME, create_proxy_app
from optout_conformance.cassettes.validate import validate_paths
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer

TOKEN = "scenario-token-4b1d9e"
SEED_RECORDS = 250
COMMUNITY = "000_4120ae5ce1e52dc7.txt"
OFFICIAL = "001_5cae901d395a1be8.txt"
BOTH = f"{COMMUNITY} / {OFFICIAL}"
SEARCH = "/v1/sms-opt-out/search"
INSERT = "/v1/sms-opt-out/insert"

# The sentences each finding stands on.
LIMIT_MAX = (f"{COMMUNITY} (limit: Results per page (default 1000, max 1000)) / "
             f"{OFFICIAL} (limit: Max number of records to return (default 100, max 1000))")
OFFSET_MAX_COMMUNITY = f"{COMMUNITY} (offset: Pagination offset (default 0, max 100000))"
POST_SEARCH = f"{COMMUNITY} (Endpoint: POST /sms-opt-out/search) / {OFFICIAL} (HTTP Method POST)"
POST_INSERT = f"{COMMUNITY} (Endpoint: POST /sms-opt-out/insert)"
PURPOSE_6080 = f"{COMMUNITY} (6080 The purpose field is mandatory for campaigns of type 'Purpose')"
CAMPAIGN_INTEGER = f"{BOTH} (campaign_id: 0 global, -1 purpose type, or an id)"
BODY_SOURCE = (f"{COMMUNITY} (Request Examples: Content-Type: application/x-www-form-urlencoded) / "
               f"{OFFICIAL} (Example PHP Usage: CURLOPT_POSTFIELDS, http_build_query)")
NO_PURPOSE = "campaign_id -1 (purpose type) without a purpose"
QUERY_POINT = (f"registry convoso.request.query-string-parameters: {OFFICIAL} (Query Parameters) / "
               f"{COMMUNITY} (Request Examples)")


def query_note(names: str) -> str:
    return (f"parameters in the query string ({names}): a disputed point (001 heads its table 'Query "
            "Parameters'; every example sends a form body); judged as sent")


Finding = tuple[str, str, str, str, str, str]  # method, path, part, severity, message, source


@dataclass
class Proxied:
    """The proxy's Convoso base URL, its output directory and the profile both servers run."""

    url: str
    out: Path
    profile: str

    def findings(self) -> list[Finding]:
        """Every finding the proxy appended, in order."""
        logged = json.loads((self.out / VIOLATIONS_NAME).read_text(encoding="utf-8"))
        return [(f["method"], f["path"], f["part"], f["severity"], f["message"], f["source"]) for f in logged]

    def validated(self) -> list[Finding]:
        """Every finding ``validate`` makes of the cassette the proxy saved, in order."""
        report = validate_paths([self.out / CASSETTE_NAME], self.profile)
        return [(item.method, item.path, f.part, f.severity, f.message, f.source)
                for item, found in report.results for f in found]


@pytest.fixture(params=["community", "official"])
def proxied(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Proxied]:
    profile = str(request.param)
    config = ReferenceConfig(profile=profile, token=TOKEN, seed_records=SEED_RECORDS)
    with EmbeddedServer(create_app(config), host="127.0.0.1", port=0) as upstream:
        app = create_proxy_app("convoso", upstream.url("convoso"), out=tmp_path, profile=profile,
                               echo=lambda line: None)
        with EmbeddedServer(app, host="127.0.0.1", port=0) as proxy:
            yield Proxied(proxy.url("convoso"), tmp_path, profile)


def assert_exactly(proxied: Proxied, expected: list[Finding]) -> None:
    """The proxy found exactly ``expected`` (order aside), and validate finds what the proxy found."""
    found = proxied.findings()
    assert sorted(found) == sorted(expected)
    assert sorted(proxied.validated()) == sorted(found)


def test_auto_pagination_by_100_stopping_at_the_first_short_page_reads_every_record_cleanly(
    proxied: Proxied,
) -> None:
    records = clients.search_all(proxied.url, TOKEN, page_size=100)
    assert len(records) == SEED_RECORDS
    assert len({r["id"] for r in records}) == SEED_RECORDS
    assert_exactly(proxied, [])
    assert len(validate_paths([proxied.out / CASSETTE_NAME], proxied.profile).results) == 3  # 100+100+50


def test_every_call_sent_as_get_with_its_parameters_in_the_url_still_has_each_of_them_judged(
    proxied: Proxied,
) -> None:
    search = clients.get_with_everything_in_the_url(proxied.url, "search", {
        "auth_token": TOKEN, "limit": "5000", "offset": "200000", "Reason": "User Request",
        "campaign_id": "abc"})
    insert = clients.get_with_everything_in_the_url(proxied.url, "insert", {
        "auth_token": TOKEN, "phone_number": "2025550199", "phone_code": "1", "campaign_id": "-1"})
    assert (search.status_code, insert.status_code) == (405, 405)  # the reference serves POST only
    no_body = "Content-Type application/json sent without a body"
    status_note = "HTTP 405 (no document gives error statuses)"
    expected = [
        ("GET", SEARCH, "request", "note", no_body, BOTH),
        ("GET", SEARCH, "request", "violation", "method GET; every operation is POST", POST_SEARCH),
        ("GET", SEARCH, "request", "note", query_note("Reason, auth_token, campaign_id, limit, offset"),
         QUERY_POINT),
        ("GET", SEARCH, "request", "violation", "limit: 5000 is greater than the maximum of 1000", LIMIT_MAX),
        ("GET", SEARCH, "request", "violation", "undocumented parameter(s): Reason", BOTH),
        ("GET", SEARCH, "request", "violation", "campaign_id: 'abc' is not an integer", CAMPAIGN_INTEGER),
        ("GET", SEARCH, "response", "note", status_note, BOTH),
        ("GET", INSERT, "request", "note", no_body, BOTH),
        ("GET", INSERT, "request", "violation", "method GET; every operation is POST", POST_INSERT),
        ("GET", INSERT, "request", "note", query_note("auth_token, campaign_id, phone_code, phone_number"),
         QUERY_POINT),
        ("GET", INSERT, "request", "violation", NO_PURPOSE, PURPOSE_6080),
        ("GET", INSERT, "response", "note", status_note, BOTH),
    ]
    if proxied.profile == "community":  # 000: max 100000; 001 (official) allows 1,000,000
        expected.append(("GET", SEARCH, "request", "violation",
                         "offset: 200000 is greater than the maximum of 100000", OFFSET_MAX_COMMUNITY))
    assert_exactly(proxied, expected)


def test_a_page_size_of_2000_is_one_violation_citing_both_documents_max_1000(proxied: Proxied) -> None:
    reply = clients.search_page(proxied.url, TOKEN, 2000)
    assert reply.status_code == 200
    assert int(reply.json()["limit"]) == 1000  # clamped (registry convoso.search.limit-above-max)
    assert_exactly(proxied, [
        ("POST", SEARCH, "request", "violation", "limit: 2000 is greater than the maximum of 1000",
         LIMIT_MAX),
    ])


def test_an_insert_into_campaign_minus_1_without_purpose_is_one_violation_and_the_6080_reply_none(
    proxied: Proxied,
) -> None:
    reply = clients.insert(proxied.url, TOKEN, phone_number="2025550198", phone_code="1", campaign_id="-1")
    assert reply.json()["code"] == 6080
    assert_exactly(proxied, [
        ("POST", INSERT, "request", "violation", NO_PURPOSE, PURPOSE_6080),
    ])


def test_the_batch_import_of_000_with_empty_optional_fields_and_a_duplicate_has_no_finding(
    proxied: Proxied,
) -> None:
    rows = ("phone,code,reason\n"
            "2025550101,1,User Request\n"
            "2025550102,1,\n"  # an empty reason, sent as the example sends it: not a violation
            "2025550101,1,Again\n")  # a duplicate: 6008, a documented answer
    printed = clients.batch_import(proxied.url, TOKEN, rows)
    assert printed == ["Opted out: 2025550101", "Opted out: 2025550102", "Failed: 2025550101"]
    assert_exactly(proxied, [])
    assert len(validate_paths([proxied.out / CASSETTE_NAME], proxied.profile).results) == 3


def test_a_filter_in_the_query_string_of_a_post_is_honoured_by_the_reference_and_only_noted(
    proxied: Proxied,
) -> None:
    phone = "2025550177"
    assert clients.insert(proxied.url, TOKEN, phone_number=phone, phone_code="1", campaign_id="0").json()[
        "success"] is True
    found = clients.search_all(proxied.url, TOKEN, page_size=100, phone_number=phone)
    by_query = clients.search_in_the_query_string(proxied.url, TOKEN, phone_number=phone)
    assert [r["phone_number"] for r in found] == [phone]
    assert by_query.json()["records"] == found  # honoured, not silently dropped (every record)
    assert_exactly(proxied, [
        ("POST", SEARCH, "request", "note", query_note("phone_number"), QUERY_POINT),
    ])


def test_a_name_in_the_query_string_and_the_form_with_different_values_is_refused_not_dropped(
    proxied: Proxied,
) -> None:
    reply = clients.search_in_the_query_string(proxied.url, TOKEN, phone_number="2025550101",
                                               form={"phone_number": "2025550102"})
    assert reply.status_code == 400
    assert reply.json() == {"success": False, "error": "phone_number given in the query string and the "
                                                       "form body with different values"}
    assert_exactly(proxied, [
        ("POST", SEARCH, "request", "note", query_note("phone_number"), QUERY_POINT),
    ])


def test_filters_in_a_json_body_under_a_query_string_are_refused_by_the_reference_not_dropped(
    proxied: Proxied,
) -> None:
    reply = clients.search_with_a_json_body(proxied.url, TOKEN, phone_number="2025550101", limit="5000")
    assert reply.status_code == 400
    assert reply.json()["success"] is False
    assert_exactly(proxied, [
        ("POST", SEARCH, "request", "violation",
         "body sent as application/json; documented: application/x-www-form-urlencoded", BODY_SOURCE),
        ("POST", SEARCH, "request", "note", query_note("auth_token"), QUERY_POINT),
        ("POST", SEARCH, "request", "violation", "limit: 5000 is greater than the maximum of 1000",
         LIMIT_MAX),
    ])
