"""How a WhatCounts reply reads: one ``SUCCESS`` or ``FAILURE: [Reason]`` line (002 "Results")."""

from __future__ import annotations

import re
from typing import Any

from optout_conformance.checks.odd_requests import FORM, LONG_PHONE, OddRequest
from optout_conformance.core.context import CheckContext
from optout_conformance.core.reading import REJECTION, SUCCESS, UNREADABLE, Reading

SOURCE = "002_b0345f491e7a5826.txt"
CODED_ERRORS = False
AUTH_CODES: frozenset[int] = frozenset()
SUCCESS_LINE = "SUCCESS: Stopping message to phone was successful"
FAILURE_LINE = re.compile(r"^FAILURE:\s*\S")
RULE_CITES: tuple[tuple[str, str], ...] = (
    (SOURCE, "The Stop Sending SMS to Contact command outputs either a SUCCESS or FAILURE message."),
    (SOURCE, "The command will fail if a subscription does not exist, if the phone number is not "
     "found, or if an argument is invalid. The result format is: FAILURE: [Reason]"),
)
SERVER_ERROR_SOURCE = f"{SOURCE} (Results: 'outputs either a SUCCESS or FAILURE message')"
ROBUSTNESS_SOURCE = f"{SOURCE} (Results: a SUCCESS or FAILURE message)"
ROBUSTNESS_CITES = (*RULE_CITES, (SOURCE, "Numeric phone number for the contacts."))
PROPERTY_SOURCE = f"{SOURCE} (Arguments, Results)"
PROPERTY_CITES: tuple[tuple[str, str], ...] = (*RULE_CITES, (
    SOURCE, "The command requires the following arguments: Command, Realm, Password, Phone Number, and "
    "Sender Code."))
# 002 lets any stop fail ("if a subscription does not exist, if the phone number is not found"): a
# refusal of valid data is not judged.
REJECTED_VALID = ""
TEXT_RULE = "WhatCounts reply is a SUCCESS or FAILURE message"
TEXT_FORMAT = f"{SUCCESS_LINE!r} or 'FAILURE: <reason>'"


def read(status: int, content_type: str, text: str, body: Any) -> Reading:
    """The exact success line, or one ``FAILURE: <reason>`` line; anything else is unreadable."""
    line = text.strip()
    if line == SUCCESS_LINE:
        return Reading(SUCCESS)
    if FAILURE_LINE.match(line) and "\n" not in line:
        return Reading(REJECTION, None, line[len("FAILURE:"):].strip())
    return Reading(UNREADABLE)


# Robustness (checks/robustness.py): the odd requests sent to this API, the credentials they need.
# A POST is undocumented (registry whatcounts.http-method): its reply is observed only.
OBSERVED_ONLY_METHODS = {"POST": "whatcounts.http-method"}


def odd_input_credentials(ctx: CheckContext) -> bool:
    c = ctx.credentials
    return bool(c.realm and c.sender_code and not (ctx.writes_allowed and not c.password))


def odd_input_note(ctx: CheckContext) -> str | None:
    return None if ctx.writes_allowed else ODD_PHONES_NOT_RUN

ODD_PHONES_NOT_RUN = (
    "whatcounts robustness: the odd-phone cases (a 10,000-digit phone, non-UTF-8 bytes in the phone) "
    "were not run: they need the real password, i.e. a stop that writes (pass --allow-writes); with "
    "a wrong one the FAILURE would be the password's, not the phone's"
)


def odd_requests(ctx: CheckContext) -> list[OddRequest]:
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
