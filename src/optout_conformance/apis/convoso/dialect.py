"""How a Convoso reply reads (000 "Error Handling", 001; public fact: the convoso-js SDK treats a JSON
body with ``"success": false`` as an API error), and the sentences the reply rules stand on."""

from __future__ import annotations

import json
from typing import Any

from optout_conformance.checks.odd_requests import FORM, LONG_PHONE, OddRequest
from optout_conformance.core.checks import PUBLIC_FACTS
from optout_conformance.core.context import CheckContext
from optout_conformance.core.reading import REJECTION, SUCCESS, UNREADABLE, Reading, code_and_message

SOURCE = "000_4120ae5ce1e52dc7.txt, 001_5cae901d395a1be8.txt"
# Refusals of a documented form carry a code from the operation's x-error-codes table.
CODED_ERRORS = True
# Public fact (seeds README): Convoso's API glossary lists 401 (missing or invalid token) and 403
# (token not valid for the office). 000's Error Handling table gives the invalid-token reply with no
# code at all, so a body carrying one of these codes names a documented refusal on every operation.
AUTH_CODES = frozenset({401, 403})
# The sentences behind the response rules: Convoso answers JSON, a refused token with 000's body (the
# glossary: 401 missing or invalid token, 500 a server failure).
RULE_CITES: tuple[tuple[str, str], ...] = (
    ("000_4120ae5ce1e52dc7.txt", "auth_tokenstringYesAuthentication token"),
    ("000_4120ae5ce1e52dc7.txt",
     'Invalid auth_token{"success": false, "error": "Invalid authentication token"}'),
    (PUBLIC_FACTS, "401 (missing or invalid token)"),
    (PUBLIC_FACTS, "500 (server failed)"),
)
SERVER_ERROR_SOURCE = "seeds README public fact: Convoso's glossary, 500 = server failed"
ROBUSTNESS_SOURCE = ("000_4120ae5ce1e52dc7.txt (Error Handling: JSON replies); Convoso API glossary (500 = "
                     "server failed)")
ROBUSTNESS_CITES = RULE_CITES
PROPERTY_SOURCE = f"{SOURCE} (parameters, response fields, error codes)"
PROPERTY_CITES: tuple[tuple[str, str], ...] = (*RULE_CITES, (
    PUBLIC_FACTS, 'The convoso-js SDK treats a JSON body with `"success": false` as an API error'))
# Error-code coverage (report/coverage.py): registry entries that mark codes as having no documented
# cause on their operations, and the spec path of each operation name the registry uses.
CAUSELESS_ENTRIES = (
    "convoso.search.error-codes-without-cause",
    "convoso.reason-purpose-validity",
    "convoso.update.country-code-validity",
)
OPERATION_PATHS = {"search": "/sms-opt-out/search", "insert": "/sms-opt-out/insert",
                   "update": "/sms-opt-out/update"}
REJECTED_VALID = "success, or an error code documented for the operation"


def read(status: int, content_type: str, text: str, body: Any) -> Reading:
    """A JSON object is a reply; ``success`` false (boolean, "false" or 0) makes it a rejection."""
    if not isinstance(body, dict):
        return Reading(UNREADABLE)
    code, message = code_and_message(body)
    if body.get("success") in (False, "false", 0):
        return Reading(REJECTION, code, message)
    return Reading(SUCCESS, code, message)


# Robustness (checks/robustness.py): the odd requests sent to this API (they need the definition's
# required credentials, the token; no note).

def odd_requests(ctx: CheckContext) -> list[OddRequest]:
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
