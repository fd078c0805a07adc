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

import importlib
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from optout_conformance.core.apis import APIS, PROFILES, SERVER_PROFILES
from optout_conformance.core.apis import import_modules as _import_api_modules
from optout_conformance.core.errors import BadChoice
from optout_conformance.core.faults import FAULTS, Fault
from optout_conformance.faults import open_points
from optout_conformance.reference.app import create_app

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from optout_conformance.reference.config import ReferenceConfig

# The keyword of create_app() that takes each API's service class.

def check_entry(entry: Fault) -> None:
    """A registered entry names a known API, run profiles and server profile (ValueError if not)."""
    if entry.api not in APIS:
        raise ValueError(f"{entry.name}: unknown API {entry.api!r}")
    if unknown := set(entry.profiles) - set(PROFILES):
        raise ValueError(f"{entry.name}: unknown run profile(s) {sorted(unknown)}")
    if entry.server_profile is not None and entry.server_profile not in SERVER_PROFILES:
        raise ValueError(f"{entry.name}: unknown server profile {entry.server_profile!r}")


def build_entry(entry: Fault, config: ReferenceConfig, *, apis: Collection[str] | None = None) -> Starlette:
    """The reference app with this variant in place (serving ``apis``, default all three)."""
    kwargs: dict[str, Any] = {}
    if entry.service is not None:
        kwargs[entry.api] = entry.service
    if apis is not None:
        kwargs["apis"] = tuple(apis)
    app = create_app(entry.config_for(config), **kwargs)
    if entry.middleware is not None:
        app.add_middleware(entry.middleware)  # type: ignore[arg-type]
    return app


def get(name: str) -> Fault:
    """The entry with this name, or the generated server a ``<api>+<profile>+...`` name describes
    (``faults.open_points.from_name``); an unknown name is a BadChoice naming every valid one."""
    if name in FAULTS:
        return FAULTS[name]
    if open_points.PART in name:
        return open_points.from_name(name)
    raise BadChoice("--fault", name, sorted(FAULTS))


def build_app(name: str, config: ReferenceConfig, *, apis: Collection[str] | None = None) -> Starlette:
    """The reference app with the named fault or faithful variant in place (``serve --fault``)."""
    return build_entry(get(name), config, apis=apis)


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
ENTRY_MODULES = ("optout_conformance.faults.faithful",)
_import_api_modules("fault_modules")
for _module in ENTRY_MODULES:
    importlib.import_module(_module)
for _entry in FAULTS.values():
    check_entry(_entry)
