"""Credential scrubbing of recorded traffic and of anything printed about a cassette."""

from __future__ import annotations

from vcr.request import Request

from optout_conformance.cassettes.scrub import PLACEHOLDER, Scrubber, credential_values

SECRET = "s3cr3t tok+en/9"


def test_every_spelling_of_a_secret_is_replaced_in_text() -> None:
    scrubber = Scrubber([SECRET])
    text = f"raw {SECRET} form s3cr3t+tok%2Ben%2F9 url s3cr3t%20tok%2Ben%2F9"
    assert scrubber.text(text) == f"raw {PLACEHOLDER} form {PLACEHOLDER} url {PLACEHOLDER}"


def test_request_uri_body_and_headers_are_scrubbed_but_a_wrong_token_is_kept() -> None:
    scrubber = Scrubber(["tok-123", "pw-456"])
    request = Request("POST", "http://h/bin/api_web?r=acme&p=pw-456", b"auth_token=tok-123&x=1",
                      {"access-token": "tok-123"})
    scrubbed = scrubber.before_record_request(request)
    assert scrubbed.uri == f"http://h/bin/api_web?r=acme&p={PLACEHOLDER}"
    assert scrubbed.body == f"auth_token={PLACEHOLDER}&x=1".encode()
    assert scrubbed.headers["access-token"] == PLACEHOLDER
    wrong = scrubber.before_record_request(Request("POST", "http://h/v1/x", b"auth_token=invalid-token", {}))
    assert wrong.body == b"auth_token=invalid-token"


def test_response_body_and_headers_echoing_a_secret_are_scrubbed() -> None:
    scrubber = Scrubber(["tok-123"])
    response = {"status": {"code": 200, "message": "OK"}, "headers": {"x-echo": ["tok-123"]},
                "body": {"string": b'{"token": "tok-123"}'}}
    scrubbed = scrubber.before_record_response(response)
    assert scrubbed["body"]["string"] == b'{"token": "REDACTED"}'
    assert scrubbed["headers"]["x-echo"] == [PLACEHOLDER]


def test_no_secret_means_nothing_changes() -> None:
    assert not Scrubber([None, "", PLACEHOLDER])
    assert Scrubber([]).text("auth_token=abc") == "auth_token=abc"


def test_credential_values_are_found_in_query_form_json_and_headers() -> None:
    assert credential_values("http://h/bin/api_web?r=acme&pwd=pw1&c=x", {}, None) == {"pw1"}
    assert credential_values("http://h/v1/x", {}, b"auth_token=t1&limit=2") == {"t1"}
    assert credential_values("http://h/v1/x", {}, b'{"auth_token": "t2"}') == {"t2"}
    assert credential_values("http://h/api/v2/x", {"Access-Token": ["t3"]}, b"") == {"t3"}
    assert credential_values("http://h/v1/x", {}, b"auth_token=REDACTED") == set()
