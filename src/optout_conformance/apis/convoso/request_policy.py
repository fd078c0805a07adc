"""Convoso's part of the request rules (seeds 000 community, 001 official).

What a client must not send: anything but POST, parameters in the query string (every request
example is ``Content-Type: application/x-www-form-urlencoded`` with the fields in the body),
undocumented fields, a required field sent empty, non-numeric phone_number / phone_code (update's
4002 "must be numeric", insert's 6007 "Invalid Phone Number"), a non-integer campaign_id, and
campaign -1 without a purpose (6080 "The purpose field is mandatory for campaigns of type
'Purpose'"); plus the spec's documented keywords (limit <= 1000, offset within the profile's
maximum, required fields).
An *empty* optional field (the batch-import example sends ``purpose: ''`` when the CSV has none)
is not a violation: purpose is "Required: No" and the document's own example sends it empty; the
registry records the point (``convoso.insert.empty-optional-field``: accepted in every profile).
Only for campaign -1 is an empty purpose a violation (6080).
"""

from __future__ import annotations

import re
from typing import Any

from optout_conformance.checks.request_rules import (
    CLIENT_MUST_NOT_SEND,
    FORM,
    VIOLATION,
    Finding,
    Request,
    first,
    operation_fields,
    required_form_fields,
    schema_findings,
)

SOURCE = "000_4120ae5ce1e52dc7.txt / 001_5cae901d395a1be8.txt"
DIGITS = re.compile(r"^[0-9]+$")
INTEGER = re.compile(r"^-?[0-9]+$")
NUMERIC_FIELDS = ("phone_number", "phone_code")


def client_findings(spec: dict[str, Any], request: Request) -> list[Finding]:
    """Convoso: POST, form encoding, documented fields, required fields, bounds, numeric fields, 6080."""
    method = request.method.upper()
    if method != "POST":
        return [Finding("request", VIOLATION, f"method {method}; every operation is POST", SOURCE)]
    spec_path = request.path
    findings = schema_findings("convoso", spec, request, CLIENT_MUST_NOT_SEND)
    if request.query:
        findings.append(Finding("request", VIOLATION,
                                f"parameters in the query string ({', '.join(sorted(request.query))}); "
                                "documented as form fields in the request body", SOURCE))
    if request.content_type != FORM:
        return findings
    form = request.form()  # {} when the body is not UTF-8
    known = operation_fields(spec, "post", spec_path) or set()
    unknown = sorted(set(form) - known)
    if unknown:
        findings.append(Finding("request", VIOLATION, f"undocumented parameter(s): {', '.join(unknown)}",
                                SOURCE))
    for name in required_form_fields(spec, "post", spec_path):
        if name in form and not (first(form, name) or "").strip():
            findings.append(Finding("request", VIOLATION, f"{name}: required (Required: Yes) but sent empty",
                                    SOURCE))
    for name in NUMERIC_FIELDS:
        value = first(form, name)
        if value and not DIGITS.match(value):
            findings.append(Finding("request", VIOLATION, f"{name}: {value!r} is not numeric",
                                    "000_4120ae5ce1e52dc7.txt (4002 must be numeric; 6007 Invalid Phone "
                                    "Number)"))
    campaign = first(form, "campaign_id")
    if campaign and not INTEGER.match(campaign.strip()):
        findings.append(Finding("request", VIOLATION, f"campaign_id: {campaign!r} is not an integer",
                                SOURCE + " (campaign_id: 0 global, -1 purpose type, or an id)"))
    if spec_path == "/sms-opt-out/insert" and campaign is not None and campaign.strip() == "-1" \
            and not (first(form, "purpose") or "").strip():
        findings.append(Finding("request", VIOLATION, "campaign_id -1 (purpose type) without a purpose",
                                "000_4120ae5ce1e52dc7.txt (6080 The purpose field is mandatory for "
                                "campaigns of type 'Purpose')"))
    return findings
