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
- **behaviours** (:func:`behaviours`): small mixins of the API's reference service looked up by
  name (order, clamping vs rejecting, case-insensitive matching, a page past the end -> 400 ...),
  each API's own, in the module its definition names as ``open_points``
  (``apis/<name>/open_points.py``: ``BEHAVIOURS`` and ``reply_kind``).

:func:`server` composes the realizations of any number of open points of one API into one
catalog :class:`~optout_conformance.faults.catalog.Fault`, named from its choices
(:func:`server_name`), so that ``optout-conformance serve --fault <name>`` rebuilds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optout_conformance.core.apis import APIS, SERVER_PROFILES, load_reference
from optout_conformance.core.errors import BadChoice
from optout_conformance.core.faults import Fault
from optout_conformance.faults.covering import pairwise
from optout_conformance.registry import Discrepancy, Realization, load_registry

# The kinds of reply a transform can select (``reply``); "error" = every kind but success. Each
# API's ``reply_kind`` (its open-points module) says which kind a reply is.
REPLY_KINDS = (
    "any", "success", "error", "coded-error", "documented-error", "bad-request", "auth-failure", "failure",
)
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
# Run profiles a generated server is run in: by server profile (an API whose documents disagree)
# or the same for every server profile.
PINNED_RUNS = {"community": ("auto", "community"), "official": ("auto", "official")}
OTHER_RUNS = ("auto", "lenient")
# Separators of a generated name: <api>+<server profile>+<point>=<choice>+...
PART, CHOICE = "+", "="

# ------------------------------------------------------------------ an API's own part


def _vendor(api: str) -> Any:
    """The API's open-points module (its definition's ``open_points``), or None when it has none."""
    reference = getattr(APIS[api], "open_points", "")
    return load_reference(reference, api) if reference else None


def behaviours(api: str) -> dict[str, type]:
    """The API's behaviour mixins by name (its open-points module's ``BEHAVIOURS``)."""
    vendor = _vendor(api)
    return dict(vendor.BEHAVIOURS) if vendor is not None else {}


# ------------------------------------------------------------------ reply transforms (middleware)


def reply_kind(api: str, status: int, body: bytes) -> str:
    """What kind of reply this is, read from the reference's own reply (before any transform):
    the API's own ``reply_kind``; without one, HTTP 200 is a success and the rest "other"."""
    vendor = _vendor(api)
    if vendor is not None and hasattr(vendor, "reply_kind"):
        return str(vendor.reply_kind(status, body))
    return "success" if status == 200 else "other"


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
    if behaviour is not None and behaviour not in behaviours(entry.api):
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
    return PINNED_RUNS[server_profile] if len(APIS[api].server_profiles) > 1 else OTHER_RUNS


def server(api: str, server_profile: str, choices: Sequence[Choice], *, name: str | None = None) -> Any:
    """One faithful catalog entry composing ``choices`` (a Fault; ``name`` defaults to server_name)."""
    for choice in choices:
        if choice.entry.api != api:
            raise ValueError(f"{choice.entry.id} is not an open point of {api}")
        validate(choice.entry, choice.realization)
    mixins = behaviours(api)
    chosen = [mixins[c.realization.apply[BEHAVIOUR]] for c in choices if BEHAVIOUR in c.realization.apply]
    operations = tuple(
        {k: v for k, v in c.realization.apply.items() if k != BEHAVIOUR}
        for c in choices
        if set(c.realization.apply) - {BEHAVIOUR, SELECTOR}
    )
    title = name or server_name(api, server_profile, choices)
    service = type("Generated", (*chosen, APIS[api].service_class()), {}) if chosen else None
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
