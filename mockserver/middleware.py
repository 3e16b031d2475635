"""Pure-ASGI middleware: a request id on every response, the body size and time limits, and a 500 safety net."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import errors
from mockserver.config import Settings
from mockserver.engine import ids
from mockserver.errors import StreamDisconnect

logger = logging.getLogger("mockserver")
BODY_TIMEOUT_S = 30.0
"""The whole request body must arrive within this many seconds of the request head, else 408 (slow uploads)."""


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


class _BodyReader:
    """``receive`` with the body limits: at most ``limit`` bytes, all of them within ``BODY_TIMEOUT_S``."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive, self.limit = receive, limit
        self.received, self.done = 0, False
        self.deadline = asyncio.get_running_loop().time() + BODY_TIMEOUT_S

    async def __call__(self) -> Message:
        if self.done:  # later receives wait for a disconnect during the response: no deadline on those
            return await self.receive()
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self.receive()
        except TimeoutError:
            raise body_timeout() from None
        self.done = message["type"] != "http.request" or not message.get("more_body", False)
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            raise errors.too_large(self.limit)
        return message


class RequestContextMiddleware:
    """Gives each request an id (``scope["state"]["req_id"]``), enforces ``max_body_bytes`` and never lets a bug
    answer with a traceback."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["req_id"] = ids.request_id()
        limit = self.settings.max_body_bytes
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                rid = state["req_id"].encode()
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-clarifai-request-id", rid),
                    (b"x-request-id", rid),
                ]
            await send(message)

        receive_limited = _BodyReader(receive, limit)

        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length", b"0")
        host = headers.get(b"host", b"").decode("latin-1")
        try:
            if not host_allowed(host, self.settings):
                raise foreign_host(host)
            if declared.isdigit() and int(declared) > limit:
                raise errors.too_large(limit)
            await self.app(scope, receive_limited, send_with_id)
        except StreamDisconnect:
            raise
        except ClientDisconnect:  # the client hung up mid-upload: nobody is left to answer, and it is no bug
            logger.info(
                "%s %s: the client hung up before sending the whole body", scope.get("method"), scope.get("path")
            )
        except errors.ApiError as error:  # raised before routing (size) or outside handlers
            await self._send_error(error, state["req_id"], send_with_id, started)
        except Exception:
            logger.exception("internal error answering %s %s", scope.get("method"), scope.get("path"))
            await self._send_error(errors.internal_error(), state["req_id"], send_with_id, started)

    async def _send_error(self, error: errors.ApiError, req_id: str, send: Send, started: bool) -> None:
        if started:
            return
        body, headers = error_bytes(error, self.settings, req_id)
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
