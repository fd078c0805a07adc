"""The APIs this suite knows, found through the entry-point group ``optout_conformance.apis``.

Each entry point loads one ``ApiDefinition`` (see ``apis.definition``); the three built-in APIs
(``apis.convoso``, ``apis.whatcounts``, ``apis.avaamo``) register in the project's pyproject.toml,
a plugin in its own. Every other module asks here (``APIS``, ``definitions()``) and never names an
API itself. A definition that fails to load raises ``ApiLoadError`` naming its entry point.
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points

from optout_conformance.core.definition import (
    ApiDefinition,
    ApiInfo,
    ApiLoadError,
    Credential,
    CredentialField,
    derive_credentials,
    load_reference,
)
from optout_conformance.core.discovery import import_tree
from optout_conformance.core.errors import BadChoice

__all__ = [
    "APIS",
    "API_CHOICES",
    "PROFILES",
    "SERVER_PROFILES",
    "ApiDefinition",
    "ApiInfo",
    "ApiLoadError",
    "Credential",
    "CredentialField",
    "check_profile",
    "definitions",
    "derive_credentials",
    "discover",
    "import_modules",
    "is_definition",
    "load_reference",
    "resolve_apis",
]

ENTRY_POINT_GROUP = "optout_conformance.apis"

# community = seed 000, official = seed 001 (they only differ for Convoso);
# lenient = any documented variant; auto = observe the target, then hold it to what it showed.
PROFILES = ("auto", "community", "official", "lenient")
# Profiles the reference server can follow (it must pick one variant on every disputed point).
SERVER_PROFILES = ("community", "official")

# Built-in APIs first, in this order; plugins follow in name order.
BUILT_IN_ORDER = ("convoso", "whatcounts", "avaamo")


# The protocol's members; checked without reading them (``isinstance`` on a runtime protocol reads
# every attribute on Python 3.11, which would derive the credentials from the spec at discovery).
_MEMBERS = tuple(sorted(
    name for name, value in {**dict.fromkeys(ApiDefinition.__annotations__), **vars(ApiDefinition)}.items()
    if not name.startswith("_") and (value is None or callable(value) or isinstance(value, property))
))


def is_definition(candidate: object) -> bool:
    """Whether ``candidate`` has every member of ``ApiDefinition`` (none of them evaluated)."""
    missing = object()
    return all(inspect.getattr_static(candidate, name, missing) is not missing for name in _MEMBERS)


def discover() -> dict[str, ApiDefinition]:
    """Load every entry point of the group: name -> definition (ApiLoadError on any failure)."""
    found: dict[str, ApiDefinition] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in found:
            continue  # the same distribution seen twice on sys.path
        try:
            definition = entry.load()
        except Exception as exc:
            raise ApiLoadError(
                f"API entry point {entry.name!r} ({entry.value}) failed to load: {type(exc).__name__}: {exc}"
            ) from None
        if not is_definition(definition):
            raise ApiLoadError(f"API entry point {entry.name!r} ({entry.value}) is not an ApiDefinition")
        if definition.name != entry.name:
            raise ApiLoadError(
                f"API entry point {entry.name!r} loads a definition named {definition.name!r}"
            )
        found[entry.name] = definition
    order = {name: number for number, name in enumerate(BUILT_IN_ORDER)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


APIS: dict[str, ApiDefinition] = discover()
API_CHOICES = (*APIS, "all")


def definitions() -> list[ApiDefinition]:
    return list(APIS.values())


def import_modules(kind: str) -> None:
    """Import every definition's ``check_modules`` or ``fault_modules``, each a module or a package
    walked whole (errors name the API)."""
    for definition in APIS.values():
        for module in getattr(definition, kind):
            try:
                import_tree(module)  # the module, and every module below it when it is a package
            except Exception as exc:
                raise ApiLoadError(
                    f"API {definition.name!r}: cannot import {module}: {type(exc).__name__}: {exc}"
                ) from exc


def resolve_apis(value: str) -> list[str]:
    """``all`` -> every API; a single name -> [name]; anything else -> BadChoice."""
    if value == "all":
        return list(APIS)
    if value in APIS:
        return [value]
    raise BadChoice("--api", value, API_CHOICES)


def check_profile(value: str, choices: tuple[str, ...] = PROFILES) -> str:
    if value not in choices:
        raise BadChoice("--profile", value, choices)
    return value
