"""Open points as servers: ONE generator turns the registry's realizations into faithful variants.

An *open point* is a registry entry (``openapi/discrepancies.yaml``) on which no document fixes
the answer; its ``realizations`` list choices a faithful server may make, as data::

    realizations:
      - {name: http-200, apply: {}}                               # the reference's own choice
      - {name: http-400, apply: {reply: coded-error, status: 400}}   # a reply transform
      - {name: newest-first, apply: {behaviour: newest-first}}    # a behaviour mixin

The generator knows two sorts of operation:

- **reply transforms** (:data:`TRANSFORMS`), applied by one ASGI middleware
  (:class:`ReplyTransforms`) to the replies of the kind named by ``reply`` (:data:`REPLY_KINDS`;
  default ``any``): the HTTP status, the content type, a trailing newline, extra JSON fields,
  field order, set / rename / stringify JSON fields, extra headers (``Connection: close``);
- **behaviours** (:data:`BEHAVIOURS`): small mixins of the API's reference service looked up by
  name (order, clamping vs rejecting, case-insensitive matching, a page past the end -> 400 ...).

:func:`server` composes the realizations of any number of open points of one API into one
catalog :class:`~optout_conformance.faults.catalog.Fault`, named from its choices
(:func:`server_name`), so that ``optout-conformance serve --fault <name>`` rebuilds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.routing import Route

from optout_conformance.apis.avaamo.reference import AvaamoBadRequest, AvaamoService
from optout_conformance.apis.convoso.reference import ConvosoService
from optout_conformance.apis.convoso.reference_errors import ConvosoBadRequest, ConvosoError
from optout_conformance.apis.whatcounts.reference import StopFailure, WhatCountsService
from optout_conformance.core.apis import APIS, SERVER_PROFILES
from optout_conformance.core.errors import BadChoice
from optout_conformance.core.faults import Fault
from optout_conformance.faults.covering import pairwise
from optout_conformance.reference.store import ConvosoRecord, Where
from optout_conformance.registry import Discrepancy, Realization, load_registry

# The kinds of reply a transform can select (``reply``); "error" = every kind but success.
# Convoso: "documented-error" = an error without a code whose text is one of 000's Error Handling
# table ("Record not found", ...); "bad-request" = an error outside every table.
REPLY_KINDS = (
    "any", "success", "error", "coded-error", "documented-error", "bad-request", "auth-failure", "failure",
)
# 000's Error Handling table: the texts of errors it documents without a code.
DOCUMENTED_UNCODED = frozenset({
    "Invalid authentication token", "Phone already in SMS opt-out", "Invalid phone number",
    "Campaign not found", "Record not found",
})
# Reply transforms: apply-key -> what its argument is.
TRANSFORMS = {
    "status": "the HTTP status (an integer)",
    "content_type": "the Content-Type header, verbatim",
    "trailing_newline": "text appended to the body, text or JSON (\"\\n\" or \"\\r\\n\")",
    "extra_fields": "a mapping merged into a JSON object body",
    "field_order": "'reversed': the JSON object's keys (and its records' keys) in reverse order",
    "set": "a mapping of JSON fields to set (e.g. {code: 401})",
    "rename": "a mapping old key -> new key in a JSON object body",
    "stringify": "a list of JSON fields whose numbers become numeric strings",
    "header": "a mapping of extra response headers (e.g. {connection: close})",
}
SELECTOR = "reply"
BEHAVIOUR = "behaviour"
# Run profiles a generated server is run in, by server profile (Convoso) or API.
CONVOSO_RUNS = {"community": ("auto", "community"), "official": ("auto", "official")}
OTHER_RUNS = ("auto", "lenient")
# Separators of a generated name: <api>+<server profile>+<point>=<choice>+...
PART, CHOICE = "+", "="


# ------------------------------------------------------------------ behaviours (service mixins)


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
        with self.store._lock:
            self.store._db.execute(
                "DELETE FROM convoso_records WHERE phone_number = ? AND phone_code = ? AND campaign_id = ?"
                " AND id != ?", (*key, record.id),
            )
            self.store._wrote()
        return super().update(fields)


class ConvosoPhoneCodeAnyNumeric(ConvosoService):
    """Any numeric phone_code is accepted (no 1-4 digit bound; missing or non-numeric is still
    refused as before)."""

    def validate_phone_code(self, value: str) -> str:
        if value.isdigit() and value.isascii():
            return value
        return super().validate_phone_code(value)


class WhatCountsLongArgumentWins(WhatCountsService):
    """Both forms of an argument with different values: the long form is used (no FAILURE)."""

    def argument(self, arguments: dict[str, str], name: str) -> str:
        if name in arguments:
            return arguments[name]
        return super().argument(arguments, name)


class WhatCountsGetOnly(WhatCountsService):
    """Serves only GET (POST -> 405)."""

    def routes(self) -> list[Route]:
        return [Route("/bin/api_web", self.handle, methods=["GET"])]


# 002's example contact: "The SMS contact with the matching phone number will be removed from the
# sender code '120162701555'" (phone=12065551212 in the example request).
EXAMPLE_CONTACT = "12065551212"


class WhatCountsNeverSubscribedFails(WhatCountsService):
    """A stop for a phone with no subscription -> FAILURE.

    002 says both that the command creates "an opt out for any Phone number regardless of
    subscription" and that it "will fail if a subscription does not exist"; this server takes the
    second reading. Its only subscriptions are 002's example contact (phone 12065551212) on each of
    the account's sender codes: the document's own example of a stop that succeeds, so a documented
    valid stop exists (WhatCounts documents no way to create a subscription).
    """

    def subscribed(self, phone: str, sender_code: str) -> bool:
        return phone == EXAMPLE_CONTACT and sender_code in self.config.sender_codes

    def stop(self, phone: str, sender_code: str) -> None:
        if not self.subscribed(phone, sender_code):
            raise StopFailure("Subscription does not exist for phone")
        super().stop(phone, sender_code)


class WhatCountsRepeatStopFails(WhatCountsService):
    """A second stop of the same phone on the same sender code -> FAILURE (already stopped)."""

    def stop(self, phone: str, sender_code: str) -> None:
        created = self.config.now().strftime("%Y-%m-%d %H:%M:%S")
        if not self.store.add_whatcounts_stop(phone, sender_code, self.config.realm, created):
            raise StopFailure("Phone is already stopped for this sender code")


class WhatCountsCountryCodeRequired(WhatCountsService):
    """The phone must carry the country code like 002's example 12065551212: a phone of fewer than
    11 digits -> FAILURE "Invalid phone number"."""

    def check_phone(self, phone: str) -> str:
        phone = super().check_phone(phone)
        if len(phone) < 11:
            raise StopFailure("Invalid phone number")
        return phone


class WhatCountsAnySenderCode(WhatCountsService):
    """Any non-empty sender code is accepted (the account's codes are not checked)."""

    def check_sender_code(self, sender_code: str) -> str:
        if sender_code == "":
            raise StopFailure("Missing required argument: sender_code")
        return sender_code


class AvaamoPageBelowOneIsFirst(AvaamoService):
    """page 0 or a negative page -> the first page (not HTTP 400)."""

    def parse_page(self, value: str) -> int:
        try:
            return super().parse_page(value)
        except AvaamoBadRequest:
            if value.lstrip("-").isdigit():
                return 1
            raise


class AvaamoUnknownStatusIgnored(AvaamoService):
    """An unsupported status / current_status value is ignored (no filter), not refused."""

    def filter_status(self, column: str, value: str) -> tuple[str, list[Any]]:
        try:
            return super().filter_status(column, value)
        except AvaamoBadRequest:
            return "1", []


class AvaamoPlusRestored(AvaamoService):
    """A to_phone / from_phone whose raw '+' decoded to a leading space matches as '+' (lenient decoding)."""

    def filter_phone(self, column: str, value: str) -> tuple[str, list[Any]]:
        if value.startswith(" ") and value[1:].isdigit():
            value = "+" + value[1:]
        return super().filter_phone(column, value)


class AvaamoStartTimeLatestThree(AvaamoService):
    """start_time without end_time -> 003's first reading: "the latest 3 entries up to the
    specified timetoken" (created at or before start_time, newest 3, other filters applied)."""

    def build_filter(self, query: dict[str, str]) -> Where:
        start, end = query.get("start_time", ""), query.get("end_time", "")
        if not start or end:
            return super().build_filter(query)
        rest = {k: v for k, v in query.items() if k != "start_time"}
        sql, params = super().build_filter({**rest, "end_time": start})
        return (
            f"id IN (SELECT id FROM avaamo_entries WHERE {sql} ORDER BY created_at DESC, id DESC LIMIT 3)",
            params,
        )


class AvaamoTotalPagesFloor(AvaamoService):
    """total_pages = total_entries // per_page (003's "total_entries = per_page * total_pages"
    read with whole numbers: a last, partial page is not counted)."""

    def total_pages(self, total: int, per_page: int) -> int:
        return total // per_page


class AvaamoTotalPagesAtLeastOne(AvaamoService):
    """total_pages is at least 1 (an empty result is one empty page)."""

    def total_pages(self, total: int, per_page: int) -> int:
        return max(super().total_pages(total, per_page), 1)


class AvaamoPerPageAboveMaxRejected(AvaamoService):
    """per_page above 100 -> HTTP 400 instead of clamping."""

    def parse_per_page(self, value: str) -> int:
        if value.isdigit() and int(value) > 100:
            raise AvaamoBadRequest("per_page must be at most 100")
        return super().parse_per_page(value)


class AvaamoPagePastEnd400(AvaamoService):
    """A page past the last one -> HTTP 400 instead of an empty page."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        result = super().list_entries(query)
        if not result["entries"] and result["current_page"] > max(result["total_pages"], 1):
            raise AvaamoBadRequest("page is past the last page")
        return result


class AvaamoOldestFirst(AvaamoService):
    """Entries oldest first (the reverse of the reference's newest first), stably."""

    def list_entries(self, query: dict[str, str]) -> dict[str, Any]:
        page = self.parse_page(query.get("page", ""))
        per_page = self.parse_per_page(query.get("per_page", ""))
        where = self.build_filter(query)
        total = self.store.count_avaamo(where)
        offset = (page - 1) * per_page
        start = max(total - offset - per_page, 0)
        size = max(min(per_page, total - offset), 0)
        entries = list(reversed(self.store.page_avaamo(where, start, size))) if size else []
        return self.format_response(page, per_page, total, entries)


class AvaamoCreatedAtMilliseconds(AvaamoService):
    """created_at in epoch milliseconds."""

    def format_entry(self, entry: Any) -> dict[str, Any]:
        return {**super().format_entry(entry), "created_at": entry.created_at * 1000}


class AvaamoJsonPathOnly(AvaamoService):
    """Serves only /api/v2/sms/opt-status.json (the plain path is 404)."""

    def routes(self) -> list[Route]:
        return [Route("/api/v2/sms/opt-status.json", self.handle, methods=["GET"])]


BEHAVIOURS: dict[str, dict[str, type]] = {
    "convoso": {
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
    },
    "whatcounts": {
        "get-only": WhatCountsGetOnly,
        "never-subscribed-fails": WhatCountsNeverSubscribedFails,
        "any-sender-code": WhatCountsAnySenderCode,
        "long-argument-wins": WhatCountsLongArgumentWins,
        "repeat-stop-fails": WhatCountsRepeatStopFails,
        "country-code-required": WhatCountsCountryCodeRequired,
    },
    "avaamo": {
        "per-page-above-max-rejected": AvaamoPerPageAboveMaxRejected,
        "page-past-end-400": AvaamoPagePastEnd400,
        "oldest-first": AvaamoOldestFirst,
        "created-at-milliseconds": AvaamoCreatedAtMilliseconds,
        "json-path-only": AvaamoJsonPathOnly,
        "page-below-one-is-first": AvaamoPageBelowOneIsFirst,
        "unknown-status-ignored": AvaamoUnknownStatusIgnored,
        "plus-restored": AvaamoPlusRestored,
        "start-time-latest-three": AvaamoStartTimeLatestThree,
        "total-pages-floor": AvaamoTotalPagesFloor,
        "total-pages-at-least-one": AvaamoTotalPagesAtLeastOne,
    },
}
BASE_SERVICE: dict[str, type] = {
    "convoso": ConvosoService, "whatcounts": WhatCountsService, "avaamo": AvaamoService,
}


# ------------------------------------------------------------------ reply transforms (middleware)


def reply_kind(api: str, status: int, body: bytes) -> str:
    """What kind of reply this is, read from the reference's own reply (before any transform)."""
    text = body.decode("utf-8", "replace")
    if api == "whatcounts":
        return "failure" if text.startswith("FAILURE") else "success"
    try:
        document = json.loads(text)
    except ValueError:
        return "other"
    if api == "avaamo":
        return {200: "success", 400: "bad-request", 401: "auth-failure"}.get(status, "other")
    if not isinstance(document, dict) or document.get("success") is not False:
        return "success" if status == 200 else "other"
    if status == 401:
        return "auth-failure"
    if "code" in document:
        return "coded-error"
    return "documented-error" if document.get("error") in DOCUMENTED_UNCODED else "bad-request"


def selects(selector: str, kind: str) -> bool:
    if selector == "any":
        return kind != "other"
    if selector == "error":
        return kind not in ("success", "other")
    return selector == kind


def _reorder(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reorder(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reorder(item) for item in value]
    return value


def transform_reply(
    status: int, headers: list[tuple[str, str]], body: bytes, operations: Sequence[Mapping[str, Any]]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Apply the selected reply operations, in order, to one buffered reply."""
    document: Any = None
    is_json = False
    try:
        document = json.loads(body)
        is_json = isinstance(document, dict)
    except ValueError:
        pass
    text = body.decode("utf-8", "replace")
    extra_headers: list[tuple[str, str]] = []
    content_type: str | None = None
    newline = ""
    for op in operations:
        if "status" in op:
            status = int(op["status"])
        if "content_type" in op:
            content_type = str(op["content_type"])
        if "header" in op:
            extra_headers += [(str(k).lower(), str(v)) for k, v in op["header"].items()]
        if is_json:
            if "extra_fields" in op:
                document = {**document, **op["extra_fields"]}
            if "set" in op:
                document = {**document, **op["set"]}
            if "rename" in op:
                document = {op["rename"].get(k, k): v for k, v in document.items()}
            for key in op.get("stringify", ()):
                if isinstance(document.get(key), int):
                    document[key] = str(document[key])
            if op.get("field_order") == "reversed":
                document = _reorder(document)
        if "trailing_newline" in op:
            newline += str(op["trailing_newline"])
    new_body = (json.dumps(document, ensure_ascii=False) + newline if is_json else text + newline).encode()
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length",)]
    if content_type is not None:
        kept = [(k, v) for k, v in kept if k.lower() != "content-type"] + [("content-type", content_type)]
    extra_names = {k for k, _ in extra_headers}
    kept = [(k, v) for k, v in kept if k.lower() not in extra_names] + extra_headers
    return status, [*kept, ("content-length", str(len(new_body)))], new_body


class ReplyTransforms:
    """ASGI middleware: buffer each reply, classify it, apply the operations that select it.

    Generated subclasses set ``api`` and ``operations`` (one mapping per realization, with its
    ``reply`` selector); Starlette builds it with the wrapped app only.
    """

    api: str = ""
    operations: tuple[Mapping[str, Any], ...] = ()

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http" or not self.operations:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = int(start.get("status", 500))
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
        kind = reply_kind(self.api, status, body)
        chosen = [op for op in self.operations if selects(str(op.get(SELECTOR, "any")), kind)]
        if chosen:
            status, headers, body = transform_reply(status, headers, body, chosen)
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        })
        await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------ the generator


def open_points(api: str | None = None) -> list[Discrepancy]:
    """Registry entries with realizations (of one API, or all), in registry order."""
    return [e for e in load_registry() if e.realizations and (api is None or e.api == api)]


def point_key(entry: Discrepancy) -> str:
    """An entry's id without its API prefix: the key of a choice in a generated name."""
    return entry.id.split(".", 1)[1]


def validate(entry: Discrepancy, realization: Realization) -> None:
    """ValueError when a realization names an operation, selector or behaviour the generator lacks."""
    known = set(TRANSFORMS) | {SELECTOR, BEHAVIOUR}
    if unknown := set(realization.apply) - known:
        raise ValueError(f"{entry.id}/{realization.name}: unknown operation(s) {sorted(unknown)}")
    if str(realization.apply.get(SELECTOR, "any")) not in REPLY_KINDS:
        raise ValueError(f"{entry.id}/{realization.name}: 'reply' must be one of {', '.join(REPLY_KINDS)}")
    behaviour = realization.apply.get(BEHAVIOUR)
    if behaviour is not None and behaviour not in BEHAVIOURS[entry.api]:
        raise ValueError(f"{entry.id}/{realization.name}: unknown {entry.api} behaviour {behaviour!r}")


@dataclass(frozen=True)
class Choice:
    """One open point's chosen realization."""

    entry: Discrepancy
    realization: Realization


def server_name(api: str, server_profile: str, choices: Iterable[Choice]) -> str:
    """``<api>+<server profile>+<point>=<realization>+...``; reference choices are left out."""
    parts = [f"{point_key(c.entry)}{CHOICE}{c.realization.name}" for c in choices if c.realization.apply]
    return PART.join([api, server_profile, *parts])


def parse_name(name: str) -> tuple[str, str, list[Choice]]:
    """The API, server profile and choices of a generated name (BadChoice naming what is wrong)."""
    api, _, rest = name.partition(PART)
    if api not in APIS:
        shapes = [f"{a}{PART}<server profile>{PART}<point>{CHOICE}<choice>" for a in APIS]
        raise BadChoice("--fault", name, shapes)
    profile, _, rest = rest.partition(PART)
    if profile not in SERVER_PROFILES:
        raise BadChoice("server profile", profile, SERVER_PROFILES)
    points = {point_key(e): e for e in open_points(api)}
    choices: list[Choice] = []
    for part in filter(None, rest.split(PART)):
        key, _, choice = part.partition(CHOICE)
        if key not in points:
            raise BadChoice("open point", key, sorted(points))
        entry = points[key]
        names = [r.name for r in entry.realizations]
        if choice not in names:
            raise BadChoice(f"realization of {key}", choice, names)
        choices.append(Choice(entry, entry.realization(choice)))
    return api, profile, choices


def runs_for(api: str, server_profile: str) -> tuple[str, ...]:
    """The run profiles a generated server is held to: auto and the matching pinned profile."""
    # An API whose documents disagree (several server profiles) is held to the matching one too.
    return CONVOSO_RUNS[server_profile] if len(APIS[api].server_profiles) > 1 else OTHER_RUNS


def server(api: str, server_profile: str, choices: Sequence[Choice], *, name: str | None = None) -> Any:
    """One faithful catalog entry composing ``choices`` (a Fault; ``name`` defaults to server_name)."""
    for choice in choices:
        if choice.entry.api != api:
            raise ValueError(f"{choice.entry.id} is not an open point of {api}")
        validate(choice.entry, choice.realization)
    behaviours = [
        BEHAVIOURS[api][c.realization.apply[BEHAVIOUR]] for c in choices if BEHAVIOUR in c.realization.apply
    ]
    operations = tuple(
        {k: v for k, v in c.realization.apply.items() if k != BEHAVIOUR}
        for c in choices
        if set(c.realization.apply) - {BEHAVIOUR, SELECTOR}
    )
    title = name or server_name(api, server_profile, choices)
    service = type("Generated", (*behaviours, BASE_SERVICE[api]), {}) if behaviours else None
    middleware = (
        type("GeneratedReplies", (ReplyTransforms,), {"api": api, "operations": operations})
        if operations
        else None
    )
    described = "; ".join(
        f"{c.entry.id} = {c.realization.name}" for c in choices if c.realization.apply
    ) or "every open point as the reference"
    summary = f"Generated faithful server: {described}."
    cited = sorted({s.file for c in choices for s in c.entry.sources} or set(APIS[api].sources))
    description = (
        f"{summary}\n\nEach choice realizes a registry entry no document fixes "
        f"(sources: {', '.join(cited)}); "
        "generated by faults/open_points.py from openapi/discrepancies.yaml."
    )
    return Fault(
        name=title, api=api, kind="faithful", family="robustness", summary=summary,
        description=description, detected_by=(), profiles=runs_for(api, server_profile),
        server_profile=server_profile, service=service, middleware=middleware,
    )


def from_name(name: str) -> Any:
    """The generated server a name describes.

    ``optout-conformance serve --fault convoso+official+error.http-status=http-400`` serves it.
    """
    api, profile, choices = parse_name(name)
    return server(api, profile, choices, name=name)


def catalog_aliases() -> list[tuple[str, Discrepancy, Realization]]:
    """Realizations that are also catalog entries under a former hand-written variant's name."""
    return [(r.catalog, e, r) for e in open_points() for r in e.realizations if r.catalog]


# ------------------------------------------------------------------ the covering-array sweep


def sweep(api: str, server_profile: str = "community") -> list[Any]:
    """Generated servers of one API covering every pair of two open points' realizations.

    The rows of :func:`faults.covering.pairwise` over the API's open points (factors, in registry
    order) and their realizations (levels, in listed order), each as a faithful catalog entry
    named from its choices.
    """
    points = open_points(api)
    rows = pairwise([len(e.realizations) for e in points])
    return [
        server(api, server_profile, [Choice(e, e.realizations[n]) for e, n in zip(points, row, strict=True)])
        for row in rows
    ]


def sweep_server_profiles(api: str) -> tuple[str, ...]:
    """An API is swept on each server profile its definition has (Convoso: 000's and 001's reading)."""
    return tuple(APIS[api].server_profiles)


def sweep_names(apis: Iterable[str]) -> list[str]:
    """Every generated server of the sweep of ``apis``, by name (deterministic order)."""
    return [f.name for api in apis for profile in sweep_server_profiles(api) for f in sweep(api, profile)]


def singles(api: str, server_profile: str = "community") -> list[Any]:
    """One generated server per realization that differs from the reference (the rest as the
    reference): what attributes a sweep row's false alarm to one choice."""
    return [
        server(api, server_profile, [Choice(e, r)])
        for e in open_points(api)
        for r in e.realizations
        if r.apply
    ]


def singles_names(apis: Iterable[str]) -> list[str]:
    """Every single-realization server of ``apis``, by name (Convoso on both server profiles)."""
    return [f.name for api in apis for profile in sweep_server_profiles(api) for f in singles(api, profile)]
