"""Avaamo SMS Opt Status: ``GET /api/v2/sms/opt-status.json`` (seed 003)."""

from __future__ import annotations

from optout_conformance.core.definition import ApiInfo, CredentialField

PACKAGE = __name__

DEFINITION = ApiInfo(
    name="avaamo",
    title="Avaamo SMS Opt Status",
    spec_file="avaamo-sms-opt-status.yaml",
    base_path="/api/v2",
    sources=("003_725be0800b974dd2.txt",),
    # Wire name and place from the spec's security scheme (access-token, a header).
    credential_fields=(
        CredentialField("token", "#/components/securitySchemes/AccessToken", "OPTOUT_CONFORMANCE_TOKEN"),
    ),
    check_modules=(f"{PACKAGE}.checks",),
    fault_modules=(f"{PACKAGE}.faults",),
    # Longest suffix first: the mapper tries them in order.
    operations=(("/sms/opt-status.json", "/sms/opt-status.json"), ("/sms/opt-status", "/sms/opt-status")),
    service=f"{PACKAGE}.reference:AvaamoService",
    probe_functions=f"{PACKAGE}.probes:PROBES",
    probe_labels={
        "avaamo.path.json-suffix": "path without .json",
        "avaamo.query.per-page-above-max": "per_page above 100",
    },
    serve_note="access-token: {config.token}",
    # The fault side (issue 11, item 1).
    open_points=f"{PACKAGE}.open_points",
    baseline_config=f"{PACKAGE}.faults:baseline_config",
    # Request rules and diff extractors (issue 11 item 2, requests).
    request_policy=f"{PACKAGE}.request_policy",
    diff_extractors=f"{PACKAGE}.diff",
    # Reply judgement (the reply dialect).
    dialect=f"{PACKAGE}.dialect",
)
