"""Credential scrubbing of recorded traffic and of anything printed about a cassette."""

from __future__ import annotations

from vcr.request import Request

from optout_conformance.cassettes.scrub import PLACEHOLDER, Scrubber, credential_values
from optout_conformance.core.redact import redact

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


def test_redact_labels_each_secret_as_a_whole_token_in_any_form() -> None:
    import base64

    labels = {"s3cr3t-token": "${TOKEN}"}
    basic = base64.b64encode(b"user:s3cr3t-token").decode()
    text = f'token s3cr3t-token, url s3cr3t%2Dtoken, json "s3cr3t-token", word xs3cr3t-tokenx, basic {basic}'
    redacted = redact(text, labels)
    assert redacted.startswith("token ${TOKEN}, url ${TOKEN}, json \"${TOKEN}\", word xs3cr3t-tokenx")
    assert basic not in redacted


def test_a_gzip_reply_under_any_spelling_is_decoded_then_scrubbed() -> None:
    import gzip

    for spelling in ("GZIP", "gzip, identity", "x-gzip", "Gzip"):
        response = {"status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Encoding": [spelling], "Content-Length": ["99"]},
                    "body": {"string": gzip.compress(b'{"echo": {"auth_token": "tok-1234567"}}')}}
        scrubbed = Scrubber(["tok-1234567"]).before_record_response(response)
        assert scrubbed["body"]["string"] == b'{"echo": {"auth_token": "REDACTED"}}'
        assert "Content-Encoding" not in scrubbed["headers"]
        assert scrubbed["headers"]["Content-Length"] == [str(len(scrubbed["body"]["string"]))]


def test_an_undecodable_compressed_reply_is_not_kept() -> None:
    response = {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Encoding": ["gzip"]},
                "body": {"string": b"\x1f\x8b\x08\x00truncated"}}
    scrubbed = Scrubber(["tok-1234567"]).before_record_response(response)
    assert scrubbed["body"]["string"].startswith(b"REDACTED (undecodable gzip body")


def test_credentials_are_found_in_nested_json_multipart_cookies_and_authorization() -> None:
    import base64

    multipart = (b'--b0\r\nContent-Disposition: form-data; name="auth_token"\r\n\r\nmp-secret-1\r\n'
                 b'--b0\r\nContent-Disposition: form-data; name="limit"\r\n\r\n5\r\n--b0--\r\n')
    assert "mp-secret-1" in credential_values(
        "http://h/v1/x", {"content-type": "multipart/form-data; boundary=b0"}, multipart)
    assert credential_values("http://h/v1/x", {}, b'{"a": [{"b": {"auth_token": "deep-secret"}}]}') == {
        "deep-secret"}
    assert credential_values("http://h/api/v2/x?access-token=query-secret", {}, None) == {"query-secret"}
    assert "bearer-secret" in credential_values("http://h/x", {"Authorization": "Bearer bearer-secret"}, None)
    basic = base64.b64encode(b"user:basic-secret").decode()
    assert "basic-secret" in credential_values("http://h/x", {"Authorization": f"Basic {basic}"}, None)
    assert "cookie-secret" in credential_values("http://h/x", {"Cookie": "sid=cookie-secret; a=b"}, None)
    assert "set-secret" in credential_values("http://h/x", {}, None, {"Set-Cookie": ["s=set-secret; Path=/"]})


VARIABLES = {"tok/en+9": "$OPTOUT_CONFORMANCE_TOKEN", "pass": "$OPTOUT_CONFORMANCE_PASSWORD"}


def test_an_exchange_redacts_whole_credentials_in_every_encoded_form_and_leaves_other_words_alone() -> None:
    from optout_conformance.core.interaction import Exchange

    exchange = Exchange("POST", "http://127.0.0.1:9/v1/x",
                        secrets=VARIABLES)
    text = 'raw tok/en+9 percent tok%2Fen%2B9 json "tok\\/en+9" words passage bypass password pass'
    assert exchange.redact(text) == (
        "raw $OPTOUT_CONFORMANCE_TOKEN percent $OPTOUT_CONFORMANCE_TOKEN json "
        '"$OPTOUT_CONFORMANCE_TOKEN" words passage bypass password $OPTOUT_CONFORMANCE_PASSWORD')


def test_a_curl_reproduction_names_whole_credentials_by_variable_and_keeps_words_containing_them() -> None:
    from optout_conformance.core.interaction import Exchange

    exchange = Exchange("POST", "http://127.0.0.1:9/v1/sms-opt-out/insert",
                        data={"auth_token": "tok/en+9", "reason": "passage"},
                        headers={"access-token": "pass"},
                        secrets=VARIABLES)
    assert exchange.curl() == (
        'curl -sS -X POST -H "access-token: ${OPTOUT_CONFORMANCE_PASSWORD}" '
        '--data-urlencode "auth_token=${OPTOUT_CONFORMANCE_TOKEN}" --data-urlencode reason=passage '
        "http://127.0.0.1:9/v1/sms-opt-out/insert")
