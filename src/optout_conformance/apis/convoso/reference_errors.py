"""Convoso error codes and messages as the documents give them, and the exceptions that carry them.

Messages come from the error-code tables of 000_4120ae5ce1e52dc7.txt (search, insert, update) and
001_5cae901d395a1be8.txt (search), as the spec's ``x-error-codes`` carries them (read here, never
copied). Two codes depend on context (registry entries
``convoso.error.6058-message`` and ``convoso.error.6008-meaning``): see ``message_for``.
"""

from __future__ import annotations

import functools

from optout_conformance.specs import load_spec

COMMUNITY = "community"
OFFICIAL = "official"



@functools.cache
def operation_messages() -> dict[str, dict[int, str]]:
    """operation name -> {code: documented message}: the spec's ``x-error-codes`` (the one table of
    codes and messages; the reference answers no other code on an operation)."""
    spec = load_spec("convoso", "lenient")
    tables: dict[str, dict[int, str]] = {}
    for path, item in (spec.get("paths") or {}).items():
        for operation in (item or {}).values():
            if not isinstance(operation, dict):
                continue
            table = tables.setdefault(str(path).rstrip("/").rsplit("/", 1)[-1], {})
            for entry in operation.get("x-error-codes") or []:
                if isinstance(entry, dict) and isinstance(entry.get("code"), int):
                    table.setdefault(entry["code"], str(entry.get("message", "")))
    return tables


def operation_codes(operation: str) -> frozenset[int]:
    """Which codes the operation's table lists (the spec's ``x-error-codes``)."""
    return frozenset(operation_messages().get(operation, {}))


INVALID_TOKEN = "Invalid authentication token"


def message_for(code: int, operation: str, profile: str) -> str:
    """The documented message of ``code`` answered by ``operation`` under ``profile``.

    - 6058 on search: 000 says "Invalid Reason Provided", 001 "Invalid Purpose Provided" (the
      official profile follows 001); insert and update are documented by 000 only.
    - 6008 on update: "The phone number is invalid" (000's update table); elsewhere "already exists".

    Every message is the operation's ``x-error-codes`` entry (6058's 001 wording is its variant).
    """
    if code == 6058 and operation == "search" and profile == OFFICIAL:
        return "Invalid Purpose Provided"
    tables = operation_messages()
    if code in tables.get(operation, {}):
        return tables[operation][code]
    return next(table[code] for table in tables.values() if code in table)


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
