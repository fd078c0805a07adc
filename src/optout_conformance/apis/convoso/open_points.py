"""Convoso open points as behaviours: small mixins of the reference service, by name.

The generic generator (``faults/open_points.py``) composes them with reply transforms into
faithful servers; a realization names one with ``apply: {behaviour: <name>}`` in
``openapi/discrepancies.yaml``. :func:`reply_kind` tells the generator what kind of reply the
reference gave (the ``reply`` selector of a transform).
"""

from __future__ import annotations

import json
from typing import Any

from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import ConvosoBadRequest, ConvosoError
from optout_conformance.apis.convoso.store import ConvosoRecord
from optout_conformance.reference.store import Where

# 000's Error Handling table: the texts of errors it documents without a code.
DOCUMENTED_UNCODED = frozenset({
    "Invalid authentication token", "Phone already in SMS opt-out", "Invalid phone number",
    "Campaign not found", "Record not found",
})



class ConvosoNewestFirst(ConvosoService):
    """Search records newest first (id descending), stably."""

    def page(self, where: Where, offset: int, limit: int) -> list[ConvosoRecord]:
        total = self.count(where)
        start = max(total - offset - limit, 0)
        size = max(min(limit, total - offset), 0)
        return list(reversed(super().page(where, start, size))) if size else []


class ConvosoLimitAboveMaxRejected(ConvosoService):
    """limit above 1000 -> HTTP 400 without a code instead of clamping."""

    def parse_limit(self, value: str) -> int:
        if value.isdigit() and int(value) > 1000:
            raise ConvosoBadRequest("limit must be at most 1000")
        return super().parse_limit(value)


class ConvosoInvalidLimitDefault(ConvosoService):
    """limit 0, negative or not a number -> the default page size instead of an error."""

    def parse_limit(self, value: str) -> int:
        try:
            return super().parse_limit(value)
        except ConvosoBadRequest:
            return self.default_limit()


class ConvosoTextFilterCaseInsensitive(ConvosoService):
    """reason / purpose filters match regardless of letter case."""

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        where = super().filter_text(column, value, invalid_code)
        if where is not None and where[0] == f"{column} = ?":
            return f"{column} = ? COLLATE NOCASE", where[1]
        return where


class ConvosoTextFilterTrimmed(ConvosoService):
    """reason / purpose filters ignore leading and trailing whitespace on both sides."""

    def filter_text(self, column: str, value: str, invalid_code: int) -> Where | None:
        where = super().filter_text(column, value, invalid_code)
        if where is not None and where[0] == f"{column} = ?":
            return f"TRIM({column}) = ?", [str(where[1][0]).strip()]
        return where


class ConvosoRecordNotFoundText(ConvosoService):
    """An update of an unknown id -> 000's error "Record not found" (no code) instead of 6056."""

    def find_update_record(self, value: str) -> ConvosoRecord:
        known = value.isdigit() and len(value) <= 18  # SQLite integers are 64-bit
        record = self.store.get_convoso(int(value)) if known else None
        if record is None and known:
            raise ConvosoBadRequest("Record not found")
        return super().find_update_record(value)


class ConvosoUnknownCampaignFilter6006(ConvosoService):
    """A search for a campaign id no campaign has -> 6006 Invalid Campaign ID (not an empty result)."""

    def filter_campaign_id(self, value: str) -> Where | None:
        where = super().filter_campaign_id(value)
        if where is not None and self.config.campaign(int(where[1][0])) is None:
            raise ConvosoError(6006, value)
        return where


class ConvosoReasonPurposeAnyLength(ConvosoService):
    """A reason or purpose of any length is accepted (no 6058 / 6057 for long texts)."""

    def validate_reason(self, value: str) -> str:
        return value

    def validate_purpose(self, value: str) -> str:
        return value


class ConvosoReasonPurposeMax100(ConvosoService):
    """A reason or purpose longer than 100 characters -> 6058 / 6057 (a tighter bound)."""

    def validate_reason(self, value: str) -> str:
        if len(value) > 100:
            raise ConvosoError(6058)
        return super().validate_reason(value)

    def validate_purpose(self, value: str) -> str:
        if len(value) > 100:
            raise ConvosoError(6057)
        return super().validate_purpose(value)


class ConvosoUpdateReplacesOther(ConvosoService):
    """An update onto another record's (phone_number, phone_code, campaign_id) is accepted and
    applied: the other record is replaced (removed), so the key stays unique."""

    def update(self, fields: dict[str, str]) -> dict[str, Any]:
        try:
            return super().update(fields)
        except ConvosoError as exc:
            if exc.code != 6059:
                raise
        record = self.store.get_convoso(int(fields["id"]))
        assert record is not None  # the update found it before colliding
        key = (
            fields.get("phone_number") or record.phone_number,
            fields.get("phone_code") or record.phone_code,
            int(fields["campaign_id"]) if fields.get("campaign_id") else record.campaign_id,
        )
        self.store.delete_other_convoso(*key, keep=record.id)
        return super().update(fields)


class ConvosoPhoneCodeAnyNumeric(ConvosoService):
    """Any numeric phone_code is accepted (no 1-4 digit bound; missing or non-numeric is still
    refused as before)."""

    def validate_phone_code(self, value: str) -> str:
        if value.isdigit() and value.isascii():
            return value
        return super().validate_phone_code(value)



BEHAVIOURS: dict[str, type] = {
    "newest-first": ConvosoNewestFirst,
    "limit-above-max-rejected": ConvosoLimitAboveMaxRejected,
    "invalid-limit-default": ConvosoInvalidLimitDefault,
    "text-filter-case-insensitive": ConvosoTextFilterCaseInsensitive,
    "text-filter-trimmed": ConvosoTextFilterTrimmed,
    "record-not-found-text": ConvosoRecordNotFoundText,
    "unknown-campaign-filter-6006": ConvosoUnknownCampaignFilter6006,
    "reason-purpose-any-length": ConvosoReasonPurposeAnyLength,
    "reason-purpose-max-100": ConvosoReasonPurposeMax100,
    "update-replaces-other": ConvosoUpdateReplacesOther,
    "phone-code-any-numeric": ConvosoPhoneCodeAnyNumeric,
}


def reply_kind(status: int, body: bytes) -> str:
    """What kind of reply this is: "documented-error" = an error without a code whose text is one
    of 000's Error Handling table ("Record not found", ...); "bad-request" = one outside every table."""
    try:
        document = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return "other"
    if not isinstance(document, dict) or document.get("success") is not False:
        return "success" if status == 200 else "other"
    if status == 401:
        return "auth-failure"
    if "code" in document:
        return "coded-error"
    return "documented-error" if document.get("error") in DOCUMENTED_UNCODED else "bad-request"
