"""The actions catalog over an opened store (:func:`actions_of`): the same database, or
the same Port API."""

from __future__ import annotations

from ocean.actions.catalog import ActionsCatalog
from ocean.errors import ActionError
from ocean.store.base import Store


def actions_of(store: Store) -> ActionsCatalog:
    """The actions catalog over ``store`` (the same database, or the same Port API). Each
    kind's modules are imported only for its catalog (a Port API's import httpx: a tenth
    of a sail's start-up into SQLite)."""
    from ocean.store.sqlite.store import SQLiteStore

    if isinstance(store, SQLiteStore):
        from ocean.store.sqlite.actions import SQLiteActions

        return SQLiteActions(store)
    if type(store).__name__ == "PostgresStore":  # imported only with the postgres extra
        from ocean.store.postgres.actions import PostgresActions

        return PostgresActions(store)
    from ocean.store.port.store import PortAPIStore

    if isinstance(store, PortAPIStore):
        from ocean.store.port.actions import PortActions

        return PortActions(store)
    raise ActionError(
        f"the catalog {type(store).__name__} keeps no actions; use SQLite, PostgreSQL or a "
        "Port API (ocean catalog serve)"
    )
