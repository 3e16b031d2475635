"""A response head written without uvicorn's checks of each header, where checks made once prove the same."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator, Iterable
from types import MethodType
from typing import Any

from uvicorn.protocols.http.httptools_impl import HEADER_RE, STATUS_LINE, RequestResponseCycle

NAMES_KEPT = 512
"""Distinct header names remembered as checked; past this the rest are checked on every response, as uvicorn does."""

_NAMES: dict[bytes, bytes] = {}  # a header name uvicorn accepts (its own HEADER_RE) → its lowercase form
_FRAMING = frozenset((b"connection", b"transfer-encoding"))  # left to uvicorn: they change how the body is framed
_CONTROL = bytes((*range(0x09), *range(0x0A, 0x20), 0x7F))
"""The bytes no header value may hold (those of uvicorn's HEADER_VALUE_RE), CR and LF among them."""

Send = Callable[[Any], Awaitable[None]]


def render(status_line: bytes, headers: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, int] | None:
    """The head uvicorn would write for ``headers`` and the body length it declares, or ``None`` for uvicorn to
    write it (raising its own error for a bad name or value): a head without a plain ``content-length``, with
    ``connection`` or ``transfer-encoding``, or with a name or value uvicorn refuses. The first ``content-length``
    counts, as in uvicorn; names are lowercased."""
    parts = [status_line]
    length = None
    for name, value in headers:
        low = _NAMES.get(name)
        if low is None:
            low = _checked(name)
            if low is None:
                return None
        if length is None and low == b"content-length":
            length = value
        parts += (low, b": ", value, b"\r\n")
    if length is None or not length.isdigit():
        return None
    parts.append(b"\r\n")
    head = b"".join(parts)
    # Names are checked and the status line is uvicorn's: a control byte beyond the CRLF that ends each line came from
    # a value. One pass of ``translate`` over the head instead of a regular-expression search a value (~60
    # instructions a byte). The lines: the status line, one a header (four parts each), the blank line.
    lines = len(parts) // 4 + 2
    if len(head) - len(head.translate(None, _CONTROL)) != 2 * lines:
        return None
    return head, int(length)


def _checked(name: bytes) -> bytes | None:
    """``name`` lowercased if uvicorn accepts it and it does not frame the body, remembered while there is room."""
    if HEADER_RE.search(name):
        return None
    low = name.lower()
    if low in _FRAMING:
        return None
    if len(_NAMES) < NAMES_KEPT:
        _NAMES[name] = low
    return low


class _Sent:
    """What the lean ``send`` hands back when it wrote the head itself: awaiting it returns at once."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        yield from ()


_SENT = _Sent()


def lean_send(send: Send) -> Send:
    """``send`` (uvicorn's httptools ``RequestResponseCycle.send``) with the response head written by ``render``.
    uvicorn runs two regular-expression searches and a few comparisons for every header, ~7 % of a small request's
    instructions with the mock's seven headers. Every other message, and a head that ``render`` declines, goes to
    ``send`` itself; a bound method is made per request, not stored on the cycle (a new attribute there makes every
    later read of the cycle's attributes slower on Python 3.11)."""
    return MethodType(_send, send.__self__)  # type: ignore[attr-defined]


def _send(cycle: RequestResponseCycle, message: Any) -> Awaitable[None]:
    # Not a coroutine: it hands back uvicorn's awaitable, so a body costs no coroutine more than before.
    if message["type"] == "http.response.start" and _wrote_head(cycle, message):
        return _SENT
    return cycle.send(message)


def _wrote_head(cycle: RequestResponseCycle, message: Any) -> bool:
    """Write ``message``'s head as uvicorn would and set the cycle's state as it would, or leave both alone."""
    if cycle.response_started or cycle.disconnected or cycle.flow.write_paused:
        return False
    if not cycle.keep_alive:  # uvicorn adds ``connection: close``
        return False
    # uvicorn asks for an access line whenever its logger has a handler (pytest's log capture is one); it shows only
    # where the logger takes ``info``, and only there is the head left to uvicorn.
    if cycle.access_log and cycle.access_logger.isEnabledFor(logging.INFO):
        return False
    headers = message.get("headers", ())
    if type(headers) is not list and type(headers) is not tuple:  # an iterator read here would be gone for uvicorn
        return False
    line = STATUS_LINE.get(message.get("status"))
    try:
        found = None if line is None else render(line, (*cycle.default_headers, *headers))
    except TypeError:  # a name that is no hashable bytes (a bytearray, which uvicorn takes; a str, which it refuses)
        return False
    if found is None:
        return False
    cycle.response_started = True
    cycle.waiting_for_100_continue = False
    cycle.chunked_encoding = False
    cycle.expected_content_length = found[1]
    cycle.transport.write(found[0])
    return True
