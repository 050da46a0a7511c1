"""Data sent out of the process is masked where a text looks like a credential, by its
shape or by the key it is under."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.monitor.secret_shapes import mask_secrets

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
M = "[REDACTED]"


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        pytest.param("AKIAABCDEFGHIJKLMNOP", M, id="aws"),
        pytest.param("key AIza" + "x" * 35 + " here", f"key {M} here", id="google"),
        pytest.param("ghp_" + "a1" * 18, M, id="github"),
        pytest.param("glpat-" + "b" * 20, M, id="gitlab"),
        pytest.param("xoxb-1234567890-abc", M, id="slack"),
        pytest.param("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.sig_nature", M, id="jwt"),
        pytest.param("postgres://app:pa55@db:5432/x", f"postgres://{M}@db:5432/x", id="url-password"),
        pytest.param("postgres://app:p@ss@db/x", f"postgres://{M}@db/x", id="url-password-with-@"),
        pytest.param("redis://:s3cretpass@cache:6379/0", f"redis://{M}@cache:6379/0", id="url-no-user"),
        pytest.param("https://x/y?token=abc123&page=2", f"https://x/y?token={M}&page=2", id="query-token"),
        pytest.param("Authorization: Bearer abc.def-123456789_xyz", f"Authorization: Bearer {M}", id="bearer"),
        pytest.param("Basic setup of the billing service", "Basic setup of the billing service", id="basic-prose"),
        pytest.param(f"before {PEM} after", f"before {M} after", id="pem"),
        pytest.param("https://github.com/port-labs/ocean?page=2", "https://github.com/port-labs/ocean?page=2", id="url"),
        pytest.param("a plain description", "a plain description", id="text"),
    ],
)  # fmt: skip
def test_a_text_shaped_like_a_credential_is_masked(given: str, sent: str) -> None:
    assert mask_secrets({"description": given}) == {"description": sent}


@pytest.mark.parametrize(
    "key",
    ["password", "client_secret", "apiKey", "api-key", "Authorization", "accessToken",
     "privateKey", "credentials", "passwd", "auth", "webhookSecret", "secretKey",
     "SecretString", "secretValue", "tokenValue", "apiKeyValue", "clientSecretValue",
     "credentials_json"],
)  # fmt: skip
def test_a_text_under_a_key_naming_a_credential_is_masked(key: str) -> None:
    assert mask_secrets([{key: "anything", "name": "kept"}]) == [{key: M, "name": "kept"}]


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        pytest.param({"apiKeys": ["k-1", "k-2"]}, {"apiKeys": [M, M]}, id="a-list"),
        pytest.param({"token": {"value": "v", "expires": 3}}, {"token": {"value": M, "expires": 3}}, id="a-dict"),
        pytest.param({"secrets": {"db": "hunter2"}}, {"secrets": {"db": M}}, id="secrets"),
        pytest.param({"holders": {"ghp_" + "a1" * 18: "ada"}}, {"holders": {M: "ada"}}, id="a-key"),
        pytest.param({"password": 12345678}, {"password": M}, id="a-number-password"),
        pytest.param(
            {"env": [{"name": "DB_PASSWORD", "value": "pw"}, {"name": "REGION", "value": "eu"}]},
            {"env": [{"name": "DB_PASSWORD", "value": M}, {"name": "REGION", "value": "eu"}]},
            id="name-value-pairs",
        ),
        pytest.param(
            {"kind": "Secret", "data": {"tls.key": "LS0t"}, "metadata": {"name": "tls"}},
            {"kind": "Secret", "data": {"tls.key": M}, "metadata": {"name": "tls"}},
            id="kubernetes-secret",
        ),
    ],
)  # fmt: skip
def test_everything_under_a_credential_is_masked(given: Any, sent: Any) -> None:
    assert mask_secrets(given) == sent


@pytest.mark.parametrize(
    "value",
    [
        {"secret_scanning": {"status": "enabled"}},
        {"input_tokens": 3},
        {"token_type": "bearer"},
        {"private_key_id": "k1"},
        {"password": ""},
        {"author": "ada"},
        {"passing": "yes"},
        {"kind": "ConfigMap", "data": {"region": "eu"}},
    ],
)  # fmt: skip
def test_what_only_looks_like_a_credentials_key_is_kept(value: dict[str, Any]) -> None:
    assert mask_secrets(value) == value


def test_the_given_value_is_left_as_it_was() -> None:
    given = {"nested": [{"token": "abc"}]}

    mask_secrets(given)

    assert given == {"nested": [{"token": "abc"}]}
