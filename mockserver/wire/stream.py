"""The one stream writer for every SSE surface: pacing (time to first token, tokens/s, seeded jitter, or recorded
offsets), keep-alive comments and the scripted faults.

A stream is a list of encoded pieces followed by an end piece: ``data: [DONE]`` for chat, the final
``response.completed`` event for Responses, the recorded terminator for a replayed recording. A fault strikes
before piece ``fault_after`` (before the end piece when ``fault_after`` is past the last one):

- ``error`` sends the surface's error frame and ends the stream (no end piece);
- ``disconnect`` drops the connection;
- ``stall`` pauses ``stall_ms`` and carries on;
- ``malformed`` sends a frame that is not valid JSON and carries on;
- ``no_done`` (at the end only) leaves out the end piece.

Waits are kept as deadlines from the start of the stream, so sleep overshoot never adds up over a long answer.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from mockserver.config import Settings
from mockserver.errors import StreamDisconnect
from mockserver.schema import RecordedFrame, Reply, StreamScript
from mockserver.types import JSON
from mockserver.wire import sse
from mockserver.wire.answer import Answer, sse_answer
from mockserver.wire.headers import SSE_HEADERS


@dataclass(frozen=True, slots=True)
class Frame:
    """One event to send and how many tokens it carries (for pacing)."""

    data: JSON
    tokens: int = 1


@dataclass(frozen=True)
class Stream:
    """Everything the writer sends, and when."""

    pieces: Sequence[bytes]
    waits: Sequence[float]  # seconds before each piece
    end: bytes  # sent last unless a fault ends or spoils the stream; may be empty
    script: StreamScript
    error_frame: Callable[[int], bytes]  # the surface's in-band error, given the position it strikes at
    malformed: bytes  # the surface's broken frame


def gaps(frames: Sequence[Frame], script: StreamScript) -> list[float]:
    """Seconds to wait before each frame; deterministic for a given script seed."""
    return token_waits([frame.tokens for frame in frames], script)


def token_waits(tokens: Sequence[int], script: StreamScript) -> list[float]:
    """Seconds to wait before each of the frames carrying ``tokens``; deterministic for a given script seed."""
    if not script.ttft_ms and not script.tokens_per_second:
        return [0.0] * len(tokens)  # no pacing: every wait is zero, and jitter only scales non-zero waits
    rng = random.Random(script.seed)
    waits = []
    for position, count in enumerate(tokens):
        if position == 0:
            wait = script.ttft_ms / 1000
        elif script.tokens_per_second:
            wait = count / script.tokens_per_second
        else:
            wait = 0.0
        if wait and script.jitter:
            wait *= 1 + script.jitter * (2 * rng.random() - 1)
        waits.append(wait)
    return waits


def recorded_waits(frames: Sequence[RecordedFrame], speed: float) -> list[float]:
    """Seconds between recorded frames, scaled by ``speed``; all zero when ``speed`` is 0."""
    if speed <= 0:
        return [0.0] * len(frames)
    offsets = [frame.t_ms / 1000 / speed for frame in frames]
    return [max(0.0, now - before) for before, now in zip([0.0, *offsets], offsets, strict=False)]


def default_script(settings: Settings, script: StreamScript | None) -> StreamScript:
    """A reply's stream script, or the server's default latency profile (no delay unless configured)."""
    if script is not None:
        return script
    return StreamScript(ttft_ms=settings.ttft_ms, tokens_per_second=settings.tokens_per_second, jitter=settings.jitter)


def reply_delay(settings: Settings, reply: Reply, output_tokens: int) -> float:
    """Seconds before a non-streamed reply: its ``delay_ms``, else the default latency profile's whole answer."""
    if reply.delay_ms or reply.stream is not None:
        return reply.delay_ms / 1000
    pace = output_tokens / settings.tokens_per_second if settings.tokens_per_second else 0.0
    return settings.ttft_ms / 1000 + pace


async def _fault(stream: Stream, position: int) -> AsyncIterator[bytes]:
    fault = stream.script.fault
    if fault == "error":
        yield stream.error_frame(position)
    elif fault == "disconnect":
        raise StreamDisconnect
    elif fault == "stall":
        await asyncio.sleep(stream.script.stall_ms / 1000)
    elif fault == "malformed":
        yield stream.malformed


def _unpaced(stream: Stream) -> bool:
    """No wait, no keep-alive and no fault that strikes mid-stream: the whole body can go out in one write."""
    script = stream.script
    return script.fault in (None, "no_done") and not script.keepalive_every and not any(stream.waits)


def _whole(stream: Stream) -> bytes:
    return b"".join([*stream.pieces, stream.end if stream.script.fault != "no_done" else b""])


def stream_answer(stream: Stream, headers: dict[str, str]) -> Answer:
    """The stream as an answer: written on time piece by piece, or, when nothing is timed, one whole body.

    A whole body has a ``content-length`` instead of chunked encoding and skips the server's per-stream task
    machinery; the bytes are the same events, which every SSE client reads the same way.
    """
    if _unpaced(stream):
        return Answer({**headers, **SSE_HEADERS}, _whole(stream))
    return sse_answer(write(stream), headers)


async def write(stream: Stream) -> AsyncIterator[bytes]:
    """The body of the stream, piece by piece, on time; all in one piece when nothing is timed.

    One write instead of one per event saves a trip through the server per event; the bytes are the same, so every
    SSE client sees the same events (only how they are split across reads changes, which SSE leaves open).
    """
    script = stream.script
    if _unpaced(stream):
        yield _whole(stream)
        return
    fault_at = min(script.fault_after, len(stream.pieces)) if script.fault not in (None, "no_done") else None
    loop = asyncio.get_running_loop()
    due = loop.time()
    for position in range(len(stream.pieces) + 1):
        if position == fault_at:
            async for piece in _fault(stream, position):
                yield piece
            if script.fault == "error":
                return
            due = loop.time()  # after a stall, pacing resumes from now rather than catching up
        if position == len(stream.pieces):
            break
        wait = stream.waits[position]
        if wait > 0:
            due += wait
            await asyncio.sleep(max(0.0, due - loop.time()))
        if script.keepalive_every and position and position % script.keepalive_every == 0:
            yield sse.KEEPALIVE
        yield stream.pieces[position]
    if script.fault != "no_done" and stream.end:
        yield stream.end
