"""What is specific to this repository's own test runs: the Hypothesis profiles.

The suite's pytest options, fixtures and test generation are the installed pytest plugin
``optout_conformance.pytest_plugin`` (entry point ``pytest11``), loaded in every pytest session.

Hypothesis profiles: ``ci`` (derandomized, no deadline, 10 examples) and ``dev`` (25 examples,
no deadline), chosen by ``HYPOTHESIS_PROFILE``; default ``ci`` when ``CI`` is set, else ``dev``.
The profile's ``max_examples`` is also the property phase's budget per operation.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=10, database=None)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
