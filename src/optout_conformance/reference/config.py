"""Settings of the embedded reference server: profile, credentials, campaigns, database, clock.

The defaults are the ones ``docs/architecture.md`` fixes (credentials, campaigns). A TOML file
(``load_config_file``) supplies values that the caller merges under its command-line flags.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from optout_conformance.core.apis import SERVER_PROFILES
from optout_conformance.core.errors import BadChoice, ConfigError
from optout_conformance.tomlfile import ValueRule, check_value, read_toml

# Campaign types: the global list, the purpose type (insert without purpose -> 6080), plain campaigns.
GLOBAL = "global"
PURPOSE = "purpose"
CAMPAIGN = "campaign"


@dataclass(frozen=True)
class Campaign:
    """A Convoso campaign the reference knows: its id, its name and its type."""

    id: int
    name: str
    type: str


DEFAULT_CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(0, "Global SMS Opt-Out", GLOBAL),
    Campaign(-1, "Purpose Opt-Out", PURPOSE),
    Campaign(111, "Sales Campaign", CAMPAIGN),
    Campaign(222, "Support Campaign", CAMPAIGN),
)

# ":memory:" keeps the default server self-contained; `serve --db FILE` and tests use a file
# (WAL mode, survives restarts).
MEMORY_DB = ":memory:"


def utc_now() -> datetime:
    """The real clock (timezone-aware UTC); tests inject a fixed one for deterministic seeding."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReferenceConfig:
    """Everything the reference server needs to know; immutable, shared by all three services."""

    profile: str = "community"
    token: str = "reference-token"
    realm: str = "reference"
    password: str = "reference-pass"
    sender_codes: tuple[str, ...] = ("120162701555",)
    campaigns: tuple[Campaign, ...] = DEFAULT_CAMPAIGNS
    db: str = MEMORY_DB
    # Records seeded into an empty database at start (Convoso records; Avaamo gets its own share,
    # see seed.py). 1200 is more than one default community page (1000), so paging is visible.
    seed_records: int = 1200
    max_body_bytes: int = 64 * 1024
    now: Callable[[], datetime] = field(default=utc_now, compare=False)

    def __post_init__(self) -> None:
        if self.profile not in SERVER_PROFILES:
            raise BadChoice("--profile", self.profile, SERVER_PROFILES)
        if self.seed_records < 0:
            raise ConfigError(f"seed_records must be >= 0, got {self.seed_records}")
        if self.max_body_bytes < 1:
            raise ConfigError(f"max_body_bytes must be >= 1, got {self.max_body_bytes}")

    @functools.cached_property
    def campaigns_by_id(self) -> dict[int, Campaign]:
        return {campaign.id: campaign for campaign in self.campaigns}

    def campaign(self, campaign_id: int) -> Campaign | None:
        """The configured campaign with this id, or None when the id is unknown."""
        return self.campaigns_by_id.get(campaign_id)


# Keys a config file may set; `campaigns` and `now` are code-level only.
FILE_KEYS = ("profile", "token", "realm", "password", "sender_codes", "db", "seed_records", "max_body_bytes")
# Their types and ranges (sender_codes: a string, an integer, or a list of them).
FILE_RULES: dict[str, ValueRule] = {
    "profile": ValueRule("str"), "token": ValueRule("str"), "realm": ValueRule("str"),
    "password": ValueRule("str"), "db": ValueRule("str"), "seed_records": ValueRule("int", 0),
    "max_body_bytes": ValueRule("int", 1),
}


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read reference settings from a TOML file, for the caller to merge under its CLI flags.

    The keys live at the top level or in a ``[reference]`` table; unknown keys are an error so a
    typo never goes unnoticed. Returns only the keys present, with ``sender_codes`` as a tuple.
    """
    file = Path(path)
    data = read_toml(file)
    section = data.get("reference", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {file}: [reference] must be a table")
    unknown = sorted(set(section) - set(FILE_KEYS) - {"reference"})
    if unknown:
        raise ConfigError(
            f"config file {file}: unknown key(s) {', '.join(unknown)}",
            hint=f"valid keys: {', '.join(FILE_KEYS)}",
        )
    values = {key: section[key] for key in FILE_KEYS if key in section}
    where = f"config file {file}" + (" [reference]" if "reference" in data else "")
    codes = values.get("sender_codes")
    if isinstance(codes, list):
        for code in codes:
            check_value(where, "sender_codes", code, ValueRule("code"))
        values["sender_codes"] = tuple(str(code) for code in codes)
    elif codes is not None:
        values["sender_codes"] = (str(check_value(where, "sender_codes", codes, ValueRule("code"))),)
    for key, value in values.items():
        if key in FILE_RULES:
            check_value(where, key, value, FILE_RULES[key])
    return values


def config_field_names() -> tuple[str, ...]:
    """Names of every ReferenceConfig field (for callers building one from merged options)."""
    return tuple(f.name for f in fields(ReferenceConfig))
