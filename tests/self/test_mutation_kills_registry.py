"""The check catalog per API: every check of the API, or with ``--fast`` only those marked fast."""

from __future__ import annotations

import subprocess
import sys

from optout_conformance.checks.registry import checks_for, render_markdown
from optout_conformance.core.apis import APIS
from optout_conformance.core.checks import CHECKS


def test_an_apis_checks_are_all_its_registered_checks_and_the_fast_ones_a_subset() -> None:
    for api in APIS:
        every = checks_for(api)
        assert every and {c.id for c in every} == {c.id for c in CHECKS.values() if c.api == api}
        fast = checks_for(api, fast=True)
        assert {c.id for c in fast} == {c.id for c in every if c.fast}
    assert len(checks_for("convoso", fast=True)) < len(checks_for("convoso"))  # some Convoso checks are slow


def test_the_catalog_table_counts_and_lists_every_check_of_each_api() -> None:
    text = render_markdown()
    for api, info in APIS.items():
        specs = checks_for(api)
        assert f"#### {info.title} ({len(specs)} checks)" in text
        assert all(f"| `{c.id}` | {c.family} |" in text for c in specs)
    assert text.endswith("|\n")


def test_the_module_prints_the_catalog_when_run_and_nothing_when_imported() -> None:
    run = subprocess.run([sys.executable, "-m", "optout_conformance.checks.registry"], capture_output=True,
                         text=True, timeout=120, check=True)
    assert run.stdout == render_markdown()
    imported = subprocess.run([sys.executable, "-c", "import optout_conformance.checks.registry"],
                              capture_output=True, text=True, timeout=120, check=True)
    assert imported.stdout == ""
