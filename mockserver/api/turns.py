"""The model endpoints: each is one surface run through the one turn pipeline, as a plain ASGI app.

They skip Starlette's middleware stack, request and response objects (a fifth of a scripted request's time): the app
calls them from its own dispatch. They are also Starlette routes, so ``405`` and ``Allow`` work as for the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from mockserver.context import AppContext, Memo
from mockserver.record.proxy import Upstream, forward_and_record
from mockserver.turn import pipeline
from mockserver.turn.chat import ChatSurface
from mockserver.turn.media import EmbeddingsSurface, ImagesSurface
from mockserver.turn.resolve import Forward
from mockserver.turn.responses import ResponsesSurface
from mockserver.turn.surface import Incoming, Surface
from mockserver.wire.answer import Answer


def incoming(request: Request) -> Incoming:
    """The framework-free view of ``request`` the pipeline reads."""
    return incoming_of(request.scope, request.body)


def incoming_of(scope: Scope, body: Callable[[], Awaitable[bytes]]) -> Incoming:
    """The framework-free view of the request of ``scope``, whose body ``body`` reads."""
    headers = _headers(scope["headers"])
    path, base_url = _urls(scope, headers.get("host"))
    state: dict[str, object] = scope["state"]
    return Incoming(scope["method"], path, headers, body, base_url, state)


# Bounded memos shared by every app of the process (their contents depend on nothing an app configures).
_HEADERS: Memo[tuple[Any, ...], dict[str, str]] = Memo(1024)  # some headers change every request (trace ids)
_URLS: Memo[tuple[object, ...], tuple[str, str]] = Memo(1024)  # paths carry model ids, which callers choose
_HEADS: Memo[tuple[tuple[str, str], ...], list[tuple[bytes, bytes]]] = Memo(1024)  # fixture headers: anything
REMEMBERED_BYTES = 8 * 1024
"""Request headers (all of them), paths and answer headers longer than this are not remembered: a few MiB at most for
the caches."""


def _headers(raw: Any) -> dict[str, str]:
    """The request headers by lower-cased name, remembered per raw header list: clients send the same few again and
    again, and decoding them was a twentieth of a request. The dict is shared between those requests: read only."""
    key = tuple(raw)
    try:
        found = _HEADERS.get(key)
    except TypeError:  # pairs given as lists (ASGI allows any iterable): decoded, not remembered
        return _decoded_headers(key)
    if found is None:
        found = _decoded_headers(key)
        if sum(map(len, found)) + sum(map(len, found.values())) <= REMEMBERED_BYTES:  # a client picks the sizes
            _HEADERS.put(key, found)
    return found


def _decoded_headers(raw: tuple[Any, ...]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}


def _urls(scope: Scope, host: str | None) -> tuple[str, str]:
    """``request.url.path`` and ``str(request.base_url)``, remembered per scheme, host, server, root and path:
    building Starlette's two URL objects was a tenth of a request's time, and a server sees few distinct ones."""
    server = tuple(scope["server"]) if scope.get("server") else None
    key = (scope.get("scheme"), host, server, scope.get("root_path", ""), scope.get("app_root_path"), scope["path"])
    found = _URLS.get(key)
    if found is None:
        request = Request(scope)
        found = (request.url.path, str(request.base_url))
        if len(found[0]) + len(found[1]) <= REMEMBERED_BYTES:
            _URLS.put(key, found)
    return found


def upstream(ctx: AppContext) -> Upstream:
    """Where this app forwards requests it records."""
    return Upstream(ctx.upstream, ctx.settings.prefix)


def response(answer: Answer) -> Response:
    """``answer`` as a Starlette response."""
    if answer.stream is not None:
        return StreamingResponse(answer.stream, status_code=answer.status_code, headers=answer.headers)
    return Response(answer.body, status_code=answer.status_code, headers=answer.headers)


async def write(answer: Answer, scope: Scope, receive: Receive, send: Send) -> None:
    """Send ``answer``: a whole body as two messages, a stream through Starlette (which also stops it when the
    client hangs up)."""
    if answer.stream is not None:
        await response(answer)(scope, receive, send)
        return
    headers = [*_encoded(answer.headers), (b"content-length", str(len(answer.body)).encode())]
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """An answer's headers as ASGI sends them, remembered: answers repeat the same few (content type, fixture, usage
    method). The list is shared between those answers: read only."""
    key = tuple(headers.items())
    found = _HEADS.get(key)
    if found is None:
        found = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in key]
        if sum(len(name) + len(value) for name, value in found) <= REMEMBERED_BYTES:  # a template may make them big
            _HEADS.put(key, found)
    return found


class _Body:
    """The request body, read once from ``receive`` (the guard's, with its limits) and kept for a forward."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.data: bytes | None = None

    async def __call__(self) -> bytes:
        if self.data is None:
            chunks: list[bytes] = []
            while True:
                message = await self._receive()
                if message["type"] != "http.request":  # the client hung up mid-upload
                    raise ClientDisconnect()
                if not message.get("more_body", False):
                    break
                chunks.append(message.get("body", b""))
            last = message.get("body", b"")
            self.data = b"".join((*chunks, last)) if chunks else last  # most bodies come in one message
        return self.data

    def replay(self) -> Receive:
        """A ``receive`` that gives the body already read, then whatever comes next (a disconnect)."""
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent and self.data is not None:
                sent = True
                return {"type": "http.request", "body": self.data, "more_body": False}
            return await self._receive()

        return receive


class TurnEndpoint:
    """One surface's endpoint as an ASGI app (``scope["app"]`` is the mock's app, whose ``context`` it serves)."""

    def __init__(self, surface: Surface[Any]) -> None:
        self.surface = surface
        self.__doc__ = surface.__doc__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx: AppContext = scope["app"].context
        body = _Body(receive)

        async def forward(order: Forward) -> Response:
            request = Request(scope, body.replay())
            return await forward_and_record(request, upstream(ctx), order.recorder, order.caller, order.key)

        result = await pipeline.run(ctx, incoming_of(scope, body), self.surface, forward)
        if isinstance(result, Response):
            await result(scope, receive, send)
        else:
            await write(result, scope, receive, send)


chat_completions = TurnEndpoint(ChatSurface())
responses = TurnEndpoint(ResponsesSurface())
embeddings = TurnEndpoint(EmbeddingsSurface())
images_generations = TurnEndpoint(ImagesSurface())
