"""A transport that sends the writes of one event-loop turn as one."""

from __future__ import annotations

import asyncio
from typing import Any

COALESCE_LIMIT = 64 * 1024
"""Bytes ``Coalesced`` holds back at most: past this a write goes out at once, so uvicorn's flow control still sees a
slow reader."""


class Coalesced:
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
