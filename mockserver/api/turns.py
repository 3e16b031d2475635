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
    headers = {name.lower(): value for name, value in request.headers.items()}
    state: dict[str, object] = request.scope["state"]
    return Incoming(request.method, request.url.path, headers, request.body, str(request.base_url), state)


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
