"""``from port_ocean.context.ocean import ocean``: the integration object authors decorate."""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from ocean.configuration import being_imported
from ocean.errors import ConfigError
from ocean.integration import FieldResolver, Integration
from ocean.mapping import PortAppConfig, ResourceConfig
from port_ocean._loguru import route_loguru
from port_ocean._result_cache import results as cached_results
from port_ocean._stop_callbacks import SignalHandler
from port_ocean._unsupported import UnsupportedAttributeError, message, missing
from port_ocean.clients.port.client import PortClient
from port_ocean.context import event as event_module
from port_ocean.context._entity_writes import EntityWrites
from port_ocean.context._folder import import_file, registered_by
from port_ocean.context._metrics import HasMetrics
from port_ocean.context._views import AppView, IntegrationView, View, tls_checked
from port_ocean.context.event import EventType
from port_ocean.exceptions.context import PortOceanContextAlreadyInitializedError

if TYPE_CHECKING:
    from starlette.routing import BaseRoute


_log = logging.getLogger(__name__)


class PortOceanContext(EntityWrites, HasMetrics, Integration):
    """Ocean's :class:`~ocean.Integration` with the original's ``ocean`` surface."""

    def __init__(self, app: Any = None) -> None:
        super().__init__()
        self._router: Any = None
        self._fast_api_app: Any = None
        """``ocean.app.fast_api_app``: where the integration adds its HTTP middleware."""
        self._app_view: AppView | None = None
        self._own_routes: list[Any] = []
        """Routes a live-event manager of the integration's own added to the router."""
        self.integration_class: type | None = None
        self.stop_callbacks = SignalHandler()
        """``port_ocean.utils.signal.signal_handler``: run by an ``on_stop`` hook."""
        self.stop_hooks.append(self.stop_callbacks.exit)
        self._app: Any = app
        """The app this context was made with (the original's ``PortOceanContext(app)``)."""

    @property
    def _given_app(self) -> Any:
        """What an integration's own unit tests hand :func:`initialize_port_ocean_context`
        (a mock app, usually): ``config``, ``app`` and the configuration are read from it.
        ``ocean``'s is the current context's (``_port_ocean``), as the original's ``ocean``
        is a proxy of that: a test that replaces it resets what ``ocean`` reads."""
        return _current(self)._app

    @_given_app.setter
    def _given_app(self, app: Any) -> None:
        _current(self)._app = app

    @property
    def integration_config(self) -> dict[str, Any]:
        """``app.config.integration.config``, as in the original (tests replace ``app``)."""
        return cast(dict[str, Any], self.app.config.integration.config)

    def configured(self) -> dict[str, Any]:
        """The configuration the runner gave the integration (Ocean's core)."""
        return super().integration_config

    @property
    def config(self) -> Any:
        """The parts of the original's settings integrations read (``app.config``)."""
        return self.app.config

    def _settings_view(self) -> Any:
        settings, listener = self.settings, self.event_listener_type
        webhooks = listener not in ("ONCE", "ACTIONS_ONLY")
        return View(
            "ocean.config",
            integration=IntegrationView(
                self,
                identifier=settings.integration.identifier,
                type=settings.integration.type,
            ),
            event_listener=View(
                "ocean.config.event_listener",
                type=listener,
                should_resync=listener not in ("WEBHOOKS_ONLY", "ACTIONS_ONLY"),
                should_process_webhooks=webhooks,
                should_create_webhooks_if_enabled=webhooks,
            ),
            base_url=self._base_url(),
            client_timeout=settings.client_timeout,
            ssl=View("ocean.config.ssl", port=tls_checked(), third_party=tls_checked()),
            oauth_access_token_file_path=None,
            disable_ip_outbound_blocker=True,
            events_debug_logging=False,
            streaming=View("ocean.config.streaming", enabled=False),
            # What integrations pass to a live-event manager of their own. One worker, so
            # that GitHub keeps its plain manager: Ocean's engine applies events with its
            # own OCEAN__EVENT_WORKERS_COUNT workers, in order per key, whatever it says.
            event_workers_count=1,
            max_event_processing_seconds=settings.max_event_processing_seconds,
            max_wait_seconds_before_shutdown=settings.max_wait_seconds_before_shutdown,
            allow_environment_variables_jq_access=settings.allow_environment_variables_jq_access,
        )

    @property
    def router(self) -> Any:
        """A FastAPI ``APIRouter`` whose routes the integration's server serves under
        ``/integration``, as the original's (FastAPI is imported on first use)."""
        if self._router is None:
            from fastapi import APIRouter

            self._router = APIRouter()
        return self._router

    def fast_api_app(self) -> Any:
        """The original's ``ocean.app.fast_api_app``, as far as integrations use it: the
        HTTP middleware they add (``@ocean.app.fast_api_app.middleware(...)``) wraps the
        router's routes (FastAPI is imported on first use)."""
        if self._fast_api_app is None:
            from fastapi import FastAPI

            self._fast_api_app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        return self._fast_api_app

    def http_routes(self) -> Sequence[BaseRoute]:
        """The router's routes, each answered by a FastAPI app that holds the router and
        the integration's middleware."""
        if self._router is None or not self._router.routes:
            return ()
        from fastapi import FastAPI
        from starlette.routing import Route

        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        middleware = self._fast_api_app.user_middleware if self._fast_api_app else []
        app.user_middleware = list(middleware)
        app.include_router(self._router, prefix="/integration")
        # the middleware sees every method of a route's path, as around the original's app
        # (a cloud event's validation request is an OPTIONS)
        extra = {"OPTIONS"} if middleware else set()
        served = _InRequestEvent(app, self)
        return [
            Route(f"/integration{route.path}", served, methods=sorted(route.methods | extra))
            for route in self._router.routes
        ]

    @property
    def event_listener_type(self) -> str:
        """How resyncs are triggered: ``ONCE``, ``POLLING``, ``WEBHOOK``, ``KAFKA``, ..."""
        return self.settings.event_listener.type.upper()

    @property
    def app(self) -> Any:
        """The parts of the original's app object integrations read: ``base_url`` (this
        integration's public URL: ``OCEAN__BASE_URL``, else the legacy ``app_host``)."""
        if self._given_app is not None:
            return self._given_app
        if self._app_view is None:  # one object: an integration's __init__ sets parts of it
            self._app_view = AppView(self)
        return self._app_view

    def _entity_processor(self) -> Any:
        """The integration's entity processor (evaluates JQ, and its own values)."""
        from port_ocean.core.handlers.entity_processor.jq_entity_processor import (
            JQEntityProcessor,
        )

        processor = getattr(self.integration_class, "EntityProcessorClass", JQEntityProcessor)
        return processor(self)

    def _base_url(self) -> str | None:
        config = self.configured() if self.initialized else {}
        legacy = config.get("app_host") or self.settings.event_listener.app_host
        return self.settings.base_url or legacy

    @property
    def initialized(self) -> bool:
        """Whether the runner has configured the integration (from main.py's import on)."""
        given = self._given_app is not None
        return given or self._config is not None or being_imported() is not None

    def attach(self, writes: Any) -> None:
        super().attach(writes)
        self._port_client = PortClient(
            writes.store,
            writes.owner,
            writes.mapping,
            feature_flags=self.settings.catalog.feature_flags,
        )

    @property
    def port_client(self) -> Any:
        """The calls integrations make of the catalog (``search_entities``,
        ``upsert_entity``, ``get_current_integration``, ...), once started;
        the given app's (``initialize_port_ocean_context``) in integrations' tests."""
        if self._given_app is not None:
            return self._given_app.port_client
        client: PortClient | None = getattr(self, "_port_client", None)
        if client is None:
            raise ConfigError(
                "ocean.port_client was used before the integration started; use it inside "
                "a handler, a hook or a webhook processor"
            )
        return client

    def field_resolver(self) -> FieldResolver | None:
        """The ``file://``-style values of the integration's own ``EntityProcessorClass``
        (GitLab's, GitHub's), if ``integration.py`` names one."""
        if self.integration_class is None:
            return None
        from port_ocean.core.handlers.entity_processor.jq_entity_processor import fields_of

        return fields_of(self.integration_class, self)

    @property
    def integration(self) -> Any:
        """The original's ``ocean.integration``: the given app's in integrations' tests,
        else registrations by function (``on_resync(function, kind)``, ``on_start(function)``),
        which tests replace to import main.py without registering."""
        if self._given_app is not None:
            return self._given_app.integration
        return View(
            "ocean.integration",
            on_resync=lambda function, kind=None: self.on_resync(kind)(function),
            on_incremental_resync=lambda function, kind=None: self.on_incremental_resync(kind)(
                function
            ),
            on_start=lambda function: self.on_start()(function),
            port_app_config_handler=View(
                "ocean.integration.port_app_config_handler",
                get_port_app_config=self._port_app_config,
            ),
        )

    async def _port_app_config(self, use_cache: bool = True) -> Any:
        """The original's ``get_port_app_config``: the mapping this run started with, as
        the integration's own model (the original reads it from Port; a mapping changed
        since is read by the next run). Set as the current event's ``port_app_config``, as
        the original's handler sets it (an action run reads it so)."""
        mapping = self.running_mapping().for_integration
        current = event_module.current_event()
        if isinstance(current, event_module.EventContext):
            current.port_app_config = mapping
        return mapping

    def register_action_executor(self, executor: Any) -> None:
        """As Ocean's (run by its execution manager), but a second executor for an action is
        the original's ``DuplicateActionExecutorError``."""
        from port_ocean.exceptions.execution_manager import DuplicateActionExecutorError

        try:
            super().register_action_executor(executor)
        except ConfigError as error:  # another executor class for the same action
            if getattr(executor, "ACTION_NAME", None) not in self.executors:
                raise
            raise DuplicateActionExecutorError(
                f"Executor for action '{executor.ACTION_NAME}' is already registered"
            ) from error

    @property
    def action_executors(self) -> list[Any]:
        """The registered executors."""
        return list(self.executors.values())

    async def sync_raw_all(self, *_args: Any, **_kwargs: Any) -> None:
        """Ask for a full resync. The original runs it before returning; Ocean records the
        request and the POLLING or WEBHOOK listener starts it at its next check (newest
        request wins). Other listeners never resync on request: it says so and does nothing."""
        listener = self.event_listener_type
        if listener not in ("POLLING", "WEBHOOK"):
            _log.warning(
                "ocean.sync_raw_all() does nothing under the %s listener, which never resyncs "
                "on request; use POLLING or WEBHOOK (OCEAN__EVENT_LISTENER__TYPE)",
                listener,
            )
            return
        await self.request_resync()

    def add_webhook_processor(self, path: str, processor: Any) -> None:
        """As Ocean's, but a class of the wrong kind is a ``ValueError``, as in the original."""
        try:
            super().add_webhook_processor(path, processor)
        except ConfigError as error:
            raise ValueError(str(error)) from None

    def configure_folder(self, folder: Path, main: ModuleType) -> None:
        """Keep only what this folder registered, this import of its main.py included
        (``ocean`` is one object per process, as in the original), and use the mapping
        model of a ``BaseIntegration`` subclass in ``integration.py``."""
        route_loguru()
        self.prune(lambda function: registered_by(function, folder, main))
        self.stop_hooks.append(self.stop_callbacks.exit)  # pruned with the rest
        if self._router is not None:  # a live-event manager's own routes are made again below
            self._router.routes[:] = [
                r
                for r in self._router.routes
                if registered_by(r.endpoint, folder, main) and r not in self._own_routes
            ]
        if self._fast_api_app is not None:  # as the routes: this import's middleware only
            self._fast_api_app.user_middleware[:] = [
                m
                for m in self._fast_api_app.user_middleware
                if registered_by(m.kwargs.get("dispatch", m.cls), folder, main)
            ]
        self.mapping_model, self.integration_class, self._app_view = None, None, None
        self.live_sink = None  # set again by the process that serves live events
        self._own_routes = []
        integration_py = folder / "integration.py"
        if not integration_py.is_file():
            return
        from port_ocean.core.integrations.base import BaseIntegration

        module = import_file(integration_py, folder)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseIntegration)
                and value is not BaseIntegration
            ):
                from port_ocean.core.handlers.port_app_config import models

                self.integration_class = value
                model = value.AppConfigHandlerClass.CONFIG_CLASS
                self.mapping_model = None if model is models.PortAppConfig else model
                break
        from port_ocean.core.handlers.webhook.processor_manager import serve_own_routes

        self._own_routes = serve_own_routes(self, module)

    def __getattr__(self, name: str) -> Any:
        """Reached for names the object lacks (say which part of the original's API that
        is, and that it is not supported yet), and for properties that raised an
        AttributeError (raise it again, as it is)."""
        if name.startswith("_"):
            raise AttributeError(name)
        if hasattr(type(self), name):
            return object.__getattribute__(self, name)
        raise UnsupportedAttributeError(message(f"ocean.{name}", __name__))

    @contextlib.contextmanager
    def resource_scope(self, resource: ResourceConfig, mapping: PortAppConfig) -> Iterator[None]:
        index = next((i for i, r in enumerate(mapping.resources) if r is resource), 0)
        with event_module.resource_event(resource.for_integration, mapping.for_integration, index):
            yield

    @contextlib.contextmanager
    def start_scope(self, mapping: PortAppConfig) -> Iterator[None]:
        """The ``on_start`` hooks see one ``START`` event, as in the original (with the
        mapping the run starts with, which the original leaves unset there)."""
        with event_module.enclosing_event(EventType.START, mapping.for_integration):
            yield

    @contextlib.contextmanager
    def request_scope(self, mapping: PortAppConfig) -> Iterator[None]:
        """A live event's processors, or a call to the router's routes, see one
        ``HTTP_REQUEST`` event with the mapping, as in the original."""
        with event_module.enclosing_event(EventType.HTTP_REQUEST, mapping.for_integration):
            yield

    @contextlib.contextmanager
    def resync_scope(self, mapping: PortAppConfig, *, incremental: bool = False) -> Iterator[None]:
        """Cached results (``port_ocean.utils.cache``) are dropped at the start and the end
        of every full resync, as in the original: each resync reads fresh data, and live
        events between resyncs share what the last one cached. The resources of one
        resync share one ``event.attributes``, as in the original. An incremental sync is
        an ``INCREMENTAL_RESYNC`` event, and keeps what is cached."""
        if incremental:
            kind = EventType.INCREMENTAL_RESYNC
            with event_module.enclosing_event(kind, mapping.for_integration):
                yield
            return
        cached_results.forget_all()
        try:
            with event_module.enclosing_event(EventType.RESYNC, mapping.for_integration):
                yield
        finally:
            cached_results.forget_all()


class _InRequestEvent:
    """An ASGI app answered within the integration's request event (``event`` readable in
    route handlers, with the mapping, as in the original), once the integration started."""

    def __init__(self, app: Any, integration: PortOceanContext) -> None:
        self._app, self._integration = app, integration

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        writes = self._integration._writes
        if writes is None:
            await self._app(scope, receive, send)
            return
        with self._integration.request_scope(writes.mapping):
            await self._app(scope, receive, send)


ocean = PortOceanContext()
"""The object ``main.py`` decorates, as in the original."""

_port_ocean: PortOceanContext = ocean
"""The current context, whose app ``ocean`` reads: the one :func:`initialize_port_ocean_context`
made. Integrations' tests reset it as the original allows, by replacing it with an
uninitialised one (``ocean_module._port_ocean = PortOceanContext(None)``)."""


_THE_OCEAN = ocean
"""``ocean`` itself, by a name tests do not patch (sonarqube's replace ``ocean`` with a
mock while the processors they test keep the object)."""


def _current(context: PortOceanContext) -> PortOceanContext:
    """Whose app ``context`` reads: ``ocean`` the current context's, any other its own."""
    return _port_ocean if context is _THE_OCEAN else context


def initialize_port_ocean_context(ocean_app: Any) -> None:
    """For an integration's own unit tests, as the original's: ``ocean`` reads its
    configuration (``ocean_app.config.integration.config``), ``config`` and ``app`` from
    ``ocean_app``. A second call raises :class:`PortOceanContextAlreadyInitializedError`,
    until the current context is replaced by an uninitialised one."""
    global _port_ocean
    if _port_ocean._given_app is not None:
        raise PortOceanContextAlreadyInitializedError("PortOcean context is already initialized")
    _port_ocean = PortOceanContext(ocean_app)


__getattr__ = missing(__name__)
