"""How an Avaamo reply reads: a JSON page of ``entries`` (003 "Response attributes"); a JSON body
with ``error`` and no ``entries`` is a refusal (003 documents no error body)."""

from __future__ import annotations

from typing import Any

from optout_conformance.checks.odd_requests import LONG_PHONE, OddRequest
from optout_conformance.core.context import CheckContext
from optout_conformance.core.reading import REJECTION, SUCCESS, UNREADABLE, Reading, code_and_message

SOURCE = "003_725be0800b974dd2.txt"
CODED_ERRORS = False
AUTH_CODES: frozenset[int] = frozenset()
RULE_CITES: tuple[tuple[str, str], ...] = (
    (SOURCE, "200: OK Successful request"),
    (SOURCE, "access-token<mark style=\"color:red;\">*</mark>"),
)
SERVER_ERROR_SOURCE = (f"{SOURCE} ('200: OK Successful request': the documented reply to a query of the "
                       "documented types)")
ROBUSTNESS_SOURCE = f"{SOURCE} (Response attributes: a JSON page)"
ROBUSTNESS_CITES = (*RULE_CITES, (SOURCE, "The recipient's phone number to which the SMS was sent."))
PROPERTY_SOURCE = f"{SOURCE} (Query Parameters, Headers, Response attributes)"
PROPERTY_CITES: tuple[tuple[str, str], ...] = (
    *RULE_CITES,
    (SOURCE, "Supported values: opt-in, opt-out"),
    (SOURCE, "Maximum value: 100"),
)
REJECTED_VALID = "a page of entries"


def read(status: int, content_type: str, text: str, body: Any) -> Reading:
    if not isinstance(body, dict):
        return Reading(UNREADABLE)
    code, message = code_and_message(body)
    if "error" in body and "entries" not in body:
        return Reading(REJECTION, code, message)
    return Reading(SUCCESS, code, message)


# Robustness (checks/robustness.py): the odd requests sent to this API (they need the definition's
# required credentials, the token; no note).

def odd_requests(ctx: CheckContext) -> list[OddRequest]:
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
