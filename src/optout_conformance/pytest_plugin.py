"""The conformance suite as a pytest plugin (entry point ``pytest11``: ``optout_conformance``).

Installed with the package, pytest loads it in every session (with ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``
set: ``-p optout_conformance``, the entry point's name). It adds the options (group
"optout-conformance", ``pytest --help``):
``--target``, ``--api``, ``--profile``, ``--token``, ``--realm``, ``--password``, ``--sender-code``,
``--allow-writes``, ``--conformance-config``. Precedence: command line > environment
(``OPTOUT_CONFORMANCE_*``) > config file > the embedded reference server, exactly as
``optout-conformance run`` (``optout_conformance.config``). ``--conformance-config`` is named so
because pytest owns ``-c``.

The tests themselves: any test function that takes the ``conformance_check`` fixture is generated
once per registered check of the selected API(s), the check id as its id (so ``-k`` selects by
rule, and JUnit XML names each check). The package ships one such test,
``optout_conformance.test_conformance``, so ``pytest --pyargs optout_conformance`` runs the whole
suite from any directory (with ``-k``, ``-n`` from pytest-xdist, ``--junitxml``).

Each check runs through the one run loop (``runner.session.ApiSession``, one per API for the
pytest session, fingerprinted before its first check) and its outcome becomes the test's:

- failed -> fail, with Received / Documented and the curl that reproduces it;
- skipped (a write check without ``--allow-writes`` on a remote target, ...) -> skip, with the reason;
- inconclusive (the check ran but lacked the evidence its rule needs) -> skip whose reason starts
  with "inconclusive: " (shown by ``-ra``, never as passed). Under pytest's own ``--strict`` (the
  ``strict`` ini option, as ``optout-conformance run --strict``) it fails instead;
- error (the check crashed: a harness bug) -> fail, "ERROR" and the crash's last line;
- a crash of the fingerprint probes fails every test of that API (as ``run`` reports an ERROR
  ``<api>.fingerprint``): the target is never silently held to the lenient profile.

Markers: ``writes`` (write checks), ``slow`` (checks outside the ``--fast`` selection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from optout_conformance.checks.registry import checks_for
from optout_conformance.cli_options import CHOICES, resolved
from optout_conformance.config import RawSettings, Settings, resolve_settings
from optout_conformance.core.apis import resolve_apis
from optout_conformance.core.checks import CheckSpec
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import OptoutConformanceError
from optout_conformance.core.results import CheckResult
from optout_conformance.runner.execute import RunLimits
from optout_conformance.runner.session import ApiSession
from optout_conformance.runner.targets import open_targets
from optout_conformance.settings import (
    PYTEST_GROUP,
    add_pytest_options,
    given_pytest_options,
)
from optout_conformance.settings import (
    pytest_group_help as group_help,
)

CHECK_FIXTURE = "conformance_check"


def pytest_addoption(parser: pytest.Parser) -> None:
    # The options come from the settings table (optout_conformance.settings), as the CLI's do.
    add_pytest_options(parser.getgroup(PYTEST_GROUP, group_help()), CHOICES)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "writes: performs write operations on the target "
                            "(needs --allow-writes on non-loopback targets)")
    config.addinivalue_line("markers", "slow: long-running; not part of the default CI selection")


def conformance_settings(config: pytest.Config) -> Settings:
    """The session's settings from the pytest options (and the environment, and the file)."""
    option = config.getoption
    raw = RawSettings(
        targets=tuple(option("--target")),
        token=option("--token"),
        realm=option("--realm"),
        password=option("--password"),
        sender_code=option("--sender-code"),
        profile=option("--profile"),
        config=option("--conformance-config"),
    )
    return resolve_settings(raw, api=option("--api"))


def selected_apis(config: pytest.Config) -> list[str]:
    """The APIs ``--api`` selects; a bad value ends the session (exit 2, one message)."""
    try:
        return resolve_apis(config.getoption("--api"))
    except OptoutConformanceError as error:
        pytest.exit(error.render(), returncode=error.exit_code)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``conformance_check`` runs once per registered check of the selected APIs.

    The param id is the check id (so ``-k`` selects by rule); write checks carry the ``writes``
    marker; checks outside the ``--fast`` selection are ``slow``."""
    if CHECK_FIXTURE not in metafunc.fixturenames:
        return
    metafunc.parametrize(
        CHECK_FIXTURE,
        [
            pytest.param(
                spec,
                id=spec.id,
                marks=[*([pytest.mark.writes] if spec.writes else []),
                       *([pytest.mark.slow] if not spec.fast else [])],
            )
            for api in selected_apis(metafunc.config)
            for spec in checks_for(api)
        ],
    )


@pytest.fixture(scope="session")
def conformance_targets(
    pytestconfig: pytest.Config,
) -> Iterator[tuple[Settings, dict[str, Target], Credentials]]:
    """The session's targets (one per selected API) and credentials; the embedded server, when
    used, is started once for the whole session."""
    with ExitStack() as stack:
        try:
            selected = conformance_settings(pytestconfig)
            targets, credentials = stack.enter_context(open_targets(selected))
        except OptoutConformanceError as error:
            # A bad option or an unreachable target ends the session: exit 2, one message.
            pytest.exit(error.render(), returncode=error.exit_code)
        yield selected, {t.api: t for t in targets}, credentials


def strict_mode(config: pytest.Config) -> bool:
    """pytest's own ``--strict`` (pytest >= 9: the ``strict`` ini option) is the suite's --strict."""
    try:
        return bool(config.getini("strict"))
    except ValueError:  # a pytest without the ini option
        return False


class Sessions(dict[str, ApiSession]):
    """api -> the run loop's session on that API's target, made on first use."""

    def __init__(self, targets: dict[str, Target], credentials: Credentials, profile: str,
                 limits: RunLimits) -> None:
        super().__init__()
        self.targets, self.credentials, self.profile, self.limits = targets, credentials, profile, limits

    def __missing__(self, api: str) -> ApiSession:
        if api not in self.targets:
            pytest.skip(f"{api} is not selected")
        session = ApiSession(self.targets[api], self.credentials, self.profile, self.limits)
        self[api] = session
        return session


@pytest.fixture(scope="session")
def conformance_sessions(
    pytestconfig: pytest.Config, conformance_targets: tuple[Settings, dict[str, Target], Credentials]
) -> Iterator[Sessions]:
    """api -> an :class:`ApiSession` on the session's target (fingerprinted before its first check)."""
    from hypothesis import settings

    selected, targets, credentials = conformance_targets
    allow_writes = resolved("run", selected, {"allow_writes": pytestconfig.getoption("--allow-writes")},
                            given=given_pytest_options(pytestconfig.getoption))["allow_writes"]
    limits = RunLimits(allow_writes=bool(allow_writes),
                       max_examples=settings().max_examples, strict=strict_mode(pytestconfig))
    sessions = Sessions(targets, credentials, selected.profile, limits)
    yield sessions
    for session in sessions.values():
        session.close()


def failure_message(result: CheckResult) -> str:
    """What a failed check says: the rule, Received / Documented and the reproducing curl."""
    message = (f"{result.rule}\n  Received: {result.received}\n"
               f"  Documented: {result.documented} ({result.source})")
    if result.exchange and result.exchange.get("curl"):
        message += f"\n  Reproduce: {result.exchange['curl']}"
    return message


def report(result: CheckResult, *, strict: bool) -> None:
    """Turn a check's result into the test's outcome (returns only when it passed)."""
    if result.status == "failed":
        pytest.fail(failure_message(result), pytrace=False)
    if result.status == "error":
        pytest.fail(f"ERROR {result.id} (the check crashed): {result.rule}", pytrace=False)
    if result.status == "skipped":
        pytest.skip(result.rule)
    if result.status == "inconclusive":
        reason = f"inconclusive: {result.rule}"
        if strict:
            pytest.fail(f"{reason}\n  (--strict: an inconclusive check fails)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def conforms(conformance_sessions: Sessions) -> Callable[[CheckSpec], None]:
    """Run one check against its API's target through the session and report its outcome."""

    def run(spec: CheckSpec) -> None:
        session = conformance_sessions[spec.api]
        probe_error = session.fingerprint()
        if probe_error is not None:
            pytest.fail(f"ERROR {probe_error.id}: {probe_error.rule}", pytrace=False)
        result = session.run_check(spec)
        assert result is not None, "the session stopped, but the plugin sets no hook that stops it"
        report(result, strict=conformance_sessions.limits.strict)

    return run
