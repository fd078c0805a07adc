"""The fault catalog: faulty and faithful variants of the reference server, by name.

A *fault* is the reference server with one realistic deviation from a documented rule; the suite
must catch it, and ``detected_by`` names the check(s) that must. A *faithful variant* differs
from the reference only where no document speaks (an HTTP status the documents never give, an
order they never fix, ...); the suite must pass it in every run profile listed in ``profiles``.

Each entry is a tiny class registered with :func:`fault` or :func:`faithful`: either a subclass
of a reference service overriding one method, or an ASGI middleware (transport faults: content
types, HTML error pages). The class docstring is the entry's description: its first line is the
summary, the rest says which rule it breaks and cites the seed file. ``build_app`` serves one
entry; ``optout-conformance serve --fault NAME`` and ``detect`` both use it.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from optout_conformance.apis import APIS, PROFILES, SERVER_PROFILES
from optout_conformance.apis import import_modules as _import_api_modules
from optout_conformance.errors import BadChoice

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from optout_conformance.reference.config import ReferenceConfig

KINDS = ("fault", "faithful")
# The families a fault belongs to (what kind of rule it breaks); every one is covered.
FAMILIES = ("limits", "pagination", "errors", "shapes", "filters", "state", "auth", "robustness")

Variant = TypeVar("Variant", bound=type)


@dataclass(frozen=True)
class Fault:
    """One catalog entry: a faulty or faithful variant of the reference server."""

    name: str
    api: str
    kind: str  # fault | faithful
    family: str
    summary: str
    description: str
    # Check ids that must catch a fault; empty for a faithful variant.
    detected_by: tuple[str, ...]
    # Run profiles the suite is run in against it: a fault must be caught in each; a faithful
    # variant must pass in each.
    profiles: tuple[str, ...]
    # The reference server profile the variant is built on (None: the caller's config decides).
    server_profile: str | None
    # A subclass of the API's reference service, or an ASGI middleware class (exactly one).
    service: type | None = None
    middleware: type | None = None

    @property
    def is_fault(self) -> bool:
        return self.kind == "fault"

    def config_for(self, config: ReferenceConfig) -> ReferenceConfig:
        """``config`` with the server profile this variant needs (unchanged when it needs none)."""
        if self.server_profile is None or config.profile == self.server_profile:
            return config
        return dataclasses.replace(config, profile=self.server_profile)

    def build(self, config: ReferenceConfig, *, apis: Collection[str] | None = None) -> Starlette:
        """The reference app with this variant in place (serving ``apis``, default all three)."""
        from optout_conformance.reference.app import create_app

        kwargs: dict[str, Any] = {}
        if self.service is not None:
            kwargs[self.api] = self.service
        if apis is not None:
            kwargs["apis"] = tuple(apis)
        app = create_app(self.config_for(config), **kwargs)
        if self.middleware is not None:
            app.add_middleware(self.middleware)  # type: ignore[arg-type]
        return app


FAULTS: dict[str, Fault] = {}


def _docstring_parts(cls: type) -> tuple[str, str]:
    doc = inspect.cleandoc(cls.__doc__ or "")
    if not doc:
        raise ValueError(f"catalog entry {cls.__name__} needs a docstring (the bug and the rule it breaks)")
    return doc.splitlines()[0].strip(), doc


def _register(
    name: str,
    *,
    api: str,
    kind: str,
    family: str,
    detected_by: tuple[str, ...],
    profiles: tuple[str, ...],
    server_profile: str | None,
    middleware: bool,
) -> Callable[[Variant], Variant]:
    if api not in APIS:
        raise ValueError(f"{name}: unknown API {api!r}")
    if family not in FAMILIES:
        raise ValueError(f"{name}: unknown family {family!r}; valid: {', '.join(FAMILIES)}")
    if name != name.lower() or " " in name or not name.startswith(f"{api}-"):
        raise ValueError(f"{name}: a name is kebab-case and starts with its API ({api}-...)")
    if unknown := set(profiles) - set(PROFILES):
        raise ValueError(f"{name}: unknown run profile(s) {sorted(unknown)}")
    if server_profile is not None and server_profile not in SERVER_PROFILES:
        raise ValueError(f"{name}: unknown server profile {server_profile!r}")

    def register(cls: Variant) -> Variant:
        if name in FAULTS:
            raise ValueError(f"catalog entry {name!r} registered twice")
        summary, description = _docstring_parts(cls)
        FAULTS[name] = Fault(
            name=name,
            api=api,
            kind=kind,
            family=family,
            summary=summary,
            description=description,
            detected_by=detected_by,
            profiles=profiles,
            server_profile=server_profile,
            service=None if middleware else cls,
            middleware=cls if middleware else None,
        )
        return cls

    return register


def fault(
    name: str,
    *,
    api: str,
    family: str,
    detected_by: tuple[str, ...],
    profiles: tuple[str, ...] = ("auto",),
    server_profile: str | None = None,
    middleware: bool = False,
) -> Callable[[Variant], Variant]:
    """Register a faulty variant; ``detected_by`` lists the check ids that must catch it."""
    if not detected_by:
        raise ValueError(f"{name}: a fault names the check(s) that must detect it")
    return _register(
        name, api=api, kind="fault", family=family, detected_by=detected_by, profiles=profiles,
        server_profile=server_profile, middleware=middleware,
    )


def faithful(
    name: str,
    *,
    api: str,
    family: str,
    profiles: tuple[str, ...],
    server_profile: str | None = None,
    middleware: bool = False,
) -> Callable[[Variant], Variant]:
    """Register a faithful variant: the suite must pass it in every one of ``profiles``."""
    return _register(
        name, api=api, kind="faithful", family=family, detected_by=(), profiles=profiles,
        server_profile=server_profile, middleware=middleware,
    )


def add(entry: Fault) -> Fault:
    """Register a built entry (the generated faithful servers of ``faults.open_points``)."""
    if entry.name in FAULTS:
        raise ValueError(f"catalog entry {entry.name!r} registered twice")
    FAULTS[entry.name] = entry
    return entry


def get(name: str) -> Fault:
    """The entry with this name, or the generated server a ``<api>+<profile>+...`` name describes
    (``faults.open_points.from_name``); an unknown name is a BadChoice naming every valid one."""
    if name in FAULTS:
        return FAULTS[name]
    from optout_conformance.faults import open_points

    if open_points.PART in name:
        return open_points.from_name(name)
    raise BadChoice("--fault", name, sorted(FAULTS))


def build_app(name: str, config: ReferenceConfig, *, apis: Collection[str] | None = None) -> Starlette:
    """The reference app with the named fault or faithful variant in place (``serve --fault``)."""
    return get(name).build(config, apis=apis)


def select(apis: Collection[str] | None = None, names: Collection[str] | None = None) -> list[Fault]:
    """Entries of the given APIs (None: all), restricted to ``names`` when given (unknown -> BadChoice).

    Named entries come in catalog order, then generated servers (``<api>+<profile>+...`` names,
    not in FAULTS) in the order given.
    """
    chosen = [get(name) for name in names or ()]
    if not names:
        chosen = list(FAULTS.values())
    else:
        order = {name: number for number, name in enumerate(FAULTS)}
        chosen.sort(key=lambda entry: order.get(entry.name, len(order)))
    return [entry for entry in chosen if apis is None or entry.api in apis]


# The modules that register entries; imported here so that importing the catalog fills FAULTS:
# every API's own (its definition's ``fault_modules``), then the generic ones.
ENTRY_MODULES = (
    "optout_conformance.faults.transport",
    "optout_conformance.faults.faithful",
)
_import_api_modules("fault_modules")
for _module in ENTRY_MODULES:
    importlib.import_module(_module)
