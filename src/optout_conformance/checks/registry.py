"""The catalog of targeted checks: one small function per documented rule.

A check is registered with :func:`check`, which records its id, API, family and the document clause
it enforces. The runner (``optout_conformance.runner``) and the pytest suite
(``tests/conformance/``) both read :data:`CHECKS`, so a rule is written once and runs the same way
from the command line and from pytest.
"""

from __future__ import annotations

import importlib
import pkgutil
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


CHECKS: dict[str, CheckSpec] = {}

# Packages whose modules register checks when imported: load_all() imports every module in them.
CHECK_PACKAGES: tuple[str, ...] = ("optout_conformance.checks",)


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


def discover(package: str) -> list[str]:
    """Import every module of ``package`` and its subpackages (``pkgutil.walk_packages``, in
    name order) and return their names. An import error is raised, never swallowed: a check
    module that cannot be imported would otherwise silently take its checks out of every run."""
    root = importlib.import_module(package)
    names = []
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), prefix=f"{package}."):
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def load_all(packages: tuple[str, ...] | None = None) -> dict[str, CheckSpec]:
    """Import every module of the check packages (default :data:`CHECK_PACKAGES`) and return the
    catalog (check id -> spec, in registration order)."""
    for package in CHECK_PACKAGES if packages is None else packages:
        discover(package)
    return CHECKS


def checks_for(api: str, *, fast: bool = False) -> list[CheckSpec]:
    load_all()
    return [c for c in CHECKS.values() if c.api == api and (c.fast or not fast)]


def render_markdown() -> str:
    """The check catalog as Markdown tables, one per API (README's "Checks" section is this text)."""
    from optout_conformance.apis import APIS

    load_all()
    lines: list[str] = []
    for api, info in APIS.items():
        specs = sorted((c for c in CHECKS.values() if c.api == api), key=lambda c: (c.family, c.id))
        lines += [f"#### {info.title} ({len(specs)} checks)", ""]
        lines += ["| check | family | writes | enforces (source) |", "| --- | --- | --- | --- |"]
        for spec in specs:
            source = spec.source.replace("|", "\\|")
            lines.append(
                f"| `{spec.id}` | {spec.family} | {'yes' if spec.writes else ''} | {source} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m optout_conformance.checks.registry (README's block)
    # Run as a script this module is __main__, not the registry the check modules fill.
    from optout_conformance.checks import registry

    print(registry.render_markdown(), end="")
