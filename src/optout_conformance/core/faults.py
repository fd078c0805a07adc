"""The fault catalog's entry model: a faulty or faithful variant of the reference server.

A *fault* is the reference server with one realistic deviation from a documented rule; the suite
must catch it, and ``detected_by`` names the check(s) that must. A *faithful variant* differs
from the reference only where no document speaks; the suite must pass it in every run profile
listed in ``profiles``. Entries are registered with :func:`fault`, :func:`faithful` or
:func:`add` into :data:`FAULTS`; ``optout_conformance.faults.catalog`` imports the modules that
register them, checks their API and profiles, and builds their apps.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

KINDS = ("fault", "faithful")
# The families a fault belongs to (what kind of rule it breaks); every one is covered.
FAMILIES = ("limits", "pagination", "errors", "shapes", "filters", "state", "auth", "robustness")
Variant = TypeVar("Variant", bound=type)
# A reference server configuration (a dataclass with a ``profile`` field).
Config = TypeVar("Config", bound=Any)


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

    def config_for(self, config: Config) -> Config:
        """``config`` with the server profile this variant needs (unchanged when it needs none)."""
        if self.server_profile is None or config.profile == self.server_profile:
            return config
        return dataclasses.replace(config, profile=self.server_profile)


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
    if family not in FAMILIES:
        raise ValueError(f"{name}: unknown family {family!r}; valid: {', '.join(FAMILIES)}")
    if name != name.lower() or " " in name or not name.startswith(f"{api}-"):
        raise ValueError(f"{name}: a name is kebab-case and starts with its API ({api}-...)")

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


