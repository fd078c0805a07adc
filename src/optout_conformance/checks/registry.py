"""The catalog of targeted checks: one small function per documented rule.

A check is registered with ``optout_conformance.core.checks.check``, which records its id, API,
family and the document clause it enforces in ``core.checks.CHECKS``; this module imports the
modules holding checks (:func:`load_all`). The runner (``optout_conformance.runner``) and the
pytest suite (``tests/conformance/``) both read ``CHECKS``, so a rule is written once and runs the same way
from the command line and from pytest.
"""

from __future__ import annotations

import importlib

from optout_conformance.apis import APIS
from optout_conformance.core.checks import CHECKS, CheckSpec

# Modules that register checks when imported; load_all() imports them in this order.
# Generic check modules; each API's own come from its definition (``check_modules``).
CHECK_MODULES = (
    "optout_conformance.checks.robustness",
    "optout_conformance.checks.properties",
)


def load_all() -> dict[str, CheckSpec]:
    """Import every API's check modules, then the generic ones (a generic module not present yet
    is skipped; an API's module that fails to import raises ApiLoadError naming the API)."""
    from optout_conformance.apis import import_modules

    import_modules("check_modules")
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


def render_markdown() -> str:
    """The check catalog as Markdown tables, one per API (README's "Checks" section is this text)."""
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
    print(render_markdown(), end="")
