"""``WebhookEvent`` as integrations' tests build and copy it: the original's argument order,
its ``created_at`` kept by ``clone`` and read by ``from_dict``."""

from __future__ import annotations

import datetime as dt

from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent

MADE = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def test_the_sixth_argument_is_created_at_as_in_the_original() -> None:
    event = WebhookEvent("t", {"a": 1}, {"h": "v"}, None, "group", MADE)

    assert (event.group_id, event.created_at) == ("group", MADE)


def test_a_clone_is_of_the_same_class_and_keeps_created_at() -> None:
    event = WebhookEvent(trace_id="t", payload={"a": 1}, headers={}, created_at=MADE)

    copy = event.clone()

    assert type(copy) is WebhookEvent
    assert (copy.trace_id, copy.payload, copy.created_at) == ("t", {"a": 1}, MADE)
    assert copy.payload is not event.payload


def test_from_dict_reads_created_at() -> None:
    data = {"trace_id": "t", "payload": {}, "headers": {}, "created_at": MADE.isoformat()}

    assert WebhookEvent.from_dict(data).created_at == MADE
