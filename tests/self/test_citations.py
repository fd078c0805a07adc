"""The rule of evidence: a check may fail a target only by citing a sentence that states its rule.

Every citation of every registered check (``@check(cites=...)``) must occur, word for word, in the
seed file it names (whitespace folded; fragments joined by " … "); ``README.md`` is the seeds'
README, whose public facts bind like document sentences.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optout_conformance.checks.registry import load_all
from optout_conformance.core.apis import APIS
from optout_conformance.core.checks import PUBLIC_FACTS, Citation

REPOSITORY = Path(__file__).resolve().parents[2]
SEEDS = REPOSITORY.parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(), reason="the seed documents are not next to this checkout"
)


def missing_fragments(citation: Citation, api: str | None = None) -> list[str]:
    """Fragments of ``citation`` not in its file: the shared seeds, or the sources an API's
    definition ships (a plugin's own documents, ``sources_dir``)."""
    sources_dir = APIS[api].sources_dir if api in APIS else None
    path = (sources_dir or SEEDS) / citation.file
    if not path.is_file():
        return [f"no seed file {citation.file!r}"]
    text = " ".join(path.read_text(encoding="utf-8").split())
    return [fragment for fragment in citation.fragments() if fragment not in text]


@needs_seeds
def test_every_citation_of_every_check_occurs_in_its_seed_file() -> None:
    missing = [
        (spec.id, citation.file, fragment)
        for spec in load_all().values()
        for citation in spec.cites
        for fragment in missing_fragments(citation, spec.api)
    ]
    assert missing == []


@needs_seeds
def test_a_citation_that_is_not_in_the_seed_is_found_missing() -> None:
    assert missing_fragments(Citation("000_4120ae5ce1e52dc7.txt", "limit default 5000")) != []
    assert missing_fragments(Citation("nope.txt", "anything")) != []


@needs_seeds
def test_a_public_fact_of_the_seeds_readme_can_be_cited() -> None:
    fact = Citation(PUBLIC_FACTS, "401 (missing or invalid token)")
    assert missing_fragments(fact) == []


def test_every_check_cites_at_least_one_sentence() -> None:
    uncited = sorted(spec.id for spec in load_all().values() if not spec.cites)
    assert uncited == []
