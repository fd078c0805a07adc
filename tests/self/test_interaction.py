"""The neutral interaction: a live exchange and a recorded cassette carrying the same request and
reply become the same ``core.interaction.Interaction`` and get the same verdict from the rules."""

from __future__ import annotations

from pathlib import Path

import yaml

from optout_conformance import specs
from optout_conformance.cassettes.interactions import load_cassette
from optout_conformance.checks.response import Reply, reply_violations
from optout_conformance.core.interaction import Exchange, Interaction

SEARCH = "https://api.convoso.com/v1/sms-opt-out/search"
# A coded error in a 200 body with a code no table of search documents.
REPLY = '{"success": false, "code": 1234, "error": "Something else entirely"}'


def same_traffic(tmp_path: Path) -> tuple[Exchange, Interaction]:
    exchange = Exchange(
        method="POST", url=SEARCH, data={"auth_token": "t0ken-1234", "limit": "10"},
        headers={"content-type": "application/x-www-form-urlencoded"}, status=200,
        response_headers={"content-type": "application/json; charset=utf-8"}, text=REPLY,
    )
    cassette = tmp_path / "one.yaml"
    cassette.write_text(yaml.safe_dump({"version": 1, "interactions": [{
        "request": {"method": "POST", "uri": SEARCH, "body": "auth_token=t0ken-1234&limit=10",
                    "headers": {"Content-Type": ["application/x-www-form-urlencoded"]}},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {"Content-Type": ["application/json; charset=utf-8"]},
                     "body": {"string": REPLY}},
    }]}))
    (recorded,) = load_cassette(cassette)
    return exchange, recorded.interaction()


def test_a_live_exchange_and_a_recorded_one_become_the_same_interaction(tmp_path: Path) -> None:
    exchange, recorded = same_traffic(tmp_path)
    live = exchange.interaction()
    assert live == recorded
    assert live.path == "/v1/sms-opt-out/search"
    assert live.content_type == "application/json"
    assert live.json() == {"success": False, "code": 1234, "error": "Something else entirely"}


def test_both_get_the_same_verdict_from_the_response_rules(tmp_path: Path) -> None:
    exchange, recorded = same_traffic(tmp_path)
    spec = specs.load_spec("convoso", "lenient")
    from_live = reply_violations(Reply.from_exchange(exchange, "post", "/sms-opt-out/search"), spec)
    from_cassette = reply_violations(Reply.from_interaction(recorded, "/sms-opt-out/search"), spec)
    assert from_live == from_cassette
    assert [v.received for v in from_live] == ["code 1234 (Something else entirely)"]


def test_an_interaction_without_a_json_reply_reads_as_none() -> None:
    interaction = Interaction("GET", "http://127.0.0.1/bin/api_web", 200, "text/plain", "SUCCESS: ok")
    assert interaction.json() is None
    assert Exchange(method="GET", url="http://127.0.0.1/x", error="refused").interaction().status == 0
