"""The guard every request passes: an id, the Host check, body limits, errors in the configured style, a 500 net."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
import weakref
from collections.abc import Awaitable

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import errors
from mockserver.config import Settings
from mockserver.context import Memo
from mockserver.engine import ids
from mockserver.errors import StreamDisconnect

logger = logging.getLogger("mockserver")
BODY_TIMEOUT_S = 30.0
"""The whole request body must arrive within this many seconds of the request head, else 408 (slow uploads)."""
CONTROL_PATH = "/__mock__/"
BODY_HELD = "clarifai_mock.body_held"
"""A scope key the mock's own server protocol sets (``protocol.HttpProtocol``) when it already holds a request's whole
body as the app starts: reading it cannot wait, so the guard skips the deadline's registration for it. ``True``, or
the body itself when the protocol took it from uvicorn's request cycle before the app started: the guard's reader
then hands it over without going through uvicorn's ``receive``."""


def body_timeout() -> errors.ApiError:
    """The 408 for a body that did not arrive in time."""
    reason = f"The request body did not arrive within {BODY_TIMEOUT_S:g} seconds."
    return errors.ApiError(408, errors.Code.CONN_BAD_REQUEST_FORMAT, "Request timeout", reason)


def error_bytes(error: errors.ApiError, settings: Settings, req_id: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Body and headers of an error response in the configured style."""
    body = json.dumps(error.to_body(settings.error_style, req_id), separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    return body, headers


def host_allowed(host: str, settings: Settings) -> bool:
    """Whether the ``Host`` header names this mock: an IP literal, a dotless name (``localhost``, a compose service),
    ``*.localhost``, the bound host, or one of ``allowed_hosts``.

    A DNS-rebinding page reaches the mock under the attacker's own dotted domain name; refusing such names keeps it
    from reading the journal or driving the API, while every local way of calling the mock keeps working.
    """
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    name = name.lower().rstrip(".")
    allowed = {entry.lower().rstrip(".") for entry in settings.allowed_hosts}
    if not host or "*" in allowed or name in allowed or name == settings.host.lower():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return "." not in name or name.endswith(".localhost")
    return True


def foreign_host(host: str) -> errors.ApiError:
    """The 403 for a ``Host`` this mock does not answer to."""
    reason = (
        f"The Host {host[:100]!r} is not a name this mock answers to (a DNS-rebinding guard). "
        "Add it to CLARIFAI_MOCK_ALLOWED_HOSTS (comma-separated) if it is yours."
    )
    return errors.ApiError(403, errors.Code.CONN_INVALID_REQUEST, "Host not allowed", reason)


def log_error(method: str, path: str, error: errors.ApiError) -> None:
    """One readable line per error: the mock's own (a miss names its closest fixture) or the emulated Clarifai code."""
    where = f"{error.status} {method} {path}"
    if error.own:
        lines = [line.strip() for line in error.message.splitlines() if line.strip()]
        closest = next((line[2:] for line in lines if line.startswith("- ")), None)
        logger.warning("%s: %s", where, f"{lines[0]} {closest}" if closest and lines else " ".join(lines))
    else:
        logger.info("%s: Clarifai %s %s: %s", where, error.code, error.description, error.details)


class _Deadlines:
    """One timer for every request body being read, instead of a timer armed and cancelled around each read (which
    cost more than the rest of reading a small body): a read still waiting at its deadline is cancelled, and its
    reader turns that into the 408."""

    def __init__(self) -> None:
        self._reading: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[object], deadline: float) -> None:
        self._reading[task] = deadline
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._sweep)

    def stop(self, task: asyncio.Task[object]) -> bool:
        """Forget ``task``'s read; ``True`` when it was cancelled for being late."""
        self._reading.pop(task, None)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _sweep(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        for task, deadline in list(self._reading.items()):
            if deadline <= now:
                del self._reading[task]
                self._expired.add(task)
                task.cancel()
        if self._reading:
            self._timer = loop.call_at(min(self._reading.values()), self._sweep)


class _BodyReader:
    """``receive`` with the body limits: at most ``limit`` bytes, all of them within ``BODY_TIMEOUT_S``."""

    def __init__(
        self,
        receive: Receive,
        limit: int,
        loop: asyncio.AbstractEventLoop,
        deadlines: _Deadlines,
        held: bool | bytes = False,
    ) -> None:
        self.receive, self.limit, self.deadlines = receive, limit, deadlines
        self.received, self.done, self.held = 0, False, held
        self.deadline = loop.time() + BODY_TIMEOUT_S

    async def __call__(self) -> Message:
        if self.done:  # later receives wait for a disconnect during the response: no deadline on those
            return await self.receive()
        held = self.held
        if type(held) is bytes:  # the whole body, taken from uvicorn's cycle before the app started
            self.held = True
            message: Message = {"type": "http.request", "body": held, "more_body": False}
        else:
            message = await self.receive() if held else await self._before_deadline()
        self.done = message["type"] != "http.request" or not message.get("more_body", False)
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            raise errors.too_large(self.limit)
        return message

    async def _before_deadline(self) -> Message:
        task = asyncio.current_task()
        assert task is not None
        self.deadlines.start(task, self.deadline)
        try:
            message = await self.receive()
        except asyncio.CancelledError:
            if self.deadlines.stop(task):
                task.uncancel()
                raise body_timeout() from None
            raise
        if self.deadlines.stop(task):  # cancelled just as the body arrived: it still came too late
            task.uncancel()
            raise body_timeout()
        return message


class RequestGuard:
    """Gives each request an id (``scope["state"]["req_id"]``), checks its ``Host``, enforces ``max_body_bytes`` and
    the body deadline, answers every ``ApiError`` in the configured style (logged once), and never lets a bug answer
    with a traceback. The app calls it around the model endpoints directly and around Starlette for the rest."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # One timer per event loop: an app may serve from several (a server thread, then a test's own client).
        self._deadlines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Deadlines] = weakref.WeakKeyDictionary()
        # The loop that served last (held weakly) and its timer: one loop nearly always serves every request.
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], _Deadlines] | None = None
        self._hosts: Memo[bytes, bool] = Memo(256)  # the verdict per Host value (clients choose it): a server sees few

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        state["req_id"] = ids.request_id()
        started = False

        # Not a coroutine: it hands back ``send``'s own awaitable, so each message awaits one coroutine, not two.
        def send_with_id(message: Message) -> Awaitable[None]:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                rid = state["req_id"].encode()
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-clarifai-request-id", rid),
                    (b"x-request-id", rid),
                ]
            return send(message)

        try:
            self._admit(scope)
            await app(scope, self._reader(receive, scope.get(BODY_HELD, False)), send_with_id)
        except StreamDisconnect:
            raise
        except ClientDisconnect:  # the client hung up mid-upload: nobody is left to answer, and it is no bug
            logger.info("%s %s: the client hung up before sending the whole body", scope["method"], scope["path"])
        except errors.ApiError as error:
            if not started:
                await self._send_error(scope, error, send_with_id)
        except Exception:
            logger.exception("internal error answering %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self._send_error(scope, errors.internal_error(), send_with_id)

    def _reader(self, receive: Receive, held: bool | bytes = False) -> _BodyReader:
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:  # skips the weak-keyed lookup, which makes a weak reference
            return _BodyReader(receive, self.settings.max_body_bytes, loop, last[1], held)
        deadlines = self._deadlines.get(loop)
        if deadlines is None:
            deadlines = self._deadlines[loop] = _Deadlines()
        self._last = (weakref.ref(loop), deadlines)
        return _BodyReader(receive, self.settings.max_body_bytes, loop, deadlines, held)

    def _admit(self, scope: Scope) -> None:
        """Refuse, before anything is read, a foreign ``Host`` or a body declared larger than the limit."""
        host = declared = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"content-length":
                declared = value
        allowed = self._hosts.get(host)
        if allowed is None:
            allowed = host_allowed(host.decode("latin-1"), self.settings)
            self._hosts.put(host, allowed)
        if not allowed:
            raise foreign_host(host.decode("latin-1"))
        limit = self.settings.max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            raise errors.too_large(limit)

    async def _send_error(self, scope: Scope, error: errors.ApiError, send: Send) -> None:
        path: str = scope["path"]
        if path.startswith(CONTROL_PATH) and not error.own:  # a refusal of the mock's own API, not Clarifai's
            error = dataclasses.replace(error, own=True)
        if error.body_request_id is not None:  # a replayed body keeps its id; the header follows it
            scope["state"]["req_id"] = error.body_request_id
        log_error(scope["method"], path, error)
        body, headers = error_bytes(error, self.settings, scope["state"]["req_id"])
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """The guard as Starlette middleware, for the routes the app leaves to Starlette (control API, models, files)."""

    def __init__(self, app: ASGIApp, guard: RequestGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.guard(scope, receive, send, self.app)
