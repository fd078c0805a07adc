"""The conformance suite in this repository's test run: the plugin's generated test, imported.

``optout_conformance.pytest_plugin`` generates one test per registered check of the selected
API(s) (``--api``, default all); ``python -m pytest tests/conformance`` runs them here as
``pytest --pyargs optout_conformance`` does from any directory.
"""

from optout_conformance.test_conformance import test_target_keeps_the_documented_rule

__all__ = ["test_target_keeps_the_documented_rule"]
