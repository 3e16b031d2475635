"""``create_app``: the Starlette application with the OpenAI-compatible routes, the control API and error handling."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from mockserver import errors
from mockserver.api import control, inspector
from mockserver.api.files import image_file
from mockserver.api.models import get_model, list_models
from mockserver.api.turns import chat_completions, embeddings, images_generations, responses
from mockserver.clarifai.catalog import load_catalog
from mockserver.config import Settings
from mockserver.context import AppContext, context
from mockserver.errors import StreamDisconnect
from mockserver.fixtures.reload import Reloader
from mockserver.journal import Journal
from mockserver.middleware import RequestContextMiddleware, error_bytes
from mockserver.record.recorder import Recorder
from mockserver.turn.media import IMAGE_PATH

logger = logging.getLogger("mockserver")
CONTROL_PATH = "/__mock__/"


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


def _log_error(request: Request, error: errors.ApiError) -> None:
    """One readable line per error: the mock's own (a miss names its closest fixture) or the emulated Clarifai code."""
    where = f"{error.status} {request.method} {request.url.path}"
    if error.own:
        lines = [line.strip() for line in error.message.splitlines() if line.strip()]
        closest = next((line[2:] for line in lines if line.startswith("- ")), None)
        logger.warning("%s: %s", where, f"{lines[0]} {closest}" if closest and lines else " ".join(lines))
    else:
        logger.info("%s: Clarifai %s %s: %s", where, error.code, error.description, error.details)


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


def _error_response(request: Request, error: errors.ApiError) -> Response:
    if request.url.path.startswith(CONTROL_PATH) and not error.own:  # a refusal of the mock's own API, not Clarifai's
        error = dataclasses.replace(error, own=True)
    _log_error(request, error)
    body, headers = error_bytes(error, context(request).settings, request.scope["state"]["req_id"])
    response = Response(body, status_code=error.status)
    response.raw_headers = headers
    return response


async def _on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ApiError)
    if exc.body_request_id is not None:  # a replayed body keeps its id; the header follows it
        request.scope["state"]["req_id"] = exc.body_request_id
    return _error_response(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = errors.method_not_allowed(request.method, request.url.path)
        error.headers = {**error.headers, "Allow": _allowed_methods(request)}
    else:
        error = errors.route_not_found(request.method, request.url.path)
    return _error_response(request, error)


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


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the mock's ASGI app, loading fixture files first.

    Args:
        settings: configuration; defaults to ``Settings()`` (environment variables, then defaults).

    Returns:
        A Starlette app whose ``state.mock`` is the ``AppContext``.

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

    app = Starlette(
        routes=routes(settings.prefix),
        middleware=[Middleware(RequestContextMiddleware, settings=settings)],
        exception_handlers={errors.ApiError: _on_api_error, HTTPException: _on_http_error},
        lifespan=_lifespan(ctx),
    )
    app.state.mock = ctx
    return app
