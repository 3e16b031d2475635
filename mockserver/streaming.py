"""Send stream frames over time: pacing (time to first token, tokens/s, seeded jitter), keep-alives and faults."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence

from mockserver import sse
from mockserver.chunks import Frame
from mockserver.schema import StreamScript
from mockserver.types import JSON

MALFORMED = b'data: {"id": "chatcmpl-broken", "choices": [\n\n'


class StreamDisconnect(Exception):
    """Raised inside a response body to drop the connection mid-stream (the ``disconnect`` fault)."""


def gaps(frames: Sequence[Frame], script: StreamScript) -> list[float]:
    """Seconds to wait before each frame; deterministic for a given script seed."""
    rng = random.Random(script.seed)
    waits = []
    for position, frame in enumerate(frames):
        if position == 0:
            wait = script.ttft_ms / 1000
        elif script.tokens_per_second:
            wait = frame.tokens / script.tokens_per_second
        else:
            wait = 0.0
        if wait and script.jitter:
            wait *= 1 + script.jitter * (2 * rng.random() - 1)
        waits.append(wait)
    return waits


async def run_fault(script: StreamScript, error_frame: bytes, malformed: bytes = MALFORMED) -> AsyncIterator[bytes]:
    """What the script's fault puts on the wire: the error frame, a dropped connection, a pause or a broken frame."""
    if script.fault == "error":
        yield error_frame
    elif script.fault == "disconnect":
        raise StreamDisconnect
    elif script.fault == "stall":
        await asyncio.sleep(script.stall_ms / 1000)
    elif script.fault == "malformed":
        yield malformed


async def stream_body(frames: Sequence[Frame], script: StreamScript, error_body: JSON | None) -> AsyncIterator[bytes]:
    """The SSE body: frames, then ``data: [DONE]`` unless a fault ends or spoils the stream."""
    error_frame = sse.encode(error_body or {"error": {"message": "stream failed"}})
    for position, (frame, wait) in enumerate(zip(frames, gaps(frames, script), strict=True)):
        if script.fault is not None and position == script.fault_after:
            async for piece in run_fault(script, error_frame):
                yield piece
            if script.fault == "error":
                return
        if wait > 0:
            await asyncio.sleep(wait)
        if script.keepalive_every and position and position % script.keepalive_every == 0:
            yield sse.KEEPALIVE
        yield sse.encode(frame.data)
    if script.fault is not None and script.fault_after >= len(frames):
        # A fault scheduled after the last chunk still happens, just before the end of the stream.
        async for piece in run_fault(script, error_frame):
            yield piece
        if script.fault in ("error", "disconnect"):
            return
    if script.fault != "no_done":
        yield sse.DONE
