"""The HTTP client's exchanges: credentials never reach a report, in any encoding."""

from __future__ import annotations

import json

import pytest

from optout_conformance.core.interaction import Exchange

SECRET = "s3cr3t@pw&1 +/"


@pytest.mark.parametrize("where", ["params", "data", "headers"])
def test_a_credential_with_reserved_characters_never_appears_in_a_report(where: str) -> None:
    fields = {"p": SECRET, "c": "smsstopsubscribersend"}
    exchange = Exchange(
        method="POST",
        url="http://127.0.0.1:9/bin/api_web",
        params=fields if where == "params" else {},
        data=fields if where == "data" else None,
        headers={"access-token": SECRET} if where == "headers" else {},
        text=f"FAILURE: bad password {SECRET}",
        status=200,
        secrets={SECRET: "$OPTOUT_CONFORMANCE_PASSWORD"},
    )
    report = json.dumps(exchange.to_dict()) + exchange.curl() + exchange.summary()
    for form in (SECRET, "s3cr3t%40pw%261", "s3cr3t%40pw%261+%2B%2F", "s3cr3t%40pw%261%20%2B%2F"):
        assert form not in report
    assert "OPTOUT_CONFORMANCE_PASSWORD" in exchange.curl()


def test_json_nested_past_the_recursion_limit_is_a_value_error_like_any_unreadable_body() -> None:
    exchange = Exchange(method="GET", url="http://127.0.0.1:9/api/v2/sms/opt-status.json",
                        text="[" * 200_000 + "]" * 200_000, status=200)
    with pytest.raises(ValueError, match=r"nested \d+ levels deep"):
        exchange.json()
    assert exchange.json_or_none() is None
