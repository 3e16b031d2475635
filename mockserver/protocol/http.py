"""``HttpProtocol``: uvicorn's, with one write per response, lean response heads and a deadline for a request head."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT

from mockserver.middleware import BODY_HELD
from mockserver.protocol.coalesced import Coalesced

try:  # httptools comes with uvicorn[standard]; without it uvicorn serves with h11, whose heads are left as they are
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from mockserver.protocol.head import lean_send

    LEAN = True
except ImportError:  # pragma: no cover - only where httptools cannot be installed
    HttpToolsProtocol = None  # type: ignore[assignment, misc]
    LEAN = False

HEAD_TIMEOUT_S = 10.0
"""A request's line and headers must arrive within this many seconds of connecting (or of its first byte on a kept-
alive connection); slow-header clients (slowloris) are disconnected instead of being held forever."""

_FORWARDED = (b"x-forwarded-for", b"x-forwarded-proto")


def _served(app: Any, lean: bool) -> Any:
    """The app uvicorn calls for each request. uvicorn's ``ProxyHeadersMiddleware`` (``proxy_headers``, on by default)
    runs only for a request that sends ``X-Forwarded-For`` or ``-Proto``: for any other it changes nothing, yet its
    checks and its extra coroutine were a fortieth of a request. With ``lean`` the app's ``send`` writes response
    heads through ``head.lean_send``. ``app`` is returned as it is when neither applies."""
    proxied = app if isinstance(app, ProxyHeadersMiddleware) else None
    if proxied is None and not lean:
        return app
    inner = app if proxied is None else proxied.app

    # Not a coroutine function: it hands back the awaitable of whichever app it picks (uvicorn awaits it).
    def serve(scope: Any, receive: Any, send: Any) -> Any:
        if lean:
            send = lean_send(send)
        if proxied is not None:
            for name, _ in scope["headers"]:
                if name in _FORWARDED:
                    return proxied(scope, receive, send)
        return inner(scope, receive, send)

    return serve


def _taken(cycle: Any) -> bytes | bool:
    """The body of a request whose head and whole body came in one ``data_received``, moved out of uvicorn's cycle for
    the guard's reader to hand over: its app has not run yet (its task starts on the next turn of the loop), so
    nothing has read any of it, and uvicorn's ``receive`` (two coroutines, an event, a copy) is skipped for it.
    ``True`` where uvicorn's ``receive`` must run: a client waiting for ``100 Continue`` is sent it there, and a body
    past uvicorn's high-water mark paused reading, which only that ``receive`` resumes."""
    if cycle.waiting_for_100_continue or len(cycle.body) > HIGH_WATER_LIMIT:
        return True
    body = bytes(cycle.body)
    cycle.body = bytearray()  # as uvicorn's receive leaves it: a later receive gets an empty last message
    return body


class HttpProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools when installed, else h11) writing through a ``Coalesced`` transport, with a
    deadline for the request head: a connection whose head is late is closed (uvicorn has no such timeout of its
    own; its keep-alive timer stops at the first byte of the next request). It also marks a request whose whole body
    it already holds (``BODY_HELD``: the body itself when it came with the head), runs uvicorn's proxy-header
    middleware only where forwarded headers came, and (httptools) writes the usual response heads through
    ``head.lean_send``."""

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
            self, cast(asyncio.Transport, Coalesced(transport, asyncio.get_running_loop()))
        )
        self.app = _served(self.app, lean=LEAN and isinstance(self, HttpToolsProtocol))
        self._arm_head()

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        AutoHTTPProtocol.data_received(self, data)
        cycle = self.cycle
        if cycle is not None and not cycle.more_body:  # the whole body is here: the app's reads of it cannot wait
            cycle.scope[BODY_HELD] = _taken(cycle) if cycle is not before else True
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
