"""pytest options of the conformance suite, the session's targets, and the Hypothesis profiles.

Options (group "optout-conformance", ``pytest --help``): ``--target``, ``--api``, ``--profile``,
``--token``, ``--realm``, ``--password``, ``--sender-code``, ``--allow-writes``,
``--conformance-config``. Precedence: command line > environment (``OPTOUT_CONFORMANCE_*``) >
config file > the embedded reference server, exactly as ``optout-conformance run``
(``optout_conformance.config``). ``--conformance-config`` is named so because pytest owns ``-c``.

Hypothesis profiles: ``ci`` (derandomized, no deadline, 10 examples) and ``dev`` (25 examples,
no deadline), chosen by ``HYPOTHESIS_PROFILE``; default ``ci`` when ``CI`` is set, else ``dev``.
The profile's ``max_examples`` is also the property phase's budget per operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from hypothesis import settings

from optout_conformance.config import RawSettings, Settings, resolve_settings
from optout_conformance.core.context import Credentials, Target
from optout_conformance.core.errors import OptoutConformanceError

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=10, database=None)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    # The options come from the settings table (optout_conformance.settings), as the CLI's do.
    from optout_conformance.cli_options import CHOICES
    from optout_conformance.settings import PYTEST_GROUP, add_pytest_options, pytest_group_help

    add_pytest_options(parser.getgroup(PYTEST_GROUP, pytest_group_help()), CHOICES)


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


@pytest.fixture(scope="session")
def conformance_targets(
    pytestconfig: pytest.Config,
) -> Iterator[tuple[Settings, dict[str, Target], Credentials]]:
    """The session's targets (one per selected API) and credentials; the embedded server, when
    used, is started once for the whole session."""
    from optout_conformance.runner.targets import open_targets

    with ExitStack() as stack:
        try:
            selected = conformance_settings(pytestconfig)
            targets, credentials = stack.enter_context(open_targets(selected))
        except OptoutConformanceError as error:
            # A bad option or an unreachable target ends the session: exit 2, one message.
            pytest.exit(error.render(), returncode=error.exit_code)
        yield selected, {t.api: t for t in targets}, credentials
