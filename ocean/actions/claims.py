"""Claiming an installation's runs from the catalog, as the execution manager polls
(:mod:`ocean.actions.manager`).

Each poll claims action runs (``claim_runs``) and, from Port, workflow node runs
(``claim_node_runs``), the first kind alternating from poll to poll as the original's. A
failed claim of node runs (a Port without workflows) is logged once, until one succeeds,
and leaves the action runs running. Only a refusal of the credential is raised, as
retrying cannot help once it lasts (the manager stops after a few in a row): a claim the catalog refuses (403: the credential may not take these
runs) as :class:`~ocean.errors.ForbiddenError`, a token request it refuses (401: the client
id and secret are not accepted; 403: they may not sign in) as
:class:`~ocean.actions.catalog.CredentialRefusedError`, each saying what to check. A poll
that fails otherwise is made again, later each time (:func:`poll_backoff`).
"""

from __future__ import annotations

import logging
from typing import Any

from ocean.actions.catalog import ActionsCatalog, CredentialRefusedError
from ocean.actions.run import ACTION, WORKFLOW_NODE
from ocean.errors import ActionError, ForbiddenError
from ocean.extract.trace import describe_error

_log = logging.getLogger(__name__)
MAX_POLL_BACKOFF_SECONDS = 60.0
"""The longest wait between polls that fail in a row (the poll interval, if longer)."""


class Claims:
    """The runs of ``installation`` claimed from ``catalog``, each claim holding them for
    ``visibility_seconds``."""

    def __init__(self, catalog: ActionsCatalog, installation: str, visibility_seconds: float):
        self.catalog, self.installation = catalog, installation
        self.visibility_seconds = visibility_seconds
        self._nodes_first = False
        """Which kind of run the next poll claims first (they alternate)."""
        self._node_failure: str | None = None
        """How the last workflow claim failed (said once until one succeeds)."""

    def next_order(self) -> tuple[str, str]:
        """The kinds of run the next poll claims, first the one the last poll claimed last."""
        order = (WORKFLOW_NODE, ACTION) if self._nodes_first else (ACTION, WORKFLOW_NODE)
        self._nodes_first = not self._nodes_first
        return order

    async def claim(self, kind: str, room: int, saturated: list[str]) -> list[dict[str, Any]]:
        """At most ``room`` runs of ``kind``, none of the actions (node uids) ``saturated``."""
        if kind == WORKFLOW_NODE:
            return await self._nodes(room, saturated)
        return await self._actions(room, saturated)

    async def _actions(self, room: int, saturated: list[str]) -> list[dict[str, Any]]:
        try:
            return await self.catalog.claim_runs(
                self.installation, room, self.visibility_seconds, saturated
            )
        except CredentialRefusedError as error:
            raise CredentialRefusedError(
                refused_token(self.installation, error), error.status
            ) from error
        except ActionError as error:
            if error.status != 403:
                raise
            raise ForbiddenError(
                f"the catalog refused to hand out the action runs of {self.installation!r} "
                f"(403), so this integration runs none: {error}. Give Ocean a credential "
                "that may (OCEAN__PORT__CLIENT_ID/_SECRET: one of this integration, `ocean "
                f"catalog credentials create NAME --role integration --integration "
                f"{self.installation}`, or an admin one) and restart it"
            ) from error

    async def _nodes(self, room: int, saturated: list[str]) -> list[dict[str, Any]]:
        """Workflow node runs; a failed claim (other than a refused token) is none, said
        once until a claim succeeds again, as action runs must go on without them."""
        try:
            bodies = await self.catalog.claim_node_runs(
                self.installation, room, self.visibility_seconds, saturated
            )
        except CredentialRefusedError as error:
            raise CredentialRefusedError(
                refused_token(self.installation, error), error.status
            ) from error
        except Exception as error:
            failure = describe_error(error)
            level = logging.DEBUG if failure == self._node_failure else logging.WARNING
            self._node_failure = failure
            _log.log(
                level,
                "actions: claiming the workflow node runs of %s failed (%s); action runs go "
                "on, and the claim is tried again every poll", self.installation, failure,
            )  # fmt: skip
            return []
        self._node_failure = None
        return bodies


def refused_token(installation: str, error: CredentialRefusedError) -> str:
    """What to say when the catalog refused the credential a token (``error``)."""
    if error.status == 401:
        what = (
            "the catalog did not accept Ocean's client id and secret when it asked for a "
            "token (POST /auth/access_token answered 401)"
        )
        check = (
            "that they are typed right and that the credential was not revoked, nor its "
            "secret rotated, since Ocean started"
        )
    else:
        what = (
            "the catalog refused Ocean a token for its client id and secret (POST "
            "/auth/access_token answered 403: signing in with them is forbidden)"
        )
        check = (
            "that the credential is still enabled and its permissions allow it to use this "
            "API (in Port: the organization's credentials from Port's UI), and that no proxy "
            "in front of the API refuses it"
        )
    return (
        f"{what}, so Ocean cannot claim the action runs of {installation!r} and runs none. "
        f"Check the credential in OCEAN__PORT__CLIENT_ID and OCEAN__PORT__CLIENT_SECRET: "
        f"{check}; then restart Ocean. The catalog's answer: {error}"
    )


def poll_backoff(interval: float, failures: int) -> float:
    """The wait after ``failures`` failed polls in a row: the poll ``interval``, doubled
    after each, at most ``MAX_POLL_BACKOFF_SECONDS`` (or the interval, if longer)."""
    cap = max(interval, MAX_POLL_BACKOFF_SECONDS)
    return float(min(interval * 2 ** min(max(failures, 1) - 1, 30), cap))
