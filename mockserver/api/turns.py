"""The model endpoints: each is one surface run through the one turn pipeline, written out as a Starlette response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mockserver.context import AppContext, context
from mockserver.record.proxy import Upstream, forward_and_record
from mockserver.turn import pipeline
from mockserver.turn.chat import ChatSurface
from mockserver.turn.media import EmbeddingsSurface, ImagesSurface
from mockserver.turn.resolve import Forward
from mockserver.turn.responses import ResponsesSurface
from mockserver.turn.surface import Incoming, Surface
from mockserver.wire.answer import Answer

Endpoint = Callable[[Request], Awaitable[Response]]


def incoming(request: Request) -> Incoming:
    """The framework-free view of ``request`` the pipeline reads."""
    scope = request.scope
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    path, base_url = _urls(request, headers.get("host"))
    state: dict[str, object] = scope["state"]
    return Incoming(request.method, path, headers, request.body, base_url, state)


_URLS: dict[tuple[object, ...], tuple[str, str]] = {}


def _urls(request: Request, host: str | None) -> tuple[str, str]:
    """``request.url.path`` and ``str(request.base_url)``, remembered per scheme, host, server, root and path:
    building Starlette's two URL objects was a tenth of a request's time, and a server sees few distinct ones."""
    scope = request.scope
    server = tuple(scope["server"]) if scope.get("server") else None
    key = (scope.get("scheme"), host, server, scope.get("root_path", ""), scope.get("app_root_path"), scope["path"])
    found = _URLS.get(key)
    if found is None:
        if len(_URLS) >= 1024:  # paths carry model ids, which callers choose: stay bounded
            _URLS.clear()
        found = _URLS[key] = (request.url.path, str(request.base_url))
    return found


def upstream(ctx: AppContext) -> Upstream:
    """Where this app forwards requests it records."""
    return Upstream(ctx.upstream, ctx.settings.prefix)


def response(answer: Answer) -> Response:
    """``answer`` as a Starlette response."""
    if answer.stream is not None:
        return StreamingResponse(answer.stream, status_code=answer.status_code, headers=answer.headers)
    return Response(answer.body, status_code=answer.status_code, headers=answer.headers)


def _endpoint(surface: Surface[Any]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        ctx = context(request)

        async def forward(order: Forward) -> Response:
            return await forward_and_record(request, upstream(ctx), order.recorder, order.caller, order.key)

        result = await pipeline.run(ctx, incoming(request), surface, forward)
        return result if isinstance(result, Response) else response(result)

    endpoint.__name__ = surface.endpoint.replace(".", "_")
    endpoint.__doc__ = surface.__doc__
    return endpoint


chat_completions = _endpoint(ChatSurface())
responses = _endpoint(ResponsesSurface())
embeddings = _endpoint(EmbeddingsSurface())
images_generations = _endpoint(ImagesSurface())
