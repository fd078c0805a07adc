"""The values the rules hand to their consumers cannot be altered by any one of them.

One judgement core serves the checks, the property phase, the proxy, ``validate`` and ``diff``
(docs/architecture.md): a policy is a module-level constant shared by all of them, and a reading,
a judgement or a finding may be kept by one consumer while another reports it. A value one
consumer could change in place would change the verdict another one shows, so every such value
refuses assignment.
"""

from __future__ import annotations

import dataclasses

import pytest

from optout_conformance.apis.avaamo import checks as avaamo_checks
from optout_conformance.checks import odd_requests, request_rules, requests, response

SHARED_VALUES = [
    request_rules.RequestError,
    request_rules.Request,
    request_rules.Finding,
    request_rules.Policy,
    request_rules.Judgement,
    requests.SentRequest,
    response.Reply,
    response.Violation,
    response.Rejection,
    odd_requests.OddRequest,
    avaamo_checks.Page,
]


@pytest.mark.parametrize("value_type", SHARED_VALUES, ids=lambda t: f"{t.__module__}.{t.__name__}")
def test_a_value_handed_to_consumers_refuses_assignment_to_any_field(value_type: type) -> None:
    value: object = object.__new__(value_type)
    for field in dataclasses.fields(value_type):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field.name, None)

