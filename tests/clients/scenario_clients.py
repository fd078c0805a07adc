"""Small Convoso clients written the way the public SDKs and the documents' examples behave.

Each is plain httpx against a base URL (``http://127.0.0.1:PORT/v1``), so the scenario tests can
point it at the proxy. None of them knows about the suite: what they get wrong, they get wrong
the way the SDK patterns do.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

TIMEOUT = 10.0


def search_all(base: str, token: str, *, page_size: int = 100, **filters: str) -> list[dict[str, Any]]:
    """The convoso-js ``searchAll`` pattern (seeds README public facts): POST search pages of
    ``page_size`` (default 100) from offset 0, stopping at the first page shorter than the page size."""
    records: list[dict[str, Any]] = []
    offset = 0
    with httpx.Client(timeout=TIMEOUT) as client:
        while True:
            reply = client.post(f"{base}/sms-opt-out/search",
                                data={"auth_token": token, **filters, "limit": str(page_size),
                                      "offset": str(offset)})
            page = reply.json()["records"]
            records += page
            if len(page) < page_size:
                return records
            offset += page_size


def get_with_everything_in_the_url(base: str, operation: str, params: dict[str, str]) -> httpx.Response:
    """The SDK fault: every call sent as GET, auth_token and every parameter in the URL, a JSON
    content type declared and no body sent."""
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.get(f"{base}/sms-opt-out/{operation}", params=params,
                          headers={"Content-Type": "application/json"})


def search_page(base: str, token: str, page_size: int) -> httpx.Response:
    """One search page of ``page_size`` records (an SDK default of 2000 is above 1000)."""
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.post(f"{base}/sms-opt-out/search",
                           data={"auth_token": token, "limit": str(page_size), "offset": "0"})


def insert(base: str, token: str, **fields: str) -> httpx.Response:
    """One insert, the fields as given (an SDK that never sends a purpose)."""
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.post(f"{base}/sms-opt-out/insert", data={"auth_token": token, **fields})


def batch_import(base: str, token: str, csv_text: str) -> list[str]:
    """000's "Batch SMS Opt-Out Import (Python)", with httpx for requests: one insert per CSV row,
    ``campaign_id`` defaulting to '0', ``reason`` to 'Batch Import', ``purpose`` to ''; the lines it
    prints are returned."""
    printed: list[str] = []
    with httpx.Client(timeout=TIMEOUT) as client:
        for optout in csv.DictReader(io.StringIO(csv_text)):
            response = client.post(
                f"{base}/sms-opt-out/insert",
                data={
                    "auth_token": token,
                    "phone_number": optout["phone"],
                    "phone_code": optout["code"],
                    "campaign_id": optout.get("campaign_id", "0"),
                    "reason": optout.get("reason", "Batch Import"),
                    "purpose": optout.get("purpose", ""),
                },
            )
            if response.json()["success"]:
                printed.append(f"Opted out: {optout['phone']}")
            else:
                printed.append(f"Failed: {optout['phone']}")
    return printed


def search_in_the_query_string(base: str, token: str, *, form: dict[str, str] | None = None,
                               **filters: str) -> httpx.Response:
    """A POST search with its filters in the URL's query string and auth_token in the form body (as
    a client reading 001's "Query Parameters" heading may send it)."""
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.post(f"{base}/sms-opt-out/search", params=filters,
                           data={"auth_token": token, **(form or {})})


def search_with_a_json_body(base: str, token: str, **filters: str) -> httpx.Response:
    """A POST search with auth_token in the query string and its filters in a JSON body."""
    with httpx.Client(timeout=TIMEOUT) as client:
        return client.post(f"{base}/sms-opt-out/search", params={"auth_token": token}, json=filters)
