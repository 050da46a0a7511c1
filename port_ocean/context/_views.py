"""The parts of the original's objects ``ocean`` offers as plain views (``ocean.app``,
``ocean.config``'s parts): what integrations read of them; reading a part not provided says
it is not supported."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from port_ocean._result_cache import results as cached_results
from port_ocean._unsupported import UnsupportedAttributeError, message

_MODULE = "port_ocean.context.ocean"
"""Where integrations find these views (named in the unsupported-part message)."""


class View(SimpleNamespace):
    """Some of an object of the original's; reading a part not provided says so."""

    def __init__(self, path: str, **values: Any) -> None:
        super().__init__(**values)
        self._path = path

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise UnsupportedAttributeError(message(f"{self._path}.{name}", _MODULE))


class AppView(View):
    """``ocean.app``: what integrations read of the original's app object, and what their
    ``__init__`` sets on it (``webhook_manager``, ``execution_manager._webhook_manager``)."""

    def __init__(self, context: Any) -> None:
        super().__init__(
            "ocean.app",
            is_saas=lambda: False,
            load_external_oauth_access_token=lambda: None,
            cache_provider=cached_results.provider,
            execution_manager=View("ocean.app.execution_manager"),
        )
        self._context = context

    @property
    def base_url(self) -> str | None:
        return cast("str | None", self._context._base_url())

    @property
    def config(self) -> Any:
        return self._context._settings_view()

    @property
    def integration(self) -> View:
        processor = self._context._entity_processor()
        return View("ocean.app.integration", entity_processor=processor)

    @property
    def integration_router(self) -> Any:
        """The router of the integration's own routes (``ocean.router``)."""
        return self._context.router

    @property
    def fast_api_app(self) -> Any:
        """Where the integration adds HTTP middleware around its routes."""
        return self._context.fast_api_app()


class IntegrationView(View):
    """``ocean.config.integration``: its ``config`` is read when asked for (reading it
    before the integration is configured is an error; its identifier and type are not)."""

    def __init__(self, integration: Any, **values: Any) -> None:
        super().__init__("ocean.config.integration", **values)
        self._integration = integration

    @property
    def config(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self._integration.configured())


def tls_checked() -> View:
    """The original's TLS settings of one side, as Ocean always has them: certificates
    checked, strictly."""
    return View("ocean.config.ssl", verify=True, x509=View("ocean.config.ssl", strict=True))
