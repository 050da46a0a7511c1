"""Tests of what only the PostgreSQL catalog does: an owner and a blueprint relating to itself."""

from ocean.store.base import Owner

OWNER = Owner("github", "gh-1", "1.0.0")
BLUEPRINT = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {}},
    "relations": {"uses": {"target": "svc", "many": True}},
}
