"""Convoso SMS Opt-Out: search, insert and update (seeds 000 community, 001 official)."""

from __future__ import annotations

from optout_conformance.core.definition import ApiInfo, CredentialField

PACKAGE = __name__

DEFINITION = ApiInfo(
    name="convoso",
    title="Convoso SMS Opt-Out",
    spec_file="convoso-sms-opt-out.yaml",
    base_path="/v1",
    sources=("000_4120ae5ce1e52dc7.txt", "001_5cae901d395a1be8.txt"),
    # Wire name from the spec's security scheme (auth_token); it travels in every form body.
    credential_fields=(
        CredentialField("token", "#/components/securitySchemes/AuthToken", "OPTOUT_CONFORMANCE_TOKEN"),
    ),
    server_profiles=("community", "official"),
    check_modules=(f"{PACKAGE}.checks",),
    fault_modules=(f"{PACKAGE}.faults", f"{PACKAGE}.faults_data"),
    operations=(
        ("/sms-opt-out/search", "/sms-opt-out/search"),
        ("/sms-opt-out/insert", "/sms-opt-out/insert"),
        ("/sms-opt-out/update", "/sms-opt-out/update"),
    ),
    service=f"{PACKAGE}.reference:ConvosoService",
    probe_functions=f"{PACKAGE}.probes:PROBES",
    probe_labels={
        "convoso.search.limit-default": "limit default",
        "convoso.search.offset-max": "offset max",
        "convoso.search.paging-field-types": "paging field types",
        "convoso.record.insert_date-format": "insert_date format",
        "convoso.record.global-campaign_name": "global campaign_name",
        "convoso.search.purpose-blank-filters": "purpose -BLANK- filter",
        "convoso.error.6058-message": "6058 message",
    },
    serve_note="auth_token={config.token}",
    # The fault side (issue 11, item 1).
    open_points=f"{PACKAGE}.open_points",
    baseline_config=f"{PACKAGE}.faults:baseline_config",
    faithful_modules=(f"{PACKAGE}.faithful",),
    # Request rules and diff extractors (issue 11 item 2, requests).
    request_policy=f"{PACKAGE}.request_policy",
    diff_extractors=f"{PACKAGE}.diff",
    # Reply judgement (the reply dialect).
    dialect=f"{PACKAGE}.dialect",
)
