"""WhatCounts Stop Sending SMS: ``api_web`` with ``smsstopsubscribersend`` (seed 002)."""

from __future__ import annotations

from optout_conformance.core.definition import ApiInfo, CredentialField

PACKAGE = __name__

DEFINITION = ApiInfo(
    name="whatcounts",
    title="WhatCounts Stop Sending SMS",
    spec_file="whatcounts-sms-stop.yaml",
    base_path="/bin",
    sources=("002_b0345f491e7a5826.txt",),
    # Wire names from the spec's security schemes and the operations' x-aliases (realm/r, pwd/p);
    # sender_code is a plain parameter. Each travels in the query string or a POST form body.
    # Only the password is secret (scrubbed from recordings, reports and curl lines): the realm
    # names the account and the sender code the sending number; recordings keep both so a replay
    # sends what the recording did (the settings table shows neither as a secret either).
    credential_fields=(
        CredentialField("realm", "#/components/securitySchemes/Realm", "OPTOUT_CONFORMANCE_REALM",
                        secret=False),
        CredentialField("password", "#/components/securitySchemes/Password", "OPTOUT_CONFORMANCE_PASSWORD"),
        CredentialField("sender_code", "#/components/parameters/SenderCode",
                        "OPTOUT_CONFORMANCE_SENDER_CODE", secret=False),
    ),
    check_modules=(f"{PACKAGE}.checks",),
    fault_modules=(f"{PACKAGE}.faults",),
    operations=(("/api_web", "/api_web"),),
    service=f"{PACKAGE}.reference:WhatCountsService",
    probe_functions=f"{PACKAGE}.probes:PROBES",
    probe_labels={
        "whatcounts.content-type": "reply content type",
        "whatcounts.failure-http-status": "FAILURE HTTP status",
    },
    serve_note="realm={config.realm} password={config.password} sender_code={sender_codes}",
    # The fault side (issue 11, item 1).
    open_points=f"{PACKAGE}.open_points",
    baseline_config=f"{PACKAGE}.faults:baseline_config",
    internal_error_text="FAILURE: Internal error",
    # Request rules and diff extractors (issue 11 item 2, requests).
    request_policy=f"{PACKAGE}.request_policy",
    diff_extractors=f"{PACKAGE}.diff",
    # Reply judgement (the reply dialect).
    dialect=f"{PACKAGE}.dialect",
)
