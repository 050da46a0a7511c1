"""Opening the live-event queue a URL names: one Ocean cannot open is refused without its
password."""

from __future__ import annotations

import pytest

from ocean.errors import ConfigError
from ocean.live.open import open_queue


async def test_a_queue_url_that_cannot_be_opened_is_named_without_its_password() -> None:
    with pytest.raises(ConfigError) as raised:
        await open_queue("redis+sentinel://:S3cret-pw@sentinel:26379/0", "my-integration")

    assert "S3cret-pw" not in str(raised.value)
    assert "redis+sentinel://:***@sentinel:26379/0" in str(raised.value)
