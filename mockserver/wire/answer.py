"""``Answer``: what goes back on the wire, free of any web framework, and the JSON and SSE ways to make one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from mockserver.types import JSON
from mockserver.wire.headers import SSE_HEADERS


@dataclass
class Answer:
    """A status, headers, and either a whole body or a stream of pieces."""

    headers: dict[str, str]
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    status_code: int = 200
    compact: bool = False  # ``body`` is bytes of exactly its size (joined, not an encoder's buffer): kept as it is


def json_bytes(body: Any) -> bytes:
    """Compact UTF-8 JSON, as every body the mock writes: orjson, or the json module for what orjson refuses
    (integers past 64 bits, non-string keys), which then fails the same way it always did."""
    try:
        return orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def json_answer(body: JSON, headers: dict[str, str]) -> Answer:
    """A whole JSON body."""
    return Answer({**headers, "content-type": "application/json"}, json_bytes(body))


def sse_answer(pieces: AsyncIterator[bytes], headers: dict[str, str]) -> Answer:
    """A server-sent-events stream."""
    return Answer({**headers, **SSE_HEADERS}, stream=pieces)
