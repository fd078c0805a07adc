"""Convoso's part of the request rules (seeds 000 community, 001 official).

Judged on every request, each rule whatever the others found (:func:`client_findings` gets the
request with its arguments laid out as documented, wherever the client put them, and the request
as sent):

* how it travelled: a method other than POST (000 "Endpoint: POST /sms-opt-out/<op>" for each of
  the three operations; 001 "HTTP Method POST"); a body in another encoding than the form every
  example sends (the engine's ``transport_findings``, citing :data:`BODY_SOURCE`); arguments in the
  query string: a disputed point (registry ``convoso.request.query-string-parameters``: 001 heads its
  table "Query Parameters", every example of both documents sends a form body, no sentence says
  either way), so a note in every profile;
* what it says: undocumented fields, a required field sent empty, non-numeric phone_number /
  phone_code (update's 4002 "must be numeric", insert's 6007 "Invalid Phone Number"), a
  non-integer campaign_id, and campaign -1 without a purpose (6080 "The purpose field is mandatory
  for campaigns of type 'Purpose'"); plus the spec's documented keywords (limit <= 1000, offset
  within the profile's maximum, required fields), each citing its sentence.

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
    NOTE,
    VIOLATION,
    Finding,
    Request,
    first,
    operation_fields,
    required_form_fields,
    schema_findings,
)

SOURCE = "000_4120ae5ce1e52dc7.txt / 001_5cae901d395a1be8.txt"
COMMUNITY = "000_4120ae5ce1e52dc7.txt"
OFFICIAL = "001_5cae901d395a1be8.txt"
# The sentences behind the content type: every request example of 000, and 001's PHP example.
BODY_SOURCE = (f"{COMMUNITY} (Request Examples: Content-Type: application/x-www-form-urlencoded) / "
               f"{OFFICIAL} (Example PHP Usage: CURLOPT_POSTFIELDS, http_build_query)")
QUERY_POINT = "convoso.request.query-string-parameters"
DIGITS = re.compile(r"^[0-9]+$")
INTEGER = re.compile(r"^-?[0-9]+$")
NUMERIC_FIELDS = ("phone_number", "phone_code")


def method_source(spec_path: str) -> str:
    """The sentences that give the operation's method: 000's endpoint line (and 001's for search)."""
    found = f"{COMMUNITY} (Endpoint: POST {spec_path})"
    return found + (f" / {OFFICIAL} (HTTP Method POST)" if spec_path.endswith("/search") else "")


def transport(request: Request) -> list[Finding]:
    """The method and the query string of the request as sent."""
    findings = []
    method = request.method.upper()
    if method != "POST":
        findings.append(Finding("request", VIOLATION, f"method {method}; every operation is POST",
                                method_source(request.path)))
    if request.query:
        findings.append(Finding(
            "request", NOTE,
            f"parameters in the query string ({', '.join(sorted(request.query))}): a disputed point "
            "(001 heads its table 'Query Parameters'; every example sends a form body); judged as sent",
            f"registry {QUERY_POINT}: {OFFICIAL} (Query Parameters) / {COMMUNITY} (Request Examples)"))
    return findings


def client_findings(spec: dict[str, Any], request: Request, *, sent: Request | None = None) -> list[Finding]:
    """Convoso: POST, documented fields, required fields, bounds, numeric fields, 6080 (on
    ``request``: the arguments laid out as documented); method and query string on ``sent``."""
    findings = transport(sent if sent is not None else request)
    spec_path = request.path
    findings += schema_findings("convoso", spec, request, CLIENT_MUST_NOT_SEND)
    if request.content_type != FORM:
        return findings
    form = request.form()  # {} when the body is not UTF-8
    known = operation_fields(spec, "post", spec_path) or set()
    unknown = sorted(set(form) - known)
    if unknown:
        findings.append(Finding("request", VIOLATION, f"undocumented parameter(s): {', '.join(unknown)}",
                                SOURCE, tuple(unknown)))
    for name in required_form_fields(spec, "post", spec_path):
        if name in form and not (first(form, name) or "").strip():
            findings.append(Finding("request", VIOLATION, f"{name}: required (Required: Yes) but sent empty",
                                    SOURCE, (name,)))
    for name in NUMERIC_FIELDS:
        value = first(form, name)
        if value and not DIGITS.match(value):
            findings.append(Finding("request", VIOLATION, f"{name}: {value!r} is not numeric",
                                    "000_4120ae5ce1e52dc7.txt (4002 must be numeric; 6007 Invalid Phone "
                                    "Number)", (name,)))
    campaign = first(form, "campaign_id")
    if campaign and not INTEGER.match(campaign.strip()):
        findings.append(Finding("request", VIOLATION, f"campaign_id: {campaign!r} is not an integer",
                                SOURCE + " (campaign_id: 0 global, -1 purpose type, or an id)",
                                ("campaign_id",)))
    if spec_path == "/sms-opt-out/insert" and campaign is not None and campaign.strip() == "-1" \
            and not (first(form, "purpose") or "").strip():
        findings.append(Finding("request", VIOLATION, "campaign_id -1 (purpose type) without a purpose",
                                "000_4120ae5ce1e52dc7.txt (6080 The purpose field is mandatory for "
                                "campaigns of type 'Purpose')", ("purpose",)))
    return findings
