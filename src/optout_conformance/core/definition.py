"""What one API is, as the rest of the suite sees it: the ``ApiDefinition`` protocol.

A definition is a light object (importing it imports no server, check or fault code): names,
files and dotted references to the parts that are loaded when used. ``ApiInfo`` is the ready-made
implementation the built-in APIs and plugins use. Definitions are found through the entry-point
group ``optout_conformance.apis`` (see ``optout_conformance.apis``).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import yaml

from optout_conformance.core.errors import UsageError

# Where a credential travels in a request.
TRAVELS = ("header", "query", "form", "query-or-form")
# The places a spec can name (an object's ``in``, a form body) -> the TRAVELS value.
_TRAVELS_OF_PLACES = {
    frozenset({"header"}): "header",
    frozenset({"query"}): "query",
    frozenset({"form"}): "form",
    frozenset({"query", "form"}): "query-or-form",
}
_FORM = "application/x-www-form-urlencoded"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ApiLoadError(UsageError):
    """An API definition, or a part it names, could not be loaded (exit 2, names the entry point)."""


@dataclass(frozen=True)
class Credential:
    """One credential field of an API.

    ``key`` is the attribute of the run's credentials that holds the value (token, realm, password,
    sender_code); ``wire`` the names it is sent under (the first is the spec's name, the rest its
    ``x-aliases``); ``travels`` where it goes; ``secret`` whether it is scrubbed from recordings
    and reports (replaced by ``$<env>``).
    """

    key: str
    wire: tuple[str, ...]
    travels: str
    env: str
    secret: bool = True
    required: bool = True


@dataclass(frozen=True)
class CredentialField:
    """One credential as a definition declares it: what the spec cannot say, and where in the spec
    the rest is.

    The split: the spec describes the vendor's API (it is handed to Schemathesis and to anyone's
    OpenAPI tools), so it says what the API says — the field's wire name (``name``), where it
    travels (``in``, the operations' query/header parameters and form bodies) and its other names
    (the operations' ``x-aliases`` / ``x-required-one-of``). Which of *this suite's* settings fills
    the field (``key``: token, realm, password, sender_code), the environment variable that setting
    is read from, whether the suite scrubs it from recordings and reports (``secret``) and whether a
    run needs it (``required``) are facts about the suite, not about the vendor's API, so they stay
    here rather than becoming ``x-`` extensions of a vendor spec.

    ``spec`` is a JSON pointer into the API's permissive spec naming an object with ``name`` and
    ``in``: a security scheme (``#/components/securitySchemes/AccessToken``) or, for a field that
    is no security credential (WhatCounts' sender_code), a parameter (``#/components/parameters/…``).
    """

    key: str
    spec: str
    env: str
    secret: bool = True
    required: bool = True


def _pointer(spec: Mapping[str, Any], pointer: str) -> Any:
    """The object a local JSON pointer (``#/a/b``) names in ``spec``; KeyError when there is none."""
    if not pointer.startswith("#/"):
        raise KeyError(pointer)
    node: Any = spec
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(pointer)
        node = node[part]
    return node


def _resolved(spec: Mapping[str, Any], node: Any) -> Any:
    """``node`` with its ``$ref`` chain followed (local references only)."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        try:
            node = _pointer(spec, node["$ref"])
        except KeyError:
            return {}
    return node


def _operations(spec: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(path item, operation) for every operation of the spec."""
    for item in (spec.get("paths") or {}).values():
        item = _resolved(spec, item)
        if not isinstance(item, Mapping):
            continue
        for method in _HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, Mapping):
                yield item, operation


def _aliases(spec: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """``name`` first, then its other names from any operation's ``x-aliases`` (a mapping of lists)
    or ``x-required-one-of`` (a list of lists), in the order the spec lists them."""
    names = [name]
    for _, operation in _operations(spec):
        groups: list[Any] = list((operation.get("x-aliases") or {}).values())
        groups += list(operation.get("x-required-one-of") or [])
        for group in groups:
            if isinstance(group, list) and name in group:
                names += [str(other) for other in group if other not in names]
    return tuple(names)


def _places(spec: Mapping[str, Any], names: tuple[str, ...]) -> set[str]:
    """Where the operations carry any of ``names``: a parameter's ``in``, or ``form`` for a property
    of a form-encoded request body."""
    places: set[str] = set()
    for item, operation in _operations(spec):
        for parameter in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
            parameter = _resolved(spec, parameter)
            if isinstance(parameter, Mapping) and parameter.get("name") in names:
                places.add(str(parameter.get("in")))
        body = _resolved(spec, operation.get("requestBody"))
        media = ((body or {}).get("content") or {}).get(_FORM) if isinstance(body, Mapping) else None
        schema = _resolved(spec, (media or {}).get("schema"))
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(properties, Mapping) and any(name in properties for name in names):
            places.add("form")
    return places


def derive_credentials(spec: Mapping[str, Any], fields: tuple[CredentialField, ...],
                       owner: str = "?") -> tuple[Credential, ...]:
    """Each field's ``Credential`` as the spec states it.

    Wire names: the named object's ``name``, then its aliases (``x-aliases``/``x-required-one-of``
    of the operations). Where it travels: where the operations carry it (query or header
    parameters, form-body properties; a name in both the query and a form body is
    ``query-or-form``); a field no operation carries (a security scheme proper, e.g. a header
    token) travels where the object's ``in`` says. A pointer naming nothing, or an object without
    ``name``/``in``, is an ApiLoadError naming the API.
    """
    derived: list[Credential] = []
    for item in fields:
        try:
            declared = _resolved(spec, _pointer(spec, item.spec))
        except KeyError:
            raise ApiLoadError(
                f"API {owner!r}: credential {item.key!r}: the spec has nothing at {item.spec}"
            ) from None
        if not isinstance(declared, Mapping) or not declared.get("name") or not declared.get("in"):
            raise ApiLoadError(f"API {owner!r}: credential {item.key!r}: {item.spec} has no name and in")
        wire = _aliases(spec, str(declared["name"]))
        places = _places(spec, wire) or {str(declared["in"])}
        travels = _TRAVELS_OF_PLACES.get(frozenset(places))
        if travels is None:
            raise ApiLoadError(f"API {owner!r}: credential {item.key!r} travels in {sorted(places)}, "
                               f"which the suite cannot send ({', '.join(TRAVELS)})")
        derived.append(Credential(item.key, wire, travels, item.env, item.secret, item.required))
    return tuple(derived)


def project_openapi_dir() -> Path:
    """The directory holding the project's specs, overlays and discrepancy registry.

    A wheel carries a copy at ``optout_conformance/openapi`` (pyproject force-includes it); in a
    source checkout or an editable install it is the repository's ``openapi/``.
    """
    package = Path(__file__).resolve().parents[1]
    packaged = package / "openapi"
    return packaged if packaged.is_dir() else package.parents[1] / "openapi"


@functools.cache
def _spec_document(path: Path, owner: str) -> Mapping[str, Any]:
    """The permissive spec at ``path``, read once (credentials do not depend on the profile)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open(encoding="utf-8") as stream:
            document = yaml.load(stream, Loader=loader)  # a safe loader (the C one when built)
    except (OSError, yaml.YAMLError) as exc:
        raise ApiLoadError(f"API {owner!r}: cannot read its spec {path}: {exc}") from None
    if not isinstance(document, Mapping):
        raise ApiLoadError(f"API {owner!r}: {path} is not an OpenAPI document")
    return document


@runtime_checkable
class ApiDefinition(Protocol):
    """Everything the generic suite needs to know about one API."""

    name: str
    title: str
    spec_file: str
    base_path: str
    sources: tuple[str, ...]
    spec_dir: Path | None
    sources_dir: Path | None

    # The credential fields as the spec states them (see ``CredentialField``, ``derive_credentials``).
    @property
    def credentials(self) -> tuple[Credential, ...]: ...

    server_profiles: tuple[str, ...]
    check_modules: tuple[str, ...]
    fault_modules: tuple[str, ...]
    operations: tuple[tuple[str, str], ...]
    probe_labels: Mapping[str, str]
    serve_note: str
    # Request rules and diff extractors (issue 11 item 2, requests): "module" references, "" for none.
    request_policy: str
    diff_extractors: str

    # Reply judgement (the reply dialect): "module" of the API's dialect (read, SOURCE, RULE_CITES ...).
    dialect: str

    def service_class(self) -> type: ...

    def probes(self) -> tuple[Callable[..., None], ...]: ...

    def part(self, name: str) -> Any: ...

    # The fault side (issue 11, item 1): open points, the plain-Schemathesis baseline, the
    # reference's last-resort error reply.
    open_points: str
    baseline_config: str
    internal_error_text: str
    faithful_modules: tuple[str, ...]


def load_reference(reference: str, owner: str) -> Any:
    """``"package.module:attribute"`` -> the attribute; any failure -> ApiLoadError naming ``owner``."""
    module_name, _, attribute = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute) if attribute else module
    except Exception as exc:
        raise ApiLoadError(f"API {owner!r}: cannot load {reference}: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class ApiInfo:
    """The standard ``ApiDefinition``: plain data plus dotted references loaded on demand."""

    name: str
    title: str
    spec_file: str
    # Path prefix of the API's base URL on the embedded reference server; the spec's
    # servers entry has the vendor's host with the same prefix.
    base_path: str
    # Seed documents (file names in ``sources_dir``) that describe this API.
    sources: tuple[str, ...]
    # Directory of the spec and its overlays (None: the project's openapi/ directory).
    spec_dir: Path | None = None
    # Directory of the source documents (None: the shared seeds next to the checkout).
    sources_dir: Path | None = None
    # The credential fields: what the spec cannot say (the run's key, env, secret) and where in the
    # spec the rest is; ``credentials`` derives the rest from the spec when first read.
    credential_fields: tuple[CredentialField, ...] = ()
    # Profiles the reference server can follow for this API (one per document where they differ).
    server_profiles: tuple[str, ...] = ("community",)
    # Modules that register this API's checks and faults when imported.
    check_modules: tuple[str, ...] = ()
    fault_modules: tuple[str, ...] = ()
    # (request path suffix, spec path): how a recorded request is mapped to this API's operation.
    operations: tuple[tuple[str, str], ...] = ()
    # The reference service class, "module:Class".
    service: str = ""
    # The fingerprint probes, "module:attribute" (a tuple of functions taking a CheckContext).
    probe_functions: str = ""
    probe_labels: Mapping[str, str] = field(default_factory=dict)
    # Printed by `serve` after the base URL: str.format with ``config`` (the ReferenceConfig).
    serve_note: str = ""
    # Further named parts (dialect functions, tables, extractors): name -> "module:attribute".
    parts: Mapping[str, str] = field(default_factory=dict)
    # The fault side (issue 11, item 1).
    # The open-points module, "module": ``BEHAVIOURS`` (name -> service mixin) and
    # ``reply_kind(status, body)`` for the generated faithful servers ("": no behaviours).
    open_points: str = ""
    # How a user hands the credentials to plain Schemathesis, "module:function" taking the
    # credentials and returning (schemathesis.toml [parameters], -H headers) ("": none).
    baseline_config: str = ""
    # The reference's last-resort reply to an unexpected exception, as plain text ("": JSON).
    internal_error_text: str = ""
    # Modules registering composite faithful variants (imported after every API's fault_modules).
    faithful_modules: tuple[str, ...] = ()
    # Request rules and diff extractors (issue 11 item 2, requests).
    # The API's part of the request rules, a module: ``client_findings(spec, request)`` (what a
    # client must not send) and ``server_undecided(path, sent)`` (requests whose refusal is not
    # judged), both optional (checks/request_rules.py).
    request_policy: str = ""
    # The API's drift extractors for ``diff``, a module: ``fingerprint(body, text)`` (registry id ->
    # variant), ``error_of(body, text)`` and ``PAGE_SIZE_FIELD``, each optional (cassettes/diff.py).
    diff_extractors: str = ""
    # Reply judgement (the reply dialect): the module that reads this API's replies
    # (``read(status, content_type, text, body) -> core.reading.Reading`` and its source tables).
    dialect: str = ""

    def spec_path(self) -> Path:
        """The API's permissive spec file."""
        return (self.spec_dir or project_openapi_dir()) / self.spec_file

    @functools.cached_property
    def credentials(self) -> tuple[Credential, ...]:
        """The credential fields, wire names and travels read from the spec (read once)."""
        if not self.credential_fields:
            return ()
        spec = _spec_document(self.spec_path(), self.name)
        return derive_credentials(spec, self.credential_fields, self.name)

    def service_class(self) -> type:
        loaded = load_reference(self.service, self.name)
        if not isinstance(loaded, type):
            raise ApiLoadError(f"API {self.name!r}: {self.service} is not a class")
        return loaded

    def probes(self) -> tuple[Callable[..., None], ...]:
        if not self.probe_functions:
            return ()
        return tuple(load_reference(self.probe_functions, self.name))

    def part(self, name: str) -> Any:
        """A named part (``parts[name]`` loaded), or None when this API has none."""
        reference = self.parts.get(name)
        return load_reference(reference, self.name) if reference else None
