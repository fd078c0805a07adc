"""The check catalog: every check cites a seed document, and README's table is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optout_conformance.checks.registry import load_all, render_markdown
from optout_conformance.core.apis import APIS
from optout_conformance.core.checks import FAMILIES

README = Path(__file__).resolve().parents[2] / "README.md"
SEED_FILES = {name for info in APIS.values() for name in info.sources}
CHECKS = load_all()


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_check_cites_a_seed_document_and_explains_itself(check_id: str) -> None:
    spec = CHECKS[check_id]
    cited = set(re.findall(r"\d{3}_[0-9a-f]{16}\.txt", spec.source))
    assert cited, f"{check_id}: source {spec.source!r} names no seed file"
    assert cited <= SEED_FILES, f"{check_id}: unknown seed file(s) {cited - SEED_FILES}"
    assert cited <= set(APIS[spec.api].sources), f"{check_id}: cites another API's document"
    assert spec.family in FAMILIES
    assert spec.doc, f"{check_id}: the check function has no docstring"


def test_every_api_has_a_property_run_a_robustness_check_and_an_auth_check() -> None:
    for api in APIS:
        checks = [c for c in CHECKS.values() if c.api == api]
        families = {c.family for c in checks}
        assert {"properties", "robustness"} <= families, api
        auth = [c for c in checks if c.family == "auth" or re.search("token|realm|password", c.id)]
        assert auth, f"{api}: no check that credentials are enforced"


def test_readme_check_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- checks:start -->\n(.*?)<!-- checks:end -->", text, re.S)
    assert match, "README.md has no <!-- checks:start --> ... <!-- checks:end --> block"
    assert match.group(1) == render_markdown(), (
        "README's check table is stale; regenerate it with: "
        "python -m optout_conformance.checks.registry"
    )
