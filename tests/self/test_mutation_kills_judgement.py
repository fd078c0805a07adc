"""Which API's dialect reads a reply: found from the spec path, else from the URL a reply came from.

A recorded interaction without a spec path still names its operation in its URL (a query string
and all); a URL of none of the APIs leaves the reply to the HTTP status alone (unreadable at 200).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from optout_conformance.checks.judgement import api_of_path, dialect_of, read_reply
from optout_conformance.core.reading import REJECTION, SUCCESS, UNREADABLE, Reading

BASE = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Reply:
    url: str
    status: int | None
    content_type: str | None
    text: str | None
    spec_path: str | None = None


@pytest.mark.parametrize(("url", "text", "reading"), [
    (f"{BASE}/whatcounts/bin/api_web?c=smsstopsubscribersend&phone=5551234567",
     "SUCCESS: Stopping message to phone was successful", Reading(SUCCESS)),
    (f"{BASE}/whatcounts/bin/api_web?c=smsstopsubscribersend", "FAILURE: Invalid phone",
     Reading(REJECTION, None, "Invalid phone")),
    (f"{BASE}/whatcounts/bin/api_web", "FAILURE: Invalid phone", Reading(REJECTION, None, "Invalid phone")),
    (f"{BASE}/elsewhere?next=/api_web", "FAILURE: Invalid phone", Reading(UNREADABLE)),
])
def test_a_reply_without_a_spec_path_is_read_by_the_api_its_url_names(url: str, text: str,
                                                                       reading: Reading) -> None:
    assert read_reply(Reply(url, 200, "text/plain", text)) == reading


def test_a_spec_path_given_outright_decides_the_api_whatever_the_url() -> None:
    reply = Reply("", 200, "text/plain", "FAILURE: Invalid phone")
    assert read_reply(reply, "/api_web") == Reading(REJECTION, None, "Invalid phone")
    assert read_reply(Reply("", 200, "text/plain", "FAILURE: Invalid phone", "/api_web")) == Reading(
        REJECTION, None, "Invalid phone")


@pytest.mark.parametrize(("path", "api"), [
    ("/api_web", "whatcounts"), ("/sms/opt-status", "avaamo"), ("/sms/opt-status.json", "avaamo"),
    ("/sms-opt-out/search", "convoso"), ("/sms-opt-out/update", "convoso"), ("/elsewhere", None),
])
def test_each_spec_path_belongs_to_the_api_whose_operations_start_it(path: str, api: str | None) -> None:
    assert api_of_path(path) == api


def test_no_api_or_an_unknown_one_has_no_dialect() -> None:
    assert dialect_of(None) is None and dialect_of("elsewhere") is None
    assert dialect_of("whatcounts") is not None
