"""The HTTP protocol the mock serves with: uvicorn's, with one write per response and a deadline for a request head."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from mockserver.middleware import BODY_HELD

HEAD_TIMEOUT_S = 10.0
"""A request's line and headers must arrive within this many seconds of connecting (or of its first byte on a kept-
alive connection); slow-header clients (slowloris) are disconnected instead of being held forever."""

COALESCE_LIMIT = 64 * 1024
"""Bytes ``_Coalesced`` holds back at most: past this a write goes out at once, so uvicorn's flow control still sees a
slow reader."""


class _Coalesced:
    """A connection's transport whose writes in one turn of the event loop leave as one: uvicorn writes a response's
    head and its body separately, and each write is a system call (a fifth of a small request's CPU time on the
    bench). The bytes are the same; they leave at the end of the turn, or on ``close``, not at each ``write``."""

    __slots__ = ("_first", "_loop", "_more", "_size", "_transport", "get_extra_info", "is_closing")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._first: bytes | None = None  # most turns write a head and a body: no list for those
        self._more: list[bytes] = []
        self._size = 0
        # uvicorn asks these on every request; bound here they skip ``__getattr__`` (a tenth of this wrapper's cost).
        self.is_closing = transport.is_closing
        self.get_extra_info = transport.get_extra_info

    def write(self, data: bytes | bytearray | memoryview) -> None:
        chunk = data if type(data) is bytes else bytes(data)  # a buffer the writer may reuse is copied
        if self._first is None:
            self._first = chunk
            self._size = len(chunk)
            self._loop.call_soon(self._flush)
        else:
            self._more.append(chunk)
            self._size += len(chunk)
        if self._size > COALESCE_LIMIT:
            self._flush()

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        first = self._first
        if first is None:
            return
        if self._more:
            first = b"".join((first, *self._more))
            self._more = []
        self._first, self._size = None, 0
        if not self._transport.is_closing():  # the client may have gone since: its bytes have nowhere to go
            self._transport.write(first)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._first, self._more, self._size = None, [], 0
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # everything else is the real transport's
        return getattr(self._transport, name)


_FORWARDED = (b"x-forwarded-for", b"x-forwarded-proto")


def _forwarded_only_when_sent(app: Any) -> Any:
    """uvicorn's ``ProxyHeadersMiddleware`` (``proxy_headers``, on by default) run only for a request that sends
    ``X-Forwarded-For`` or ``-Proto``: for any other it changes nothing, yet its checks and its extra coroutine were
    a fortieth of a request. ``app`` is returned as it is when uvicorn did not wrap it so."""
    if not isinstance(app, ProxyHeadersMiddleware):
        return app
    inner = app.app

    # Not a coroutine function: it hands back the awaitable of whichever app it picks (uvicorn awaits it).
    def serve(scope: Any, receive: Any, send: Any) -> Any:
        for name, _ in scope["headers"]:
            if name in _FORWARDED:
                return app(scope, receive, send)
        return inner(scope, receive, send)

    return serve


class HttpProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools when installed, else h11) writing through a ``_Coalesced`` transport, with a
    deadline for the request head: a connection whose head is late is closed (uvicorn has no such timeout of its
    own; its keep-alive timer stops at the first byte of the next request). It also marks a request whose whole body
    it already holds (``BODY_HELD``) and runs uvicorn's proxy-header middleware only where forwarded headers came."""

    app: Any
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _head_timer: asyncio.TimerHandle | None = None
    _head_cycle: Any = None

    # The base class is named rather than reached through ``super()``: ``data_received`` runs for every request.
    def connection_made(self, transport: asyncio.Transport) -> None:
        # Not a Transport subclass: everything but writing and closing is handed to the real one.
        AutoHTTPProtocol.connection_made(
            self, cast(asyncio.Transport, _Coalesced(transport, asyncio.get_running_loop()))
        )
        self.app = _forwarded_only_when_sent(self.app)
        self._arm_head()

    def data_received(self, data: bytes) -> None:
        AutoHTTPProtocol.data_received(self, data)
        cycle = self.cycle
        if cycle is not None and not cycle.more_body:  # the whole body is here: the app's reads of it cannot wait
            cycle.scope[BODY_HELD] = True
        if self._head_timer is not None:
            if cycle is not self._head_cycle:  # a new request's head is complete
                self._head_timer.cancel()
                self._head_timer = None
        elif cycle is None or cycle.response_complete:  # bytes of the next request's head
            self._arm_head()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        AutoHTTPProtocol.connection_lost(self, exc)

    def _arm_head(self) -> None:
        self._head_cycle = self.cycle
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_late)

    def _head_late(self) -> None:
        self._head_timer = None
        if self.cycle is self._head_cycle and not self.transport.is_closing():
            self.transport.close()
