"""The discrepancy registry (``openapi/discrepancies.yaml``): load, validate, query and render it.

The registry is the single source of decisions where the source documents disagree, contradict
themselves or are silent. The reference server follows an entry's ``reference``; the checks ask
:func:`expectation` what the profile in force pins; the reports and ``docs/discrepancies.md``
render it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from optout_conformance.core.apis import APIS, PROFILES, check_profile
from optout_conformance.core.errors import BadChoice, SpecError
from optout_conformance.specs import openapi_dir, read_yaml

KINDS = ("conflict", "contradiction", "unspecified")
# Profiles an entry pins a value for; `auto` is resolved by the runner from the entry's probe.
PINNED_PROFILES = ("community", "official", "lenient")
# A profile value meaning "the documents are silent: record what the target does, fail nothing".
OBSERVE = "observe"
FORMATS = ("table", "markdown", "json")
REQUIRED_KEYS = (
    "id",
    "api",
    "operations",
    "subject",
    "kind",
    "sources",
    "probe",
    "profiles",
    "reference",
    "spec",
)
_ID = re.compile(r"^[a-z]+(\.[a-z0-9_-]+)+$")
_REALIZATION_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Source:
    """What one seed document says on the point (exact words), and the value it gives if any."""

    file: str
    says: str
    value: Any = None


@dataclass(frozen=True)
class Probe:
    """How a target's behaviour on the point is observed."""

    request: str
    observe: str


@dataclass(frozen=True)
class Realization:
    """One choice a faithful server may make on an open point, as data for the generator.

    ``apply`` maps operation names of ``faults.open_points`` (reply transforms such as
    ``status`` or ``content_type``, selected by ``reply``; or a ``behaviour`` looked up by name) to
    their arguments; an empty ``apply`` is the reference server's own choice.
    """

    name: str
    apply: dict[str, Any]
    # The catalog name this realization is also registered under (a former hand-written variant).
    catalog: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    """One registry entry: a disputed or silent point and the decision taken on it."""

    id: str
    api: str
    operations: tuple[str, ...]
    subject: str
    kind: str
    sources: tuple[Source, ...]
    probe: Probe
    # profile name -> expected value; None = any documented variant; "observe" = record only.
    profiles: dict[str, Any]
    reference: str
    spec: str
    # Executable faithful choices (open points): at least two when given, names unique.
    realizations: tuple[Realization, ...] = ()

    @property
    def is_open_point(self) -> bool:
        """No document fixes the point: every profile observes it."""
        return all(self.profiles[p] == OBSERVE for p in PINNED_PROFILES)

    def realization(self, name: str) -> Realization:
        """The realization with this name; SpecError naming the valid ones when there is none."""
        for realization in self.realizations:
            if realization.name == name:
                return realization
        valid = ", ".join(r.name for r in self.realizations) or "none"
        raise SpecError(f"{self.id} has no realization {name!r}", hint=f"valid: {valid}")

    @property
    def spec_location(self) -> str | None:
        """The JSONPath in the API's spec that carries this entry's x-discrepancy, or None."""
        return None if self.spec.startswith("none:") else self.spec


def registry_path() -> Path:
    return openapi_dir() / "discrepancies.yaml"


def parse_registry(document: Any, origin: str = "discrepancies.yaml") -> list[Discrepancy]:
    """Validate a loaded registry document and build its entries; SpecError naming the first fault."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise SpecError(f"{origin}: expected a mapping with 'version: 1'")
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise SpecError(f"{origin}: 'entries' must be a non-empty list")
    entries: list[Discrepancy] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_entries):
        entry = _parse_entry(raw, f"{origin}: entry {number}")
        if entry.id in seen:
            raise SpecError(f"{origin}: duplicate id {entry.id!r}")
        seen.add(entry.id)
        entries.append(entry)
    return entries


def _parse_entry(raw: Any, where: str) -> Discrepancy:
    if not isinstance(raw, dict):
        raise SpecError(f"{where} is not a mapping")
    missing = [key for key in REQUIRED_KEYS if key not in raw]
    if missing:
        raise SpecError(f"{where} ({raw.get('id', '?')}) lacks {', '.join(missing)}")
    where = f"{where} ({raw['id']})"
    if (
        not isinstance(raw["id"], str)
        or not _ID.match(raw["id"])
        or not raw["id"].startswith(f"{raw['api']}.")
    ):
        raise SpecError(f"{where}: id must be '<api>.<area>.<subject>' in kebab-case")
    if raw["api"] not in APIS:
        raise SpecError(f"{where}: unknown api {raw['api']!r}")
    if raw["kind"] not in KINDS:
        raise SpecError(f"{where}: kind must be one of {', '.join(KINDS)}, not {raw['kind']!r}")
    profiles = raw["profiles"]
    if not isinstance(profiles, dict) or set(profiles) != set(PINNED_PROFILES):
        raise SpecError(f"{where}: profiles must give exactly {', '.join(PINNED_PROFILES)}")
    sources = raw["sources"]
    if not isinstance(sources, list) or not sources:
        raise SpecError(f"{where}: sources must be a non-empty list")
    for source in sources:
        if not isinstance(source, dict) or not {"file", "says"} <= set(source):
            raise SpecError(f"{where}: every source needs 'file' and 'says'")
        if source["file"] not in APIS[raw["api"]].sources:
            raise SpecError(f"{where}: {source['file']} is not a source document of {raw['api']}")
    probe = raw["probe"]
    if not isinstance(probe, dict) or not {"request", "observe"} <= set(probe):
        raise SpecError(f"{where}: probe needs 'request' and 'observe'")
    spec = raw["spec"]
    if not isinstance(spec, str) or not (spec.startswith("$") or spec.startswith("none:")):
        raise SpecError(f"{where}: spec must be a JSONPath ('$...') or 'none: <why>'")
    realizations = _parse_realizations(raw.get("realizations", []), where)
    return Discrepancy(
        realizations=realizations,
        id=raw["id"],
        api=raw["api"],
        operations=tuple(raw["operations"] or ()),
        subject=str(raw["subject"]),
        kind=raw["kind"],
        sources=tuple(Source(s["file"], str(s["says"]), s.get("value")) for s in sources),
        probe=Probe(str(probe["request"]), str(probe["observe"])),
        profiles=dict(profiles),
        reference=str(raw["reference"]),
        spec=spec,
    )


def _parse_realizations(raw: Any, where: str) -> tuple[Realization, ...]:
    if not isinstance(raw, list) or len(raw) == 1:
        raise SpecError(f"{where}: realizations must be a list of at least two choices")
    found: list[Realization] = []
    for item in raw:
        if not isinstance(item, dict) or not {"name", "apply"} <= set(item) or set(item) - {
            "name", "apply", "catalog"
        }:
            raise SpecError(f"{where}: a realization is {{name, apply[, catalog]}}, not {item!r}")
        name, apply = item["name"], item["apply"]
        if not isinstance(name, str) or not _REALIZATION_NAME.match(name):
            raise SpecError(f"{where}: realization name {name!r} must be kebab-case")
        if not isinstance(apply, dict):
            raise SpecError(f"{where}: realization {name}: apply must be a mapping")
        if any(r.name == name for r in found):
            raise SpecError(f"{where}: realization {name!r} listed twice")
        found.append(Realization(name=name, apply=dict(apply), catalog=item.get("catalog")))
    return tuple(found)


@functools.cache
def _load_registry() -> tuple[Discrepancy, ...]:
    path = registry_path()
    return tuple(parse_registry(read_yaml(path), origin=str(path)))


def load_registry() -> list[Discrepancy]:
    """Every entry of the registry, in file order (loaded and validated once)."""
    return list(_load_registry())


def get(discrepancy_id: str) -> Discrepancy:
    """The entry with this id; SpecError (with near matches) when there is none."""
    for entry in _load_registry():
        if entry.id == discrepancy_id:
            return entry
    prefix = discrepancy_id.rsplit(".", 1)[0]
    near = [entry.id for entry in _load_registry() if entry.id.startswith(prefix)]
    raise SpecError(f"no discrepancy {discrepancy_id!r} in the registry", hint=", ".join(near) or None)


def expectation(discrepancy_id: str, profile: str) -> Any:
    """What ``profile`` expects on the point: a value, None (any documented variant) or "observe".

    For ``auto`` this returns None: the runner resolves auto from the probe's fingerprint and then
    asks again with the profile the target showed.
    """
    check_profile(profile, PROFILES)
    if profile == "auto":
        return None
    return get(discrepancy_id).profiles[profile]


def render(fmt: str = "table", api: str | None = None) -> str:
    """The registry as a fixed-width terminal ``table``, ``markdown`` or ``json``, optionally for one API."""
    if fmt not in FORMATS:
        raise BadChoice("--format", fmt, FORMATS)
    entries = [entry for entry in _load_registry() if api is None or entry.api == api]
    if fmt == "json":
        return json.dumps([asdict(entry) for entry in entries], indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return _markdown(entries)
    return _table(entries)


def show_value(value: Any) -> str:
    """A profile value in one line: None -> "any documented", mappings and lists as compact JSON."""
    if value is None:
        return "any documented"
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _table(entries: list[Discrepancy]) -> str:
    columns = ("id", "kind", "community", "official", "lenient")
    widths = (max([len("id"), *(len(entry.id) for entry in entries)]), 13, 24, 24, 24)
    lines = ["  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    for entry in entries:
        cells = (entry.id, entry.kind, *(show_value(entry.profiles[p]) for p in PINNED_PROFILES))
        row = "  ".join(_clip(cell, width).ljust(width) for cell, width in zip(cells, widths, strict=True))
        lines.append(row.rstrip())
    lines.append(
        f"{len(entries)} entries; 'any documented' = every documented variant passes, "
        "'observe' = recorded only"
    )
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(entries: list[Discrepancy]) -> str:
    lines = [
        "# Discrepancy registry",
        "",
        "Generated from `openapi/discrepancies.yaml` by "
        "`optout-conformance discrepancies --format markdown > docs/discrepancies.md`; do not edit by hand.",
        "",
        "Each entry is a point where the source documents (`../shared/seeds/`) disagree (**conflict**),",
        "contradict themselves (**contradiction**) or are silent (**unspecified**), and the decision taken.",
        "Profile columns: the value the profile pins; *any documented* = every documented variant passes;",
        "*observe* = the suite records what the target does and fails nothing.",
    ]
    for api in APIS:
        api_entries = [entry for entry in entries if entry.api == api]
        if not api_entries:
            continue
        lines += ["", f"## {APIS[api].title}", "", "| id | kind | subject | community | official | lenient |"]
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for entry in api_entries:
            values = " | ".join(_cell(show_value(entry.profiles[p])) for p in PINNED_PROFILES)
            lines.append(
                f"| [`{entry.id}`](#{_anchor(entry.id)}) | {entry.kind} | {_cell(entry.subject)} | {values} |"
            )
        for entry in api_entries:
            lines += [
                "",
                f"### {entry.id}",
                "",
                f"{entry.subject} ({entry.kind}; operations: {', '.join(entry.operations) or 'all'}).",
                "",
            ]
            for source in entry.sources:
                given = "" if source.value is None else f" (value: {show_value(source.value)})"
                lines.append(f'- `{source.file}` says: "{source.says}"{given}')
            lines += [
                f"- Probe: {entry.probe.request}; observe {entry.probe.observe}.",
                f"- Reference server: {entry.reference}.",
                f"- Spec: `{entry.spec}`.",
            ]
            if entry.realizations:
                choices = "; ".join(
                    f"`{r.name}` ({show_value(r.apply) if r.apply else 'the reference'})"
                    for r in entry.realizations
                )
                lines.append(f"- Faithful realizations (`faults/open_points.py`): {choices}.")
    return "\n".join(lines)


def _anchor(discrepancy_id: str) -> str:
    """The GitHub-style heading anchor of an entry's section."""
    return re.sub(r"[^a-z0-9_ -]", "", discrepancy_id.lower()).replace(" ", "-")


def main(argv: list[str] | None = None) -> None:
    """``python -m optout_conformance.registry [--format F] [--api A]``: print the rendered registry."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m optout_conformance.registry")
    parser.add_argument("--format", default="table", choices=FORMATS)
    parser.add_argument("--api", default=None, choices=tuple(APIS))
    options = parser.parse_args(argv)
    print(render(options.format, options.api))


if __name__ == "__main__":
    main()
