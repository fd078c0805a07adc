"""How a WhatCounts reply reads: one ``SUCCESS`` or ``FAILURE: [Reason]`` line (002 "Results")."""

from __future__ import annotations

import re
from typing import Any

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
