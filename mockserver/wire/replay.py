"""Replay recorded SSE frames: byte-faithful payloads, timing scaled by ``replay_speed``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from mockserver.schema import RecordedFrame
from mockserver.wire import sse


def frame_delays(frames: Sequence[RecordedFrame], speed: float) -> list[float]:
    """Seconds from the start of the reply to each frame: ``t_ms / speed``; all zero when ``speed`` is 0."""
    if speed <= 0:
        return [0.0] * len(frames)
    return [frame.t_ms / 1000 / speed for frame in frames]


async def replay_frames(frames: Sequence[RecordedFrame], speed: float) -> AsyncIterator[bytes]:
    """Each frame as ``data: <payload>`` exactly as recorded, sent when its (scaled) offset is due.

    Deadlines are measured from the first call, not chained from frame to frame, so sleep overshoot never
    accumulates over a long stream.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    for frame, due in zip(frames, frame_delays(frames, speed), strict=True):
        wait = start + due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        yield sse.encode_raw(frame.data)
