"""The core every other layer stands on: the check contract, the neutral interaction, credentials,
target, results, errors, and the one HTTP transport. It imports nothing else of the project
(stdlib and third-party only); ``tests/self/test_layers.py`` and import-linter enforce that."""
