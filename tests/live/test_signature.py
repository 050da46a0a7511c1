"""HMAC webhook signatures."""

from __future__ import annotations

import pytest

from ocean.live.signature import sign, verify

BODY = b'{"action": "opened"}'


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        pytest.param(sign("s3cret", BODY), True, id="right"),
        pytest.param(sign("other", BODY), False, id="wrong-secret"),
        pytest.param(sign("s3cret", BODY + b" "), False, id="changed-body"),
        pytest.param("sha1=abc", False, id="wrong-scheme"),
        pytest.param(None, False, id="missing"),
    ],
)
def test_verify(header: str | None, valid: bool) -> None:
    assert verify("s3cret", BODY, header) is valid


def test_signature_matches_githubs_documented_example() -> None:
    # https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert verify("It's a Secret to Everybody", b"Hello, World!", header)
