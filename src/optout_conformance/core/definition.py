"""What one API is, as the rest of the suite sees it: the ``ApiDefinition`` protocol.

A definition is a light object (importing it imports no server, check or fault code): names,
files and dotted references to the parts that are loaded when used. ``ApiInfo`` is the ready-made
implementation the built-in APIs and plugins use. Definitions are found through the entry-point
group ``optout_conformance.apis`` (see ``optout_conformance.apis``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from optout_conformance.core.errors import UsageError

# Where a credential travels in a request.
TRAVELS = ("header", "query", "form", "query-or-form")


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
    credentials: tuple[Credential, ...]
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
    credentials: tuple[Credential, ...] = ()
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
