"""A fourth API, plugged in through the entry point ``optout_conformance.apis: fourth``."""

from __future__ import annotations

from pathlib import Path

from optout_conformance.core.definition import ApiInfo, CredentialField

HERE = Path(__file__).resolve().parent

DEFINITION = ApiInfo(
    name="fourth",
    title="Fourth Opt-Out Status",
    spec_file="fourth-status.yaml",
    base_path="/fourth",
    sources=("fourth_status.txt",),
    spec_dir=HERE / "openapi",
    sources_dir=HERE / "sources",
    # api_key, a query parameter, as its spec's security scheme says.
    credential_fields=(
        CredentialField("token", "#/components/securitySchemes/ApiKey", "OPTOUT_CONFORMANCE_TOKEN"),
    ),
    check_modules=(f"{__name__}.checks",),
    fault_modules=(f"{__name__}.faults",),
    operations=(("/status.json", "/status.json"),),
    service=f"{__name__}.reference:FourthService",
    serve_note="api_key={config.token}",
)
