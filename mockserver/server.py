"""``MockServer``: the app on a real port in a background thread, for tests and embedding."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from mockserver.app import create_app
from mockserver.config import Settings
from mockserver.context import AppContext
from mockserver.protocol import HttpProtocol

START_TIMEOUT = 10.0
KEEP_ALIVE_S = 5
"""An idle kept-alive connection is closed after this many seconds (uvicorn's ``timeout_keep_alive``)."""
MAX_HEAD_BYTES = 64 * 1024
"""Largest request head accepted by the h11 parser (uvicorn's ``h11_max_incomplete_event_size``)."""
MAX_CONNECTIONS = 1024
"""Connections (or requests) served at once; past this uvicorn answers 503 (``limit_concurrency``)."""


_WEBSOCKETS = any(importlib.util.find_spec(name) for name in ("websockets", "wsproto"))  # as uvicorn's "auto" picks


def _websockets(**options: Any) -> asyncio.Protocol:
    """uvicorn's WebSocket protocol, imported on the first upgrade request instead of at every start (~13 ms): the
    mock has no WebSocket route, so an upgrade gets uvicorn's 403 as it always did."""
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    assert AutoWebSocketsProtocol is not None  # _WEBSOCKETS found a library
    return AutoWebSocketsProtocol(**options)


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn settings both ``MockServer`` and ``clarifai-mock serve`` run with: the timeouts and limits above,
    chosen on purpose rather than left to uvicorn's defaults (see docs/security.md)."""
    return {
        "http": HttpProtocol,
        "lifespan": "on",
        "ws": _websockets if _WEBSOCKETS else "none",
        "timeout_keep_alive": KEEP_ALIVE_S,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "limit_concurrency": MAX_CONNECTIONS,
        "server_header": False,  # "server: uvicorn" tells a client nothing about the API it thinks it calls
    }


def uvicorn_config(app: ASGIApp, *, log_level: str = "warning", **extra: Any) -> uvicorn.Config:
    """A uvicorn configuration with ``uvicorn_options``."""
    return uvicorn.Config(app, log_level=log_level, **uvicorn_options(), **extra)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket bound now, in the caller's thread, so the port is known before the server runs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class MockServer:
    """A running mock; use as a context manager or call ``start()`` / ``stop()``.

    Args:
        settings: configuration; ``port=0`` (the default here) picks a free port.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings(port=0)
        self.app = create_app(self.settings)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        if self._socket is None:
            raise RuntimeError("the server is not started")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def context(self) -> AppContext:
        """The app's state (fixtures, journal, ledger, namespaces), shared with the server thread."""
        ctx: AppContext = self.app.state.mock
        return ctx

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        host = self.settings.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL to give an SDK client."""
        return self.url + self.settings.prefix

    @property
    def requests_in_flight(self) -> int:
        """Requests uvicorn is still serving (read it on the server's loop for an exact answer)."""
        return len(self._server.server_state.tasks) if self._server is not None else 0

    def start(self) -> MockServer:
        """Bind, start serving in a daemon thread and wait until requests are accepted."""
        self._socket = bind_socket(self.settings.host, self.settings.port)
        config = uvicorn_config(self.app, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="clarifai-mock", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the mock server did not start")
            time.sleep(0.001)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
