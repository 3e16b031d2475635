"""``create_app``: the Starlette application with the OpenAI-compatible routes, the control API and error handling."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from mockserver import errors
from mockserver.api import control, inspector
from mockserver.api.files import image_file
from mockserver.api.models import get_model, list_models
from mockserver.api.turns import TurnEndpoint, chat_completions, embeddings, images_generations, responses
from mockserver.clarifai.catalog import load_catalog
from mockserver.config import Settings
from mockserver.context import AppContext
from mockserver.errors import StreamDisconnect
from mockserver.fixtures.reload import Reloader
from mockserver.journal import Journal
from mockserver.middleware import RequestContextMiddleware, RequestGuard
from mockserver.record.recorder import Recorder
from mockserver.turn.media import IMAGE_PATH

logger = logging.getLogger("mockserver")


class _QuietDisconnects(logging.Filter):
    """Drop uvicorn's traceback for the ``disconnect`` stream fault: the dropped connection is the point."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        return not isinstance(error, StreamDisconnect)


def _quiet_disconnects() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDisconnects) for f in logger.filters):
        logger.addFilter(_QuietDisconnects())


def exposure_warning(settings: Settings) -> str | None:
    """The warning for a mock reachable beyond this machine with an open control API, else ``None``."""
    if settings.control_token is not None:
        return None
    host = settings.host.strip("[]").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    return (
        f"serving on {settings.host} with NO control token: anyone who can reach this port can read the journal "
        "and replace fixtures. Set CLARIFAI_MOCK_CONTROL_TOKEN (or bind 127.0.0.1)."
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404 and 405 as the mock's errors, answered by the guard like every other error."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = errors.method_not_allowed(request.method, request.url.path)
        error.headers = {**error.headers, "Allow": _allowed_methods(request)}
        raise error
    raise errors.route_not_found(request.method, request.url.path)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (RFC 9110 asks for them in a 405's ``Allow``)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


def routes(prefix: str) -> list[Route]:
    """The API routes under ``prefix`` plus the control routes."""
    return [
        Route(f"{prefix}/chat/completions", chat_completions, methods=["POST"]),
        Route(f"{prefix}/responses", responses, methods=["POST"]),
        Route(f"{prefix}/embeddings", embeddings, methods=["POST"]),
        Route(f"{prefix}/images/generations", images_generations, methods=["POST"]),
        Route(f"{prefix}/models", list_models, methods=["GET"]),
        Route(f"{prefix}/models/{{model_id:path}}", get_model, methods=["GET"]),
        Route("/__mock__/health", control.health, methods=["GET"]),
        Route("/__mock__/journal", control.journal, methods=["GET"]),
        Route("/__mock__/reset", control.reset, methods=["POST"]),
        Route("/__mock__/fixtures", control.list_fixtures, methods=["GET"]),
        Route("/__mock__/fixtures", control.add_fixtures, methods=["POST"]),
        Route("/__mock__/fixtures", control.delete_fixtures, methods=["DELETE"]),
        Route("/__mock__/usage", control.usage, methods=["GET"]),
        Route("/__mock__/reload", control.reload, methods=["POST"]),
        Route("/__mock__/journal/tail", inspector.journal_tail, methods=["GET"]),
        Route("/__mock__/fixtures/source", inspector.fixture_source, methods=["GET"]),
        Route("/__mock__/metrics", inspector.metrics, methods=["GET"]),
        Route("/__mock__/ui", inspector.page, methods=["GET"]),
        Route("/__mock__/ui/{name}", inspector.asset, methods=["GET"]),
        Route(f"{IMAGE_PATH}/{{name}}", image_file, methods=["GET"]),
    ]


def _route_path(scope: Scope) -> str:
    """The path routes are matched against: ``scope["path"]`` without the ``root_path`` the app is mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        return path[len(root) :]
    return path


class MockApp(Starlette):
    """The mock's Starlette app, with a short way in for the model endpoints: a ``POST`` to one of them goes
    straight to its ``TurnEndpoint`` through the request guard, skipping Starlette's middleware stack, router and
    request objects (the hot path of every test suite and load test); everything else is routed by Starlette."""

    def __init__(self, guard: RequestGuard, context: AppContext, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.guard = guard
        self.context = context  # also ``state.mock``; read directly by the model endpoints (``State`` is slower)
        self.state.mock = context
        self.lanes = {r.path: r.app for r in self.routes if isinstance(r, Route) and isinstance(r.app, TurnEndpoint)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            lane = self.lanes.get(_route_path(scope))
            if lane is not None:
                scope["app"] = self
                await self.guard(scope, receive, send, lane)
                return
        await super().__call__(scope, receive, send)


def _lifespan(ctx: AppContext) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    """Watch fixture files for changes while the server runs; close the upstream client (recording) at the end."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        watcher = None
        if ctx.reloader is not None and ctx.settings.reload:
            watcher = asyncio.create_task(ctx.reloader.watch(stop))
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await watcher
            await ctx.upstream.aclose()

    return lifespan


def create_app(settings: Settings | None = None) -> MockApp:
    """Build the mock's ASGI app, loading fixture files first.

    Args:
        settings: configuration; defaults to ``Settings()`` (environment variables, then defaults).

    Returns:
        A Starlette app (``MockApp``) whose ``state.mock`` is the ``AppContext``.

    Raises:
        FixtureFileError: a fixture file is invalid (the server refuses to start).
    """
    settings = settings or Settings()
    _quiet_disconnects()
    warning = exposure_warning(settings)
    if warning is not None:
        logging.getLogger("mockserver").warning(warning)
    ctx = AppContext(settings=settings, catalog=load_catalog(settings.catalog), journal=Journal(settings.journal_size))
    if settings.fixtures:
        ctx.reloader = Reloader(ctx.store, settings.fixtures)
        ctx.reloader.load()
    ctx.recorder = Recorder.from_settings(settings)

    guard = RequestGuard(settings)
    app = MockApp(
        guard,
        ctx,
        routes=routes(settings.prefix),
        middleware=[Middleware(RequestContextMiddleware, guard=guard)],
        exception_handlers={HTTPException: _on_http_error},
        lifespan=_lifespan(ctx),
    )
    return app
