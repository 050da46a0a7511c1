"""Data sent out of the process is masked where a text looks like a credential, by its
shape or by the key it is under."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.monitor.secret_shapes import mask_secrets

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("AKIAABCDEFGHIJKLMNOP", "[REDACTED]"),
        ("key AIza" + "x" * 35 + " here", "key [REDACTED] here"),
        ("ghp_" + "a1" * 18, "[REDACTED]"),
        ("glpat-" + "b" * 20, "[REDACTED]"),
        ("xoxb-1234567890-abc", "[REDACTED]"),
        ("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig_nature", "[REDACTED]"),
        ("postgres://app:pa55@db:5432/x", "postgres://[REDACTED]@db:5432/x"),
        (f"before {PEM} after", "before [REDACTED] after"),
        ("https://github.com/port-labs/ocean", "https://github.com/port-labs/ocean"),
        ("a plain description", "a plain description"),
    ],
    ids=[
        "aws",
        "google",
        "github",
        "gitlab",
        "slack",
        "jwt",
        "url-password",
        "pem",
        "url",
        "text",
    ],  # fmt: skip
)
def test_a_text_shaped_like_a_credential_is_masked(given: str, sent: str) -> None:
    assert mask_secrets({"value": given}) == {"value": sent}


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "client_secret",
        "apiKey",
        "api-key",
        "Authorization",
        "accessToken",
        "privateKey",
        "credentials",
        "passwd",
        "auth",
    ],  # fmt: skip
)
def test_a_text_under_a_key_naming_a_credential_is_masked(key: str) -> None:
    assert mask_secrets([{key: "anything", "name": "kept"}]) == [
        {key: "[REDACTED]", "name": "kept"}
    ]


@pytest.mark.parametrize(
    "value",
    [
        {"secret_scanning": {"status": "enabled"}},
        {"tokens": 3},
        {"password": ""},
        {"author": "ada"},
        {"passing": "yes"},
    ],  # fmt: skip
)
def test_other_values_under_such_keys_are_kept(value: dict[str, Any]) -> None:
    assert mask_secrets(value) == value


def test_the_given_value_is_left_as_it_was() -> None:
    given = {"nested": [{"token": "abc"}]}

    mask_secrets(given)

    assert given == {"nested": [{"token": "abc"}]}
