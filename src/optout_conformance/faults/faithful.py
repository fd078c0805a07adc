"""Faithful variants: servers that differ from the reference only where no document speaks.

The suite must pass every one of them in each run profile listed: a failure here is a false
alarm (the suite enforcing something no document states). Each docstring says what differs and
why the documents allow it.

Most faithful variants are no longer written by hand: they are realizations of open points in
the registry (``openapi/discrepancies.yaml``, ``realizations``), built by the one generator in
``faults/open_points.py``. A realization with a ``catalog`` name is registered here under that
name (the former hand-written variant's, so ``serve --fault convoso-newest-first`` still works);
the rest are reached through the covering-array sweep (``detect --sweep``). Composite variants no
single open point describes live in their API's package (``apis/<name>/faithful.py``).
"""

from __future__ import annotations

import dataclasses
import importlib

from optout_conformance.core.apis import APIS
from optout_conformance.core.faults import add
from optout_conformance.faults import open_points

COMMUNITY_RUNS = ("community", "lenient", "auto")
ANY_RUN = ("auto", "lenient")


def _register_realizations() -> None:
    """Each realization with a ``catalog`` name becomes a catalog entry of that name."""
    for alias, entry, realization in open_points.catalog_aliases():
        generated = open_points.server(
            entry.api, "community", [open_points.Choice(entry, realization)], name=alias
        )
        if len(APIS[entry.api].server_profiles) > 1:  # documents that disagree: the community reading
            add(dataclasses.replace(generated, profiles=COMMUNITY_RUNS))
        else:
            add(dataclasses.replace(generated, profiles=ANY_RUN, server_profile=None))


def _import_composites() -> None:
    """Each API's composite faithful variants (its definition's ``faithful_modules``), API order."""
    for definition in APIS.values():
        for module in getattr(definition, "faithful_modules", ()):
            importlib.import_module(module)


_import_composites()
_register_realizations()
