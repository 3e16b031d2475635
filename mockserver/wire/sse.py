"""Server-sent-events framing: encode ``data:`` frames and decode a byte stream back into payloads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mockserver.types import JSON
from mockserver.wire.answer import json_bytes

DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": keep-alive\n\n"


def encode(data: JSON) -> bytes:
    """One ``data: <compact json>`` frame; chat streams never carry ``event:`` lines."""
    return b"data: " + json_bytes(data) + b"\n\n"


def encode_event(event: str, data: JSON) -> bytes:
    """A named frame (``event:`` + ``data:``), as the Responses API streams."""
    return f"event: {event}\n".encode() + encode(data)


def encode_raw(payload: str) -> bytes:
    """A frame whose payload is sent exactly as given (recorded frames, faults)."""
    return b"".join(b"data: " + line.encode() + b"\n" for line in payload.split("\n")) + b"\n"


def iter_data(chunks: Iterable[bytes]) -> Iterator[str]:
    """The ``data`` payload of each event in a byte stream split anywhere (CR, LF or CRLF line ends)."""
    buffer = b""
    data: list[str] = []
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", errors="replace")
            if not line:
                if data:
                    yield "\n".join(data)
                    data = []
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)
