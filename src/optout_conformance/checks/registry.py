"""The catalog of targeted checks: one small function per documented rule.

A check is registered with ``optout_conformance.core.checks.check``, which records its id, API,
family and the document clause it enforces in ``core.checks.CHECKS``; this module imports the
modules holding checks (:func:`load_all`): every module of each API definition's check packages
and of the generic package ``optout_conformance.checks``, found by walking the packages (no hand
list), an import error raised. The runner (``optout_conformance.runner.session``) and the pytest
plugin (``optout_conformance.pytest_plugin``) both read ``CHECKS``, so a rule is written once and
runs the same way from the command line and from pytest.
"""

from __future__ import annotations

from optout_conformance.core.apis import APIS, import_modules
from optout_conformance.core.checks import CHECKS, CheckSpec
from optout_conformance.core.discovery import import_tree

# The generic check package; each API's own check packages come from its definition.
CHECK_PACKAGES: tuple[str, ...] = ("optout_conformance.checks",)


def load_all(packages: tuple[str, ...] | None = None) -> dict[str, CheckSpec]:
    """Import every API definition's check packages and every module of the check packages
    (default :data:`CHECK_PACKAGES`) and return the catalog (check id -> spec)."""
    if packages is None:
        import_modules("check_modules")
    for package in CHECK_PACKAGES if packages is None else packages:
        import_tree(package)
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
