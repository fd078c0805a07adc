"""The catalog of targeted checks: one small function per documented rule.

A check is registered with :func:`check`, which records its id, API, family and the document clause
it enforces. The runner (``optout_conformance.runner``) and the pytest suite
(``tests/conformance/``) both read :data:`CHECKS`, so a rule is written once and runs the same way
from the command line and from pytest.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optout_conformance.runner.context import RunContext

FAMILIES = (
    "limits",
    "pagination",
    "errors",
    "shapes",
    "filters",
    "state",
    "auth",
    "robustness",
    "properties",
    "variants",
)

CheckFunction = Callable[["RunContext"], None]


@dataclass(frozen=True)
class CheckSpec:
    """A registered check and what it enforces."""

    id: str
    api: str
    family: str
    source: str
    function: CheckFunction
    writes: bool = False
    # Part of the `--fast` selection (cheap, high-value checks).
    fast: bool = True

    @property
    def title(self) -> str:
        """The rule as a sentence: the last part of the id with underscores as spaces."""
        return self.id.rsplit(".", 1)[-1].replace("_", " ")

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


CHECKS: dict[str, CheckSpec] = {}

# Modules that register checks when imported; load_all() imports them in this order.
CHECK_MODULES = (
    "optout_conformance.checks.convoso_limits",
    "optout_conformance.checks.convoso_pagination",
    "optout_conformance.checks.convoso_errors",
    "optout_conformance.checks.convoso_filters",
    "optout_conformance.checks.convoso_state",
    "optout_conformance.checks.convoso_shapes",
    "optout_conformance.checks.whatcounts",
    "optout_conformance.checks.avaamo",
    "optout_conformance.checks.robustness",
    "optout_conformance.checks.properties",
)


def check(
    *, id: str, api: str, family: str, source: str, writes: bool = False, fast: bool = True
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a targeted check. ``source`` cites the seed file name(s) and the clause."""
    if family not in FAMILIES:
        raise ValueError(f"unknown check family {family!r}; valid: {', '.join(FAMILIES)}")
    if not id.startswith(f"{api}."):
        raise ValueError(f"check id {id!r} must start with its API name {api!r}")

    def register(function: CheckFunction) -> CheckFunction:
        if id in CHECKS and CHECKS[id].function is not function:
            raise ValueError(f"check id {id!r} registered twice")
        CHECKS[id] = CheckSpec(
            id=id, api=api, family=family, source=source, function=function, writes=writes, fast=fast
        )
        return function

    return register


def load_all() -> dict[str, CheckSpec]:
    """Import every check module (a module not present yet is skipped) and return the catalog."""
    for name in CHECK_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return CHECKS


def checks_for(api: str, *, fast: bool = False) -> list[CheckSpec]:
    load_all()
    return [c for c in CHECKS.values() if c.api == api and (c.fast or not fast)]
