"""The reference's last line of defence answers an unexpected exception in the API's own style.

An API whose definition gives ``internal_error_text`` (WhatCounts: a FAILURE line) gets it as
plain text; the others get a short JSON error. Never a traceback.
"""

from __future__ import annotations

from typing import Any

import httpx

from optout_conformance.core.apis import APIS
from optout_conformance.reference.app import create_app
from optout_conformance.reference.config import ReferenceConfig
from optout_conformance.reference.server import EmbeddedServer


def _exploding(api: str) -> type:
    base = APIS[api].service_class()

    class Exploding(base):  # type: ignore[misc, valid-type]
        async def handle(self, request: Any) -> Any:
            raise RuntimeError("boom")

    return Exploding


def test_an_unexpected_exception_gets_each_apis_own_short_reply() -> None:
    config = ReferenceConfig(seed_records=0)
    classes = {api: _exploding(api) for api in ("whatcounts", "avaamo")}
    with EmbeddedServer(create_app(config, apis=list(classes), **classes)) as running:
        text = httpx.get(running.url("whatcounts") + "/api_web", params={"c": "smsstopsubscribersend"})
        page = httpx.get(running.url("avaamo") + "/sms/opt-status.json")
    assert (text.status_code, text.text) == (500, "FAILURE: Internal error")
    assert text.headers["content-type"].startswith("text/plain")
    assert page.status_code == 500
    assert page.json() == {"success": False, "error": "Internal server error"}
    assert "Traceback" not in text.text + page.text
