"""Opening the catalog a URL names: a URL Ocean cannot open is refused without its password."""

from __future__ import annotations

import pytest

from ocean.errors import OceanError
from ocean.store.open import open_store


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("postgress://ocean:S3cret-pw@db:5432/ocean", id="misspelt-scheme"),
        pytest.param("mysql://ocean:S3cret-pw@db/ocean?password=S3cret-pw", id="other-backend"),
        pytest.param("https://ocean:S3cret-pw@catalog.example.com", id="port-api-without-ids"),
    ],
)
async def test_a_catalog_url_that_cannot_be_opened_is_named_without_its_password(
    url: str,
) -> None:
    with pytest.raises(OceanError) as raised:
        await open_store(url)

    assert "S3cret-pw" not in str(raised.value)
    assert "ocean:***@" in str(raised.value)
