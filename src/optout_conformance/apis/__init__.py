"""The built-in APIs, one package each (``apis.convoso``, ``apis.whatcounts``, ``apis.avaamo``).

Each package exports ``DEFINITION`` (an :class:`optout_conformance.core.definition.ApiInfo`) and
is registered under the entry-point group ``optout_conformance.apis`` in ``pyproject.toml``, as a
plugin API is in its own distribution. Generic code finds them through
:mod:`optout_conformance.core.apis`, never by importing these packages.
"""
