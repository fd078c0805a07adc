"""WhatCounts' part of the request rules (seed 002).

What a client must not send: a method other than GET (or the observed POST), an alias pair
(command, realm, password: the spec's ``x-aliases``) with neither name, a command other than the
one the spec's ``cmd`` enumerates, a missing or non-numeric phone ("Numeric phone number ... Do not
include special characters"), a missing sender_code, an argument the operation does not declare.
Arguments travel in the query string or, for POST, a form body.
"""

from __future__ import annotations

import re
from typing import Any

from optout_conformance.checks.request_rules import (
    NOTE,
    VIOLATION,
    Finding,
    Request,
    aliases,
    first,
    operation_fields,
    parameter_enum,
)

SOURCE = "002_b0345f491e7a5826.txt"
DIGITS = re.compile(r"^[0-9]+$")


def _arguments(request: Request) -> dict[str, list[str]]:
    """Every argument sent: query string, then the body (form, multipart or JSON)."""
    return request.sent()


def client_findings(spec: dict[str, Any], request: Request, *, sent: Request | None = None) -> list[Finding]:
    """WhatCounts: alias pairs (one of each), phone numeric, sender_code, the command, nothing else
    (on ``request``: every argument, wherever sent); the method on ``sent`` (the request as sent)."""
    method = (sent if sent is not None else request).method.upper()
    arguments = _arguments(request)
    findings: list[Finding] = []
    if method not in ("GET", "POST"):
        findings.append(Finding("request", VIOLATION, f"method {method}; the command is a URL (GET)", SOURCE))
    # The GET operation states the arguments; the POST one repeats them.
    pairs = aliases(spec, "get", request.path)
    for what, names in pairs:
        given = [n for n in names if first(arguments, n)]
        if not given:
            findings.append(Finding("request", VIOLATION,
                                    f"missing {what} ({' or '.join(f'{n}=' for n in names)})",
                                    SOURCE + " (Arguments: Required Yes)"))
        elif len(given) == 2 and first(arguments, names[0]) != first(arguments, names[1]):
            findings.append(Finding("request", NOTE, f"{what} given in both forms with different values",
                                    SOURCE))
    command_names = dict(pairs).get("command", ())
    commands = parameter_enum(spec, "get", request.path, command_names[0]) if command_names else []
    command = next((first(arguments, n) for n in command_names if first(arguments, n)), None)
    if command and commands and command not in commands:
        findings.append(Finding("request", VIOLATION, f"command {command!r} is not {' or '.join(commands)}",
                                SOURCE))
    phone = first(arguments, "phone")
    if not phone:
        findings.append(Finding("request", VIOLATION, "missing phone", SOURCE))
    elif not DIGITS.match(phone):
        findings.append(Finding("request", VIOLATION,
                                f"phone {phone!r} is not numeric (no special characters)",
                                SOURCE + " (Phone: Numeric phone number)"))
    if not first(arguments, "sender_code"):
        findings.append(Finding("request", VIOLATION, "missing sender_code", SOURCE))
    unknown = sorted(set(arguments) - (operation_fields(spec, "get", request.path) or set()))
    if unknown:
        findings.append(Finding("request", VIOLATION, f"undocumented argument(s): {', '.join(unknown)}",
                                SOURCE, tuple(unknown)))
    return findings
