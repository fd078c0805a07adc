"""Fixtures of the conformance suite: one fingerprinted run context per API for the session, and
``conforms``, which runs one registered check the way ``optout-conformance run`` does and turns
its outcome into a pytest outcome (CheckSkipped -> skip, CheckFailed -> fail with the curl)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

from optout_conformance.checks.registry import CheckSpec, checks_for
from optout_conformance.config import Settings
from optout_conformance.runner.context import CheckFailed, CheckSkipped, Credentials, RunContext, Target
from optout_conformance.runner.execute import RunLimits, fingerprint, make_context


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``check`` runs once per registered check of its module's ``API``.

    The param id is the check id (so ``-k`` selects by rule); write checks carry the ``writes``
    marker; checks outside the ``--fast`` selection are ``slow`` (deselected by default, see
    pyproject's addopts)."""
    if "check" not in metafunc.fixturenames:
        return
    api = metafunc.module.API
    metafunc.parametrize(
        "check",
        [
            pytest.param(
                spec,
                id=spec.id,
                marks=[*([pytest.mark.writes] if spec.writes else []),
                       *([pytest.mark.slow] if not spec.fast else [])],
            )
            for spec in checks_for(api)
        ],
    )


@pytest.fixture(scope="session")
def api_contexts(
    pytestconfig: pytest.Config, conformance_targets: tuple[Settings, dict[str, Target], Credentials]
) -> Iterator[dict[str, RunContext]]:
    """api -> a RunContext on the session's target, fingerprinted once (lazily, on first use)."""
    selected, targets, credentials = conformance_targets
    limits = RunLimits(allow_writes=pytestconfig.getoption("--allow-writes"),
                       max_examples=settings().max_examples)

    class Contexts(dict[str, RunContext]):
        def __missing__(self, api: str) -> RunContext:
            if api not in targets:
                pytest.skip(f"{api} is not selected (--api {pytestconfig.getoption('--api')})")
            ctx = make_context(targets[api], credentials, selected.profile, limits)
            for note in fingerprint(ctx):
                print(f"{api}: {note}")
            self[api] = ctx
            return ctx

    contexts = Contexts()
    yield contexts
    for ctx in contexts.values():
        ctx.http.close()


@pytest.fixture
def conforms(api_contexts: dict[str, RunContext]) -> Callable[[CheckSpec], None]:
    """Run one check against its API's target; a harness exception propagates as a test error."""

    def run(spec: CheckSpec) -> None:
        ctx = api_contexts[spec.api]
        if spec.writes and not ctx.writes_allowed:
            pytest.skip("writes are not allowed on this target (pass --allow-writes)")
        view = dataclasses.replace(ctx, current_check=spec.id)
        try:
            with ctx.http.labelled(spec.id):
                spec.function(view)
        except CheckSkipped as skip:
            pytest.skip(skip.reason)
        except CheckFailed as failure:
            message = failure.message
            if failure.exchange is not None:
                message += f"\n  Reproduce: {failure.exchange.curl()}"
            pytest.fail(message, pytrace=False)

    return run
