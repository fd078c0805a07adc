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

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from optout_conformance.apis import APIS
from optout_conformance.checks.judgement import dialect_of
from optout_conformance.checks.response import assert_reply
from optout_conformance.core.checks import check
from optout_conformance.core.context import CheckContext
from optout_conformance.core.interaction import Exchange
from optout_conformance.core.outcomes import CheckFailed, CheckSkipped
from optout_conformance.core.reading import UNREADABLE

LONG_PHONE = "5" * 10_000
FORM = "application/x-www-form-urlencoded"
CRASH_MARKERS = re.compile(r"Traceback \(most recent call last\)|<!doctype html|<html", re.IGNORECASE)
@dataclass(frozen=True)
class OddRequest:
    """One unusual request and whether the documents oblige the target to reject it."""

    label: str
    method: str
    path: str  # the spec path the reply is judged against
    query: str = ""  # raw query string (may carry percent-encoded non-UTF-8 bytes)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    negative: bool | None = None
    # Sent without credentials: judged only on serving no data (a status and body no document gives).
    unauthenticated: bool = False


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


def _convoso(ctx: CheckContext) -> list[OddRequest]:
    token = ctx.credentials.token or ""
    form = {"content-type": FORM}
    search = "/sms-opt-out/search"
    return [
        OddRequest("a 10,000-digit phone_number filter", "POST", search,
                   body=f"auth_token={token}&phone_number={LONG_PHONE}".encode(), headers=form),
        OddRequest("non-UTF-8 bytes in a form body", "POST", search,
                   body=f"auth_token={token}&reason=".encode() + b"\xff\xfe\xfa", headers=form),
        OddRequest("a JSON body instead of a form", "POST", search,
                   body=json.dumps({"auth_token": token}).encode(),
                   headers={"content-type": "application/json"}),
        OddRequest("an empty body (no auth_token)", "POST", search, body=b"", headers=form, negative=True),
    ]


ODD_PHONES_NOT_RUN = (
    "whatcounts robustness: the odd-phone cases (a 10,000-digit phone, non-UTF-8 bytes in the phone) "
    "were not run: they need the real password, i.e. a stop that writes (pass --allow-writes); with "
    "a wrong one the FAILURE would be the password's, not the phone's"
)


def _whatcounts(ctx: CheckContext) -> list[OddRequest]:
    c = ctx.credentials
    args = f"c=smsstopsubscribersend&r={c.realm}&p={c.password}&sender_code={c.sender_code}"
    # The odd phones go out with the real password, so only when writes are allowed (a faulty
    # target could store the stop); a wrong password would make any FAILURE the password's.
    phones = [
        OddRequest("a 10,000-digit phone", "GET", "/api_web", query=f"{args}&phone={LONG_PHONE}"),
        OddRequest("non-UTF-8 bytes in the phone", "GET", "/api_web", query=f"{args}&phone=%FF%FE1",
                   negative=True),
    ] if ctx.writes_allowed else []
    return [
        *phones,
        OddRequest("no arguments at all", "GET", "/api_web", negative=True),
        OddRequest("a form body with non-UTF-8 bytes and no query", "POST", "/api_web",
                   body=b"c=smsstopsubscribersend&phone=\xff\xfe", headers={"content-type": FORM}),
    ]


def _avaamo(ctx: CheckContext) -> list[OddRequest]:
    token = {"access-token": ctx.credentials.token or ""}
    path = "/sms/opt-status.json"
    return [
        OddRequest("a 10,000-digit to_phone", "GET", path, query=f"to_phone={LONG_PHONE}", headers=token),
        OddRequest("non-UTF-8 bytes in from_phone", "GET", path, query="from_phone=%FF%FE", headers=token),
        OddRequest("empty page and per_page values", "GET", path, query="page=&per_page=", headers=token),
        OddRequest("a JSON body on the GET", "GET", path, body=b'{"per_page": 1}',
                   headers={**token, "content-type": "application/json"}),
        OddRequest("no access-token and odd values", "GET", path, query="page=%FF&per_page=-1",
                   unauthenticated=True),
    ]


def _assert_no_data_served(ex: Exchange, rule: str, source: str) -> None:
    """A reply to a request without credentials: answered, no entries (registry
    avaamo.auth.failure-response: "no entries without a valid token"; status and body are free)."""
    body = ex.json_or_none()
    entries = body.get("entries") if isinstance(body, dict) else None
    if ex.error or entries:
        raise CheckFailed(rule, received=ex.summary(), documented="no entries without a valid access-token",
                          source=f"{source}; registry avaamo.auth.failure-response", exchange=ex)


REQUESTS: dict[str, Callable[[CheckContext], list[OddRequest]]] = {
    "convoso": _convoso, "whatcounts": _whatcounts, "avaamo": _avaamo,
}


def _odd_input_check(api: str) -> Callable[[CheckContext], None]:
    def odd_input_gets_a_documented_reply(ctx: CheckContext) -> None:
        """Long, non-UTF-8, wrongly encoded and empty requests get a documented reply, never a crash."""
        needed = {"convoso": ctx.credentials.token, "avaamo": ctx.credentials.token,
                  "whatcounts": ctx.credentials.realm and ctx.credentials.sender_code}[api]
        if not needed or (api == "whatcounts" and ctx.writes_allowed and not ctx.credentials.password):
            raise CheckSkipped(f"credentials for {api} are needed")
        if api == "whatcounts" and not ctx.writes_allowed:
            ctx.note(ODD_PHONES_NOT_RUN)
        source = str(getattr(dialect_of(api), "ROBUSTNESS_SOURCE", api))
        for odd in REQUESTS[api](ctx):
            ex = send(ctx, odd)
            rule = f"{odd.label} gets a documented reply"
            # POST to WhatCounts is undocumented (registry whatcounts.http-method): observed only.
            if api == "whatcounts" and odd.method == "POST":
                ctx.observe("whatcounts.http-method", {"POST": {odd.label: ex.summary(120)}})
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
    if _dialect is None or _api not in REQUESTS:
        continue
    check(id=f"{_api}.robustness.odd_input_gets_a_documented_reply", api=_api, family="robustness",
          source=_dialect.ROBUSTNESS_SOURCE, cites=_dialect.ROBUSTNESS_CITES)(_odd_input_check(_api))
