"""Convoso error codes and messages as the documents give them, and the exceptions that carry them.

Messages come from the error-code tables of 000_4120ae5ce1e52dc7.txt (search, insert, update) and
001_5cae901d395a1be8.txt (search). Two codes depend on context (registry entries
``convoso.error.6058-message`` and ``convoso.error.6008-meaning``): see ``message_for``.
"""

from __future__ import annotations

COMMUNITY = "community"
OFFICIAL = "official"

MESSAGES: dict[int, str] = {
    4001: "Missing required field: phone_number / phone_code / campaign_id",
    4002: "phone_number / phone_code / campaign_id must be numeric",
    6004: "Unknown Campaign ID",
    6006: "Invalid Campaign ID",
    6007: "Invalid Phone Number",
    6008: "The phone number already exists",
    6026: "Missing or Invalid Country Code",
    6056: "Missing or Invalid value for ID",
    6057: "Invalid Purpose Provided",
    6058: "Invalid Reason Provided",
    6059: "This combination already exists",
    6080: "The purpose field is mandatory for campaigns of type 'Purpose'",
    7231: "Invalid offset value",
}

# Which codes each operation's table lists (the reference answers no other code there).
OPERATION_CODES: dict[str, frozenset[int]] = {
    "search": frozenset({6006, 7231, 6008, 6026, 6057, 6058}),
    "insert": frozenset({6006, 6007, 6008, 6080, 6026, 6057, 6058}),
    "update": frozenset({6004, 6008, 6026, 6056, 6057, 6058, 6059, 4001, 4002, 6080}),
}

INVALID_TOKEN = "Invalid authentication token"


def message_for(code: int, operation: str, profile: str) -> str:
    """The documented message of ``code`` answered by ``operation`` under ``profile``.

    - 6058 on search: 000 says "Invalid Reason Provided", 001 "Invalid Purpose Provided" (the
      official profile follows 001); insert and update are documented by 000 only.
    - 6008 on update: "The phone number is invalid" (000's update table); elsewhere "already exists".
    """
    if code == 6058 and operation == "search" and profile == OFFICIAL:
        return "Invalid Purpose Provided"
    if code == 6008 and operation == "update":
        return "The phone number is invalid"
    return MESSAGES[code]


class ConvosoError(Exception):
    """A documented, coded Convoso error: answered HTTP 200 with success false, code and error."""

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(f"{code} {detail}".strip())
        self.code = code
        self.detail = detail


class ConvosoBadRequest(Exception):
    """An error no document gives a code for: answered HTTP 400 with success false and error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConvosoUnauthorized(Exception):
    """A missing or wrong auth_token: answered HTTP 401."""
