"""The three APIs this project knows: names, spec files, base paths and profiles.

This is the one place that names them; every other module asks here.
"""

from __future__ import annotations

from dataclasses import dataclass

from optout_conformance.core.errors import BadChoice


@dataclass(frozen=True)
class ApiInfo:
    """What the project knows about one API without reading its spec."""

    name: str
    title: str
    spec_file: str
    # Path prefix of the API's base URL on the embedded reference server; the spec's
    # servers entry has the vendor's host with the same prefix.
    base_path: str
    # Seed documents (file names in ../shared/seeds/) that describe this API.
    sources: tuple[str, ...]


APIS: dict[str, ApiInfo] = {
    "convoso": ApiInfo(
        name="convoso",
        title="Convoso SMS Opt-Out",
        spec_file="convoso-sms-opt-out.yaml",
        base_path="/v1",
        sources=("000_4120ae5ce1e52dc7.txt", "001_5cae901d395a1be8.txt"),
    ),
    "whatcounts": ApiInfo(
        name="whatcounts",
        title="WhatCounts Stop Sending SMS",
        spec_file="whatcounts-sms-stop.yaml",
        base_path="/bin",
        sources=("002_b0345f491e7a5826.txt",),
    ),
    "avaamo": ApiInfo(
        name="avaamo",
        title="Avaamo SMS Opt Status",
        spec_file="avaamo-sms-opt-status.yaml",
        base_path="/api/v2",
        sources=("003_725be0800b974dd2.txt",),
    ),
}

API_CHOICES = (*APIS, "all")

# community = seed 000, official = seed 001 (they only differ for Convoso);
# lenient = any documented variant; auto = observe the target, then hold it to what it showed.
PROFILES = ("auto", "community", "official", "lenient")
# Profiles the reference server can follow (it must pick one variant on every disputed point).
SERVER_PROFILES = ("community", "official")


def resolve_apis(value: str) -> list[str]:
    """``all`` -> every API; a single name -> [name]; anything else -> BadChoice."""
    if value == "all":
        return list(APIS)
    if value in APIS:
        return [value]
    raise BadChoice("--api", value, API_CHOICES)


def check_profile(value: str, choices: tuple[str, ...] = PROFILES) -> str:
    if value not in choices:
        raise BadChoice("--profile", value, choices)
    return value
