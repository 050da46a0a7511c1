"""The object integration authors decorate: a registry of handlers and hooks, nothing more."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ocean.actions.executor import Executor
from ocean.actions.run import ActionRuns
from ocean.config.settings import Settings
from ocean.configuration import being_imported
from ocean.errors import ConfigError
from ocean.extract.cursor import active_cursor
from ocean.extract.trace import (
    defined_at,
    exit_described,
    failure_text,
    raised_by_itself,
    source_folder,
    with_frames,
)
from ocean.live.processor import WebhookProcessor
from ocean.load.under_way import stopping
from ocean.mapping import PortAppConfig, ResourceConfig
from ocean.types import Hook, ResyncHandler

if TYPE_CHECKING:
    from types import ModuleType

    from starlette.routing import BaseRoute

    from ocean.store.base import Owner

HandlerT = TypeVar("HandlerT", bound=ResyncHandler)
_log = logging.getLogger(__name__)


class RawWrites(Protocol):
    """Where ``register_raw`` / ``unregister_raw`` go (:class:`ocean.live.raw.DirectWrites`)."""

    async def register_raw(self, kind: str, items: list[dict[str, Any]]) -> None: ...

    async def unregister_raw(self, kind: str, items: list[dict[str, Any]]) -> None: ...

    async def request_resync(self) -> str: ...

    @property
    def mapping(self) -> PortAppConfig: ...

    @property
    def owner(self) -> Owner: ...


class FieldResolver(Protocol):
    """Mapping values the integration computes itself, where JQ cannot: the original's
    custom entity processors (GitLab's and GitHub's ``file://`` and ``search://`` values)."""

    def claims(self, text: str) -> bool:
        """Whether a mapping value is the integration's to resolve."""
        ...

    async def resolve(self, item: Any, text: str) -> Any:
        """The value of ``text`` for one mapped item."""
        ...


HookT = TypeVar("HookT", bound=Hook)
_CANCELLED_INSIDE = (
    "raised CancelledError though nothing stopped it (a task it awaited was cancelled by "
    "something else?); make it catch or not cancel what it awaits"
)


async def run_hooks(
    hooks: list[Hook], name: str, errors: list[str], *, until_failure: bool = False
) -> list[Exception]:
    """Run ``hooks`` in order, adding what a failing one raised to ``errors`` (the first
    failure stops the rest with ``until_failure``); what they raised (none: all succeeded)."""
    raised: list[Exception] = []
    for hook in hooks:
        try:
            await _run_hook(hook)
        except Exception as error:
            _log.debug("%s hook %s raised", name, hook.__qualname__, exc_info=error)
            errors.append(failure_text(f"{name} hook {hook.__qualname__}", hook, error))
            raised.append(error)
        except asyncio.CancelledError as error:
            if stopping():
                raise  # the resync (or the sail) is being stopped
            who = f"{name} hook {hook.__qualname__}"  # a task it awaited was cancelled
            errors.append(with_frames(f"{who} {_CANCELLED_INSIDE}", error, source_folder(hook)))
            raised.append(RuntimeError(f"{who} {_CANCELLED_INSIDE}"))
        except (SystemExit, KeyboardInterrupt) as error:
            if not raised_by_itself(error):
                raise  # Ctrl-C: the sail stops
            who = f"{name} hook {hook.__qualname__}"
            errors.append(failure_text(who, hook, error))
            raised.append(RuntimeError(f"{who} {exit_described(error)}"))
        if raised and until_failure:
            break
    return raised


async def _run_hook(hook: Hook) -> None:
    """Call a hook and await what it gives (a callable that is no ``async def`` but
    returns a coroutine, a decorated one say; one that gives nothing has run)."""
    result = hook()
    if inspect.isawaitable(result):
        await result


def refuse_plain(function: Any, what: str) -> None:
    """Refuse a handler or hook that is a plain ``def`` (a generator's too): the original
    awaits what it returns, and so does Ocean. A wrapper (``functools.wraps``) or any
    other callable is taken as it is."""
    if not inspect.isfunction(function) or hasattr(function, "__wrapped__"):
        return
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        return
    if function.__code__.co_flags & inspect.CO_ITERABLE_COROUTINE:
        return  # @types.coroutine
    name = function.__qualname__
    raise ConfigError(
        f"{what} {name} ({defined_at(function)}) is a plain function: make it `async def` "
        f"(Ocean awaits it, as the original does)"
    )


class LiveSink(Protocol):
    """Checks a live event received at ``path`` and queues it as the live-event route would:
    the queued event's id, or None when no processor wants it; raises
    :class:`ocean.live.process.Rejected` (4xx) or
    :class:`~ocean.errors.QueueUnavailableError` when the route would have refused it."""

    async def __call__(self, path: str, body: bytes, headers: dict[str, str]) -> str | None: ...


class Integration:
    """Registry of an integration's resync handlers and lifecycle hooks.

    Usage::

        ocean = Integration()

        @ocean.on_resync("project")
        async def projects(kind: str):
            yield [{"key": "OPS"}]

    The runner hands the integration its typed configuration before anything runs;
    handlers read it as ``ocean.integration_config`` (snake_case keys, as the original).
    """

    def __init__(self) -> None:
        self._by_kind: dict[str, list[ResyncHandler]] = {}
        self._catch_all: list[ResyncHandler] = []
        self._incremental: dict[str, list[ResyncHandler]] = {}
        self._incremental_catch_all: list[ResyncHandler] = []
        self.start_hooks: list[Hook] = []
        self.resync_start_hooks: list[Hook] = []
        self.resync_complete_hooks: list[Hook] = []
        self.stop_hooks: list[Hook] = []
        self._config: dict[str, Any] | None = None
        self._settings = Settings()
        self.webhook_processors: dict[str, list[type[WebhookProcessor]]] = {}
        self._writes: RawWrites | None = None
        self.executors: dict[str, Executor] = {}
        """Action executors by ``ACTION_NAME`` (run by :mod:`ocean.actions.manager`)."""
        self._executor_imports: dict[str, object] = {}
        """Which import of a main.py registered each action's executor (None: outside one)."""
        self._action_runs: ActionRuns | None = None
        self.live_sink: LiveSink | None = None
        """Where the integration's own routes queue a live event they received (an
        integration that serves its webhook path itself): set by the process that serves
        the live-event route (:func:`ocean.live.routes.live_event_routes`)."""

    def on_resync(self, kind: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Register a handler for one kind, or for every kind when ``kind`` is None."""

        _parenthesised(kind, "on_resync")

        def register(handler: HandlerT) -> HandlerT:
            refuse_plain(handler, "handler")
            if kind is None:
                self._catch_all.append(handler)
            else:
                self._by_kind.setdefault(kind, []).append(handler)
            return handler

        return register

    def on_incremental_resync(self, kind: str | None = None) -> Callable[[HandlerT], HandlerT]:
        """Register a handler that fetches only what changed in ``kind`` (every kind when
        None, as in the original) since the cursor (:func:`incremental_cursor`); an
        incremental run uses it instead of the kind's ``on_resync`` handlers, upserts what
        it yields and deletes nothing."""

        _parenthesised(kind, "on_incremental_resync")

        def register(handler: HandlerT) -> HandlerT:
            refuse_plain(handler, "handler")
            if kind is None:
                self._incremental_catch_all.append(handler)
            else:
                self._incremental.setdefault(kind, []).append(handler)
            return handler

        return register

    @staticmethod
    def incremental_cursor() -> dt.datetime | None:
        """Since when the running incremental kind fetches changes (None: a full resync)."""
        return active_cursor()

    def add_webhook_processor(self, path: str, processor: type[WebhookProcessor]) -> None:
        """Serve live events POSTed to ``/integration{path}`` with ``processor`` (several
        processors may share a path; each one that wants an event handles it)."""
        if not (isinstance(processor, type) and issubclass(processor, WebhookProcessor)):
            raise ConfigError(
                f"add_webhook_processor({path!r}, {processor!r}): the processor must be a "
                "subclass of ocean.live.processor.WebhookProcessor (AbstractWebhookProcessor)"
            )
        if not path.startswith("/"):
            raise ConfigError(f"add_webhook_processor: the path {path!r} must start with '/'")
        self.webhook_processors.setdefault(path, []).append(processor)

    def register_action_executor(self, executor: Executor) -> None:
        """Run the runs of ``executor.ACTION_NAME`` with ``executor`` (under ACTIONS_ONLY, or
        alongside resyncs with ``OCEAN__ACTIONS_PROCESSOR__ENABLED``); its webhook processor,
        if it has one, is served on its ``WEBHOOK_PATH``. A second executor for an action
        from the same import of main.py is refused, as in the original; one registered
        outside main.py's import (an integration's own test, where the original registers
        on each test's app), or by another import of it (the folder loaded anew), replaces
        the first."""
        if not isinstance(executor, Executor):
            raise ConfigError(
                f"register_action_executor({executor!r}): an executor is an instance of a "
                "subclass of ocean.actions.Executor (or the original's AbstractExecutor)"
            )
        name = getattr(type(executor), "ACTION_NAME", None)
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"{type(executor).__name__} must set ACTION_NAME to its action's type"
            )
        existing, importing = self.executors.get(name), being_imported()
        same_import = self._executor_imports.get(name, _UNKNOWN) is importing
        if existing is not None and importing is not None and same_import:
            raise ConfigError(
                f"an executor for action {name!r} is registered already "
                f"({type(existing).__name__}); register one per action"
            )
        self.executors[name] = executor  # or in place of an earlier import's
        self._executor_imports[name] = importing
        processor = type(executor).WEBHOOK_PROCESSOR_CLASS
        if processor is not None:
            path = type(executor).WEBHOOK_PATH
            stale = [
                c
                for c in self.webhook_processors.get(path, [])
                if _qualified(c) == _qualified(processor)
            ]
            for old in stale:
                self.webhook_processors[path].remove(old)
            self.add_webhook_processor(path, processor)

    @property
    def action_runs(self) -> ActionRuns:
        """The catalog's action runs (to finish one from a webhook processor), once started."""
        if self._action_runs is None:
            raise ConfigError(
                "action_runs was used before the integration started its executors; use it "
                "in a webhook processor or an executor of a running `ocean sail`"
            )
        return self._action_runs

    def attach_actions(self, runs: ActionRuns) -> None:
        """Bind :attr:`action_runs` (done by the runner when executors run)."""
        self._action_runs = runs

    def on_start(self) -> Callable[[HookT], HookT]:
        """Register a coroutine run once before the first resync."""
        return self._hook(self.start_hooks, "on_start hook")

    def on_resync_start(self) -> Callable[[HookT], HookT]:
        """Register a coroutine run at the beginning of every resync."""
        return self._hook(self.resync_start_hooks, "on_resync_start hook")

    def on_resync_complete(self) -> Callable[[HookT], HookT]:
        """Register a coroutine run after a resync that fully succeeded."""
        return self._hook(self.resync_complete_hooks, "on_resync_complete hook")

    def on_stop(self) -> Callable[[HookT], HookT]:
        """Register a coroutine run once when the integration stops: after a ONCE resync,
        or when a long-running ``ocean sail`` is asked to stop (to close clients, say)."""
        return self._hook(self.stop_hooks, "on_stop hook")

    @staticmethod
    def _hook(hooks: list[Hook], what: str) -> Callable[[HookT], HookT]:
        def register(hook: HookT) -> HookT:
            refuse_plain(hook, what)
            hooks.append(hook)
            return hook

        return register

    def prune(self, keep: Callable[[Callable[..., Any]], bool]) -> None:
        """Drop every registered handler and hook for which ``keep`` is false."""
        self._by_kind = {k: [h for h in hs if keep(h)] for k, hs in self._by_kind.items()}
        self._catch_all = [h for h in self._catch_all if keep(h)]
        self._incremental = {k: [h for h in hs if keep(h)] for k, hs in self._incremental.items()}
        self._incremental_catch_all = [h for h in self._incremental_catch_all if keep(h)]
        self.executors = {name: e for name, e in self.executors.items() if keep(type(e))}
        self.webhook_processors = {
            path: [c for c in classes if keep(c)]
            for path, classes in self.webhook_processors.items()
            if any(keep(c) for c in classes)
        }
        every = (self.start_hooks, self.resync_start_hooks, self.resync_complete_hooks,
                 self.stop_hooks)  # fmt: skip
        for hooks in every:
            hooks[:] = [h for h in hooks if keep(h)]

    def handlers_for(self, kind: str) -> list[ResyncHandler]:
        """Kind-specific handlers first, then catch-all ones, as the original runs them."""
        return [*self._by_kind.get(kind, []), *self._catch_all]

    def incremental_handlers_for(self, kind: str) -> list[ResyncHandler]:
        """The kind's ``on_incremental_resync`` handlers, then those of every kind; none
        when the kind has none of its own (it is not incremental: a handler of every kind
        alone makes no kind incremental, as in the original)."""
        own = self._incremental.get(kind, [])
        return [*own, *self._incremental_catch_all] if own else []

    @property
    def kinds(self) -> list[str]:
        """Kinds that have a handler of their own."""
        return sorted(self._by_kind)

    # Extension points: a layer on top (such as the ``port_ocean`` compatibility package)
    # overrides these; the core only calls them, passing everything explicitly.

    mapping_model: Any = None
    """The integration's own mapping model (a class with ``model_validate``, such as a
    pydantic model with custom selector fields): the file is validated with it too, and
    its objects are what handlers and webhook processors are handed. None: Ocean's own."""

    def configure_folder(self, folder: Path, main: ModuleType) -> None:
        """Called once the folder's main.py is imported (``main``, a fresh module each
        time), before the mapping is read."""

    def resource_scope(
        self, resource: ResourceConfig, mapping: PortAppConfig
    ) -> AbstractContextManager[None]:
        """Entered around the extraction of each resource of a resync."""
        return contextlib.nullcontext()

    def field_resolver(self) -> FieldResolver | None:
        """Who resolves the mapping values the integration claims (see
        :mod:`ocean.extract.fields`); None: every value is JQ."""
        return None

    def http_routes(self) -> Sequence[BaseRoute]:
        """Routes of the integration's own that its server serves (before the live-event
        route, under the same ``/integration`` prefix); none by default."""
        return ()

    def resync_scope(
        self, mapping: PortAppConfig, *, incremental: bool = False
    ) -> AbstractContextManager[None]:
        """Entered around each resync (``incremental``: an incremental sync), its hooks
        included. A :class:`~ocean.errors.ResyncAbortedError` raised out of it ends the
        resync ``aborted`` (the integration stopped it)."""
        return contextlib.nullcontext()

    def start_scope(self, mapping: PortAppConfig) -> AbstractContextManager[None]:
        """Entered around the ``on_start`` hooks."""
        return contextlib.nullcontext()

    def request_scope(self, mapping: PortAppConfig) -> AbstractContextManager[None]:
        """Entered around the handling of each live event (every call to its processors)
        and each request to :meth:`http_routes`."""
        return contextlib.nullcontext()

    def attach(self, writes: RawWrites) -> None:
        """Bind where :meth:`register_raw` writes (done by the runner at start)."""
        self._writes = writes

    async def register_raw(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Map raw items with every mapping resource of ``kind`` and write them now (outside
        a resync): entities the selector keeps are upserted, those it rejects deleted."""
        await self._attached("register_raw").register_raw(kind, items)

    async def unregister_raw(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Delete the entities raw items of ``kind`` map to."""
        await self._attached("unregister_raw").unregister_raw(kind, items)

    async def request_resync(self) -> str:
        """Ask for a full resync, as ``ocean catalog resync`` does: a POLLING or WEBHOOK
        listener starts it at its next check (one already running is superseded); other
        listeners never resync on request. Returns when it was requested."""
        return await self._attached("request_resync").request_resync()

    def running_mapping(self) -> PortAppConfig:
        """The mapping the run started with (:class:`ConfigError` before it started)."""
        return self._attached("the running mapping").mapping

    def _attached(self, name: str) -> RawWrites:
        if self._writes is None:
            raise ConfigError(
                f"{name} was called before the integration started; call it from a handler, "
                "a hook or a webhook processor, not at import time."
            )
        return self._writes

    def configure(self, config: dict[str, Any], settings: Settings | None = None) -> None:
        """Bind the validated integration configuration and the run's settings (done by
        the runner)."""
        self._config = dict(config)
        self._settings = settings or Settings()

    @property
    def settings(self) -> Settings:
        """What the runner was configured with (listener, catalog, ...); while main.py is
        being imported, what the runner is importing it with."""
        importing = being_imported()
        return self._settings if importing is None else importing.settings

    @property
    def integration_config(self) -> dict[str, Any]:
        """The integration's configuration with snake_case keys (readable from main.py's
        import on, as in the original)."""
        importing = being_imported()
        if importing is not None:
            return importing.config
        if self._config is None:
            raise ConfigError(
                "integration_config was read before the integration was configured; "
                "read it inside a handler or hook, or in a main.py that `ocean sail` imports."
            )
        return self._config


def _parenthesised(kind: Any, decorator: str) -> None:
    """Refuse ``@ocean.on_resync`` without its parentheses (the function is taken for the
    kind, and nothing is registered)."""
    if callable(kind):
        raise ConfigError(
            f"@ocean.{decorator} above {getattr(kind, '__qualname__', kind)} "
            f'({defined_at(kind)}) lacks its parentheses: write @ocean.{decorator}("kind") '
            f"for one kind, or @ocean.{decorator}() for every kind"
        )


_UNKNOWN = object()
"""Who registered an executor set otherwise than by ``register_action_executor``."""


def _qualified(cls: type) -> str:
    """A class's module and qualified name: the same for each import of its module."""
    return f"{cls.__module__}.{cls.__qualname__}"
