"""The check contract: how a check is registered, what it cites, and what it runs on.

A check is a function of a :class:`~optout_conformance.core.context.CheckContext`, registered with
:func:`check`, which records its id, API, family and the document sentences it enforces in
:data:`CHECKS`. It reports through the exceptions of :mod:`optout_conformance.core.outcomes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optout_conformance.core.context import CheckContext

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

CheckFunction = Callable[[CheckContext], Any]

# The public facts of the seeds README ("Public facts from outside these texts") bind like a
# document sentence; a citation names this file to quote one.
PUBLIC_FACTS = "README.md"


@dataclass(frozen=True)
class Citation:
    """A sentence that states the rule a check enforces: the seed file and its exact words.

    ``quote`` must occur in ``file`` (a file of ``../shared/seeds/``; whitespace is folded, and
    fragments may be joined by " … "); ``tests/self/test_citations.py`` verifies every one. A check
    may fail a target only for a rule one of its citations states.
    """

    file: str
    quote: str

    def fragments(self) -> list[str]:
        return [" ".join(part.split()) for part in self.quote.split(" … ")]


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
    # The sentences that state the rule (at least one per check; verified against the seeds).
    cites: tuple[Citation, ...] = ()

    @property
    def title(self) -> str:
        """The rule as a sentence: the last part of the id with underscores as spaces."""
        return self.id.rsplit(".", 1)[-1].replace("_", " ")

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


# The registry: check id -> its spec. Filled when the modules holding checks are imported.
CHECKS: dict[str, CheckSpec] = {}


def check(
    *,
    id: str,
    api: str,
    family: str,
    source: str,
    writes: bool = False,
    fast: bool = True,
    cites: tuple[tuple[str, str], ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a targeted check. ``source`` cites the seed file name(s) and the clause in short;
    ``cites`` gives the exact sentences, as ``(file, quote)`` pairs (see :class:`Citation`)."""
    if family not in FAMILIES:
        raise ValueError(f"unknown check family {family!r}; valid: {', '.join(FAMILIES)}")
    if not id.startswith(f"{api}."):
        raise ValueError(f"check id {id!r} must start with its API name {api!r}")

    def register(function: CheckFunction) -> CheckFunction:
        if id in CHECKS and CHECKS[id].function is not function:
            raise ValueError(f"check id {id!r} registered twice")
        CHECKS[id] = CheckSpec(
            id=id,
            api=api,
            family=family,
            source=source,
            function=function,
            writes=writes,
            fast=fast,
            cites=tuple(Citation(file, quote) for file, quote in cites),
        )
        return function

    return register
