"""Robustness: long and odd input never crashes a target or makes it answer outside its documents.

Per API, a 10,000-character phone, non-UTF-8 bytes, a JSON body where a form is documented and an
empty request: each must be answered (no 5xx: Convoso's glossary makes 500 "server failed"), never
with an HTML page or a traceback (000 shows JSON replies, 002 SUCCESS/FAILURE lines, 003 JSON),
and with a reply of the documented shape; a request missing a required argument must be rejected.
A request without Avaamo's access-token is judged by what registry ``avaamo.auth.failure-response``
requires (no entries served), whatever its status. WhatCounts' odd phones need the real password
(with a wrong one the FAILURE says nothing about the phone), so they run only when writes are
allowed; otherwise the report's notes say they were not run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from optout_conformance.checks.judgement import dialect_of
from optout_conformance.checks.odd_requests import OddRequest
from optout_conformance.checks.response import assert_reply
from optout_conformance.core.apis import APIS
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped
from optout_conformance.core.reading import UNREADABLE

CRASH_MARKERS = re.compile(r"Traceback \(most recent call last\)|<!doctype html|<html", re.IGNORECASE)
def send(ctx: CheckContext, odd: OddRequest) -> Exchange:
    target = odd.path + (f"?{odd.query}" if odd.query else "")
    return ctx.http.request(odd.method, target, headers=odd.headers, content=odd.body)


def looks_like_a_crash(ex: Exchange, api: str | None = None) -> bool:
    """A traceback or an HTML page in place of a documented reply.

    The label alone proves nothing (no document states a content type; registry
    whatcounts.content-type): a body the API's dialect reads (a WhatCounts SUCCESS/FAILURE line)
    or a JSON body labelled ``text/html`` is a documented reply, not a crash page. Without ``api``,
    a body any dialect reads counts as documented.
    """
    text = ex.text[:5000]
    if CRASH_MARKERS.search(text):
        return True
    if ex.content_type != "text/html":
        return False
    if ex.json_or_none() is not None:
        return False
    dialects = [dialect_of(api)] if api else [dialect_of(name) for name in APIS]
    return all(d is None or d.read(ex.status or 0, ex.content_type, ex.text, None).kind == UNREADABLE
               for d in dialects)


def _assert_no_data_served(ex: Exchange, rule: str, source: str) -> None:
    """A reply to a request without credentials: answered, no entries (registry
    avaamo.auth.failure-response: "no entries without a valid token"; status and body are free)."""
    body = ex.json_or_none()
    entries = body.get("entries") if isinstance(body, dict) else None
    if ex.error or entries:
        raise CheckFailed(rule, received=ex.summary(), documented="no entries without a valid access-token",
                          source=f"{source}; registry avaamo.auth.failure-response", exchange=ex)


def has_credentials(ctx: CheckContext, api: str) -> bool:
    """Whether the run holds a value for every required credential field of ``api``'s definition:
    what the odd requests need unless the dialect says more (``odd_input_credentials``)."""
    fields = getattr(APIS[api], "credential_fields", ())
    return all(getattr(ctx.credentials, item.key, None) for item in fields if item.required)


def _odd_input_check(api: str) -> Callable[[CheckContext], None]:
    def odd_input_gets_a_documented_reply(ctx: CheckContext) -> None:
        """Long, non-UTF-8, wrongly encoded and empty requests get a documented reply, never a crash."""
        dialect = dialect_of(api)
        assert dialect is not None  # registered only for APIs whose dialect has odd_requests
        enough = getattr(dialect, "odd_input_credentials", None)
        if not (enough(ctx) if enough is not None else has_credentials(ctx, api)):
            raise CheckSkipped(f"credentials for {api} are needed")
        noted = getattr(dialect, "odd_input_note", None)  # why some odd requests were not sent
        note = noted(ctx) if noted is not None else None
        if note:
            ctx.note(note)
        source = str(dialect.ROBUSTNESS_SOURCE)
        observed_only: dict[str, str] = getattr(dialect, "OBSERVED_ONLY_METHODS", {})
        for odd in dialect.odd_requests(ctx):
            ex = send(ctx, odd)
            rule = f"{odd.label} gets a documented reply"
            # A method no document gives (WhatCounts' POST, registry whatcounts.http-method): observed only.
            if odd.method in observed_only:
                ctx.observe(observed_only[odd.method], {odd.method: {odd.label: ex.summary(120)}})
                continue
            if ex.error is None and looks_like_a_crash(ex, api):
                raise CheckFailed(rule, received=ex.summary(), documented="a documented reply, not an HTML "
                                  "page or a traceback", source=source, exchange=ex)
            if odd.unauthenticated:
                _assert_no_data_served(ex, rule, source)
                continue
            assert_reply(ctx, ex, odd.method, odd.path, negative=odd.negative)

    odd_input_gets_a_documented_reply.__name__ = f"{api}_odd_input_gets_a_documented_reply"
    return odd_input_gets_a_documented_reply


# The sentences that make these replies documented (checks/response.py's rules) and those that
# make the odd inputs odd are each dialect's ROBUSTNESS_CITES; its ROBUSTNESS_SOURCE the source.
for _api in APIS:
    _dialect = dialect_of(_api)
    if _dialect is None or not hasattr(_dialect, "odd_requests"):
        continue
    check(id=f"{_api}.robustness.odd_input_gets_a_documented_reply", api=_api, family="robustness",
          source=_dialect.ROBUSTNESS_SOURCE, cites=_dialect.ROBUSTNESS_CITES)(_odd_input_check(_api))
