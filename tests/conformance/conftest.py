"""Fixtures of the conformance suite: one fingerprinted run context per API for the session, and
``conforms``, which runs one registered check the way ``optout-conformance run`` does and turns
its outcome into a pytest outcome:

- CheckFailed -> fail, with the curl that reproduces it;
- CheckSkipped -> skip, with the reason;
- CheckInconclusive (the check ran but lacked the evidence its rule needs) -> skip whose reason
  starts with "inconclusive: " (shown by ``-ra`` as ``SKIPPED [1] ... inconclusive: ...``, never
  as passed). A skip, not an xfail: an xfail says a known defect was confirmed, while an
  inconclusive check confirmed nothing. Under pytest's own ``--strict`` (the ``strict`` ini
  option, as ``optout-conformance run --strict``) it fails instead;
- a crash of the fingerprint probes fails every test of that API (as ``run`` reports an ERROR
  ``<api>.fingerprint``): the target is never silently held to the lenient profile.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

from optout_conformance.checks.registry import checks_for
from optout_conformance.cli_options import resolved
from optout_conformance.config import Settings
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.outcomes import CheckFailed, CheckInconclusive, CheckSkipped
from optout_conformance.runner.context import RunContext
from optout_conformance.runner.execute import RunLimits, make_context, probe_fingerprint
from optout_conformance.settings import given_pytest_options


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


class Contexts(dict[str, RunContext]):
    """api -> a RunContext on the session's target, fingerprinted once (lazily, on first use)."""

    def __init__(self, config: pytest.Config, profile: str, targets: dict[str, Target],
                 credentials: Credentials, limits: RunLimits) -> None:
        super().__init__()
        self.config, self.profile, self.targets = config, profile, targets
        self.credentials, self.limits = credentials, limits
        self.probe_errors: dict[str, str] = {}

    def __missing__(self, api: str) -> RunContext:
        if api not in self.targets:
            pytest.skip(f"{api} is not selected (--api {self.config.getoption('--api')})")
        ctx = make_context(self.targets[api], self.credentials, self.profile, self.limits)
        error = probe_fingerprint(ctx)
        if error is not None:
            self.probe_errors[api] = f"{error.id}: {error.rule}"
        self[api] = ctx
        return ctx

    def checked(self, api: str) -> RunContext:
        """The API's context; fails the test when its fingerprint probes crashed."""
        ctx = self[api]
        if api in self.probe_errors:
            pytest.fail(f"ERROR {self.probe_errors[api]}", pytrace=False)
        return ctx


@pytest.fixture(scope="session")
def api_contexts(
    pytestconfig: pytest.Config, conformance_targets: tuple[Settings, dict[str, Target], Credentials]
) -> Iterator[Contexts]:
    """api -> a RunContext on the session's target, fingerprinted once (lazily, on first use)."""
    selected, targets, credentials = conformance_targets
    allow_writes = resolved("run", selected, {"allow_writes": pytestconfig.getoption("--allow-writes")},
                            given=given_pytest_options(pytestconfig.getoption))["allow_writes"]
    limits = RunLimits(allow_writes=bool(allow_writes),
                       max_examples=settings().max_examples, strict=strict_mode(pytestconfig))
    contexts = Contexts(pytestconfig, selected.profile, targets, credentials, limits)
    yield contexts
    for ctx in contexts.values():
        ctx.http.close()


def strict_mode(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (pytest >= 9: the ``strict`` ini option) is the suite's --strict."""
    try:
        return bool(config.getini("strict"))
    except ValueError:  # a pytest without the ini option
        return False


@pytest.fixture
def conforms(api_contexts: Contexts) -> Callable[[CheckSpec], None]:
    """Run one check against its API's target; a harness exception propagates as a test error."""
    strict = api_contexts.limits.strict

    def run(spec: CheckSpec) -> None:
        ctx = api_contexts.checked(spec.api)
        if spec.writes and not ctx.writes_allowed:
            pytest.skip("writes are not allowed on this target (pass --allow-writes)")
        view = dataclasses.replace(ctx, current_check=spec.id)
        try:
            with ctx.http.labelled(spec.id):
                spec.function(view)
        except CheckSkipped as skip:
            pytest.skip(skip.reason)
        except CheckInconclusive as inconclusive:
            reason = f"inconclusive: {inconclusive.reason}"
            if strict:
                pytest.fail(f"{reason}\n  (--strict: an inconclusive check fails)", pytrace=False)
            pytest.skip(reason)
        except CheckFailed as failure:
            message = failure.message
            if failure.exchange is not None:
                message += f"\n  Reproduce: {failure.exchange.curl()}"
            pytest.fail(message, pytrace=False)

    return run
