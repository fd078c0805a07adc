"""What a client's request must look like, per the documents: the rules ``validate`` and ``proxy`` apply.

A :class:`Finding` is either a ``violation`` (a document states the rule) or a ``note`` (the spec's
constraint is a reference choice or a disputed point: reported, never failing). The sources:

* Convoso (000, 001): form-encoded fields in the body (every request example is
  ``Content-Type: application/x-www-form-urlencoded`` with the fields in the body), the documented
  parameters only, required fields, limit <= 1000, offset within the profile's maximum,
  numeric phone_number / phone_code / campaign_id (update's 4002 "must be numeric", insert's 6007
  "Invalid Phone Number"), and a purpose for campaign -1 (6080 "The purpose field is mandatory for
  campaigns of type 'Purpose'").
  An *empty* optional field (the batch-import example sends ``purpose: ''`` when the CSV has none)
  is not a violation: purpose is "Required: No" and the document's own example sends it empty;
  the registry records the point (``convoso.insert.empty-optional-field``: accepted in every
  profile). Only for campaign -1 is an empty purpose a violation (6080).
* WhatCounts (002): command, realm and password in either alias form (one of each pair),
  ``phone`` ("Numeric phone number ... Do not include special characters") and ``sender_code``
  required, the command ``smsstopsubscribersend``, no other arguments.
* Avaamo (003): GET, the ``access-token`` header, documented query parameters and their types and
  bounds (per_page <= 100, page >= 1, status/current_status opt-in|opt-out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from optout_conformance.checks import requests, shapes
from optout_conformance.core.apis import APIS

VIOLATION = "violation"
NOTE = "note"

CONVOSO_SOURCE = "000_4120ae5ce1e52dc7.txt / 001_5cae901d395a1be8.txt"
WHATCOUNTS_SOURCE = "002_b0345f491e7a5826.txt"
AVAAMO_SOURCE = "003_725be0800b974dd2.txt"
SOURCES = {"convoso": CONVOSO_SOURCE, "whatcounts": WHATCOUNTS_SOURCE, "avaamo": AVAAMO_SOURCE}


def source_of(api: str) -> str:
    """The documents a finding about ``api`` cites (a plugin API: its definition's sources)."""
    return SOURCES.get(api) or " / ".join(APIS[api].sources)

# JSON Schema keywords whose breach a document states (types, enums, bounds, required, security).
# Patterns and lengths in the specs are the reference's choices (see the Convoso spec's header).
DOCUMENTED_KEYWORDS = frozenset(
    {"required", "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
     "security", "content-type", "path"}
)
DIGITS = re.compile(r"^[0-9]+$")
INTEGER = re.compile(r"^-?[0-9]+$")
WHATCOUNTS_PAIRS = (("command", ("cmd", "c")), ("realm", ("realm", "r")), ("password", ("pwd", "p")))
WHATCOUNTS_ARGUMENTS = frozenset({"cmd", "c", "realm", "r", "pwd", "p", "phone", "sender_code"})
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or noteworthy) about a request or a reply."""

    part: str  # "request" | "response"
    severity: str  # VIOLATION | NOTE
    message: str
    source: str

    def render(self) -> str:
        mark = "x" if self.severity == VIOLATION else "~"
        return f"{mark} {self.part}: {self.message} ({self.source})"


def _first(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[-1] if found else None


def _schema_findings(api: str, spec: dict[str, Any], method: str, spec_path: str,
                     query: dict[str, list[str]], headers: dict[str, str], content_type: str,
                     body: bytes) -> list[Finding]:
    errors = requests.validate_request(spec, method, spec_path, query=query, headers=headers,
                                     content_type=content_type, body=body)
    findings = []
    for error in errors:
        where = f"{error.field}: " if error.field else ""
        # A client is held to every documented bound even on a disputed field: the disputes are
        # about what a server does with an out-of-bounds value, not about the bound itself.
        documented = error.keyword in DOCUMENTED_KEYWORDS
        findings.append(Finding("request", VIOLATION if documented else NOTE,
                                f"{where}{error.message}" + ("" if documented else " (reference choice or "
                                                                "disputed point)"),
                                source_of(api)))
    return findings


def _operation_properties(spec: dict[str, Any], method: str, spec_path: str) -> set[str] | None:
    operation = shapes.find_operation(spec, method, spec_path)
    if operation is None:
        return None
    body = shapes.resolve(spec, operation.get("requestBody") or {})
    schema = shapes.resolve(spec, body.get("content", {}).get(FORM, {}).get("schema", {}))
    names = set(schema.get("properties", {}))
    for parameter in operation.get("parameters", []):
        names.add(shapes.resolve(spec, parameter).get("name", ""))
    return names


def _required_fields(spec: dict[str, Any], method: str, spec_path: str) -> list[str]:
    operation = shapes.find_operation(spec, method, spec_path) or {}
    body = shapes.resolve(spec, operation.get("requestBody") or {})
    schema = shapes.resolve(spec, body.get("content", {}).get(FORM, {}).get("schema", {}))
    return [str(name) for name in schema.get("required", [])]


def convoso_findings(spec: dict[str, Any], method: str, spec_path: str, query: dict[str, list[str]],
                     headers: dict[str, str], content_type: str, body: bytes) -> list[Finding]:
    """Convoso: form encoding, documented fields, required fields, bounds, numeric fields, 6080."""
    findings = _schema_findings("convoso", spec, method, spec_path, query, headers, content_type, body)
    if query:
        findings.append(Finding("request", VIOLATION,
                                f"parameters in the query string ({', '.join(sorted(query))}); "
                                "documented as form fields in the request body", CONVOSO_SOURCE))
    if content_type != FORM:
        return findings
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return findings
    known = _operation_properties(spec, method, spec_path) or set()
    unknown = sorted(set(form) - known)
    if unknown:
        findings.append(Finding("request", VIOLATION, f"undocumented parameter(s): {', '.join(unknown)}",
                                CONVOSO_SOURCE))
    for name in _required_fields(spec, method, spec_path):
        if name in form and not (_first(form, name) or "").strip():
            findings.append(Finding("request", VIOLATION, f"{name}: required (Required: Yes) but sent empty",
                                    CONVOSO_SOURCE))
    for name in ("phone_number", "phone_code"):
        value = _first(form, name)
        if value and not DIGITS.match(value):
            findings.append(Finding("request", VIOLATION, f"{name}: {value!r} is not numeric",
                                    "000_4120ae5ce1e52dc7.txt (4002 must be numeric; 6007 Invalid Phone "
                                    "Number)"))
    campaign = _first(form, "campaign_id")
    if campaign and not INTEGER.match(campaign.strip()):
        findings.append(Finding("request", VIOLATION, f"campaign_id: {campaign!r} is not an integer",
                                CONVOSO_SOURCE + " (campaign_id: 0 global, -1 purpose type, or an id)"))
    if spec_path == "/sms-opt-out/insert" and campaign is not None and campaign.strip() == "-1" \
            and not (_first(form, "purpose") or "").strip():
        findings.append(Finding("request", VIOLATION, "campaign_id -1 (purpose type) without a purpose",
                                "000_4120ae5ce1e52dc7.txt (6080 The purpose field is mandatory for "
                                "campaigns of type 'Purpose')"))
    return findings


def whatcounts_findings(method: str, arguments: dict[str, list[str]]) -> list[Finding]:
    """WhatCounts: alias pairs (one of each), phone numeric, sender_code, the command, nothing else."""
    findings: list[Finding] = []
    if method not in ("GET", "POST"):
        findings.append(Finding("request", VIOLATION, f"method {method}; the command is a URL (GET)",
                                WHATCOUNTS_SOURCE))
    for what, names in WHATCOUNTS_PAIRS:
        given = [n for n in names if _first(arguments, n)]
        if not given:
            findings.append(Finding("request", VIOLATION,
                                    f"missing {what} ({' or '.join(f'{n}=' for n in names)})",
                                    WHATCOUNTS_SOURCE + " (Arguments: Required Yes)"))
        elif len(given) == 2 and _first(arguments, names[0]) != _first(arguments, names[1]):
            findings.append(Finding("request", NOTE,
                                    f"{what} given in both forms with different values", WHATCOUNTS_SOURCE))
    command = _first(arguments, "cmd") or _first(arguments, "c")
    if command and command != "smsstopsubscribersend":
        findings.append(Finding("request", VIOLATION, f"command {command!r} is not smsstopsubscribersend",
                                WHATCOUNTS_SOURCE))
    phone = _first(arguments, "phone")
    if not phone:
        findings.append(Finding("request", VIOLATION, "missing phone", WHATCOUNTS_SOURCE))
    elif not DIGITS.match(phone):
        findings.append(Finding("request", VIOLATION,
                                f"phone {phone!r} is not numeric (no special characters)",
                                WHATCOUNTS_SOURCE + " (Phone: Numeric phone number)"))
    if not _first(arguments, "sender_code"):
        findings.append(Finding("request", VIOLATION, "missing sender_code", WHATCOUNTS_SOURCE))
    unknown = sorted(set(arguments) - WHATCOUNTS_ARGUMENTS)
    if unknown:
        findings.append(Finding("request", VIOLATION, f"undocumented argument(s): {', '.join(unknown)}",
                                WHATCOUNTS_SOURCE))
    return findings


def avaamo_findings(spec: dict[str, Any], method: str, spec_path: str, query: dict[str, list[str]],
                    headers: dict[str, str], content_type: str, body: bytes) -> list[Finding]:
    """Avaamo: GET, access-token header, documented query parameters with their types and bounds."""
    if method != "GET":
        return [Finding("request", VIOLATION, f"method {method}; the operation is GET", AVAAMO_SOURCE)]
    findings = _schema_findings("avaamo", spec, method, spec_path, query, headers, content_type, body)
    known = _operation_properties(spec, method, spec_path) or set()
    unknown = sorted(set(query) - known)
    if unknown:
        findings.append(Finding("request", VIOLATION,
                                f"undocumented query parameter(s): {', '.join(unknown)}", AVAAMO_SOURCE))
    return findings


def request_findings(api: str, spec: dict[str, Any], method: str, spec_path: str, *,
                     query: dict[str, list[str]], headers: dict[str, str], content_type: str,
                     body: bytes) -> list[Finding]:
    """Every finding about one request as it went over the wire (header names lowercase)."""
    method = method.upper()
    if api == "convoso":
        if method != "POST":
            return [Finding("request", VIOLATION, f"method {method}; every operation is POST",
                            CONVOSO_SOURCE)]
        return convoso_findings(spec, "post", spec_path, query, headers, content_type, body)
    if api == "whatcounts":
        arguments = {k: list(v) for k, v in query.items()}
        if method == "POST" and content_type in (FORM, ""):
            try:
                for name, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                    arguments.setdefault(name, []).extend(values)
            except UnicodeDecodeError:
                pass
        return whatcounts_findings(method, arguments)
    if api == "avaamo":
        return avaamo_findings(spec, method, spec_path, query, headers, content_type, body)
    # Any other API: the request as its spec describes it (parameters, types, bounds, security).
    return _schema_findings(api, spec, method.lower(), spec_path, query, headers, content_type, body)
