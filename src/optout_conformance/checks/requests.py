"""What a request Schemathesis generated and sent means for the response rules.

A thin user of the one request-rule engine (``checks/request_rules.py``): the request as it went
over the wire is judged by the ``SERVER_MUST_REFUSE`` policy, which tells whether the response
rules must treat it as negative (it breaks the spec in a documented way), as valid, or as neither
for sure.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import schemathesis

from optout_conformance.checks.request_rules import SERVER_MUST_REFUSE, Request, api_of_spec_path, judge


@dataclass(frozen=True)
class SentRequest:
    """What a request as sent means for the rules: negative, valid, or neither for sure (None)."""

    negative: bool | None
    negation: str = ""  # how it breaks the spec (the documented negations, one line)
    disputed_sent: frozenset[str] = frozenset()  # x-discrepancy fields it carried


def request_negativity(case: schemathesis.Case, response: schemathesis.Response) -> SentRequest:
    """Judge the request as sent (see :class:`SentRequest`).

    Generation mode alone is not enough: credentials injected after generation can overwrite the
    only "negation" of a case, so the request is re-validated as it went over the wire.
    """
    meta = case.meta
    if meta is None:
        return SentRequest(None)
    request = response.request
    url = urlsplit(str(request.url))
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k.lower(): str(v) for k, v in request.headers.items()}
    sent = Request(case.method, case.path, parse_qs(url.query, keep_blank_values=True), headers,
                   headers.get("content-type", ""), body)
    api = api_of_spec_path(case.path) or ""
    negative = meta.generation.mode.is_negative
    judged = judge(api, case.operation.schema.raw_schema, sent, SERVER_MUST_REFUSE,
                   generated_negative=negative)
    return SentRequest(judged.negative, judged.negation if negative else "", judged.disputed_sent)
