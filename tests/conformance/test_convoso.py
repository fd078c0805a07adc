"""Convoso SMS Opt-Out: every registered check as one pytest test, against the session's target."""

from __future__ import annotations

from collections.abc import Callable

from optout_conformance.core.checks import CheckSpec

API = "convoso"


def test_convoso_target_keeps_the_documented_rule(
    check: CheckSpec, conforms: Callable[[CheckSpec], None]
) -> None:
    """``check`` is parametrized by tests/conformance/conftest.py: one test per registered check."""
    conforms(check)
