"""The one observer the turn pipeline calls: it keeps each reply (and a stream's timed frames) and counts metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator
from typing import Protocol

from mockserver.journal import FRAME_LIMIT, JournalEntry
from mockserver.observe.metrics import Metrics

BODY_LIMIT = 256 * 1024  # larger replies (big embedding batches) are journaled truncated


class Reply(Protocol):
    """What the observer reads of an answer: its whole body, or its stream of pieces, and its headers."""

    headers: dict[str, str]
    body: bytes
    stream: AsyncIterator[bytes] | None
    compact: bool


class Observer:
    """Metrics plus per-fixture hit counts; thread-safe, cheap enough to run on every request."""

    def __init__(self) -> None:
        self.metrics = Metrics()
        self._hits: dict[tuple[str | None, str], int] = {}
        self._lock = threading.Lock()

    def answered(self, entry: JournalEntry, reply: Reply) -> None:
        """Keep ``reply`` in ``entry``: the body now, a stream's frames as they are written."""
        if reply.stream is None and reply.headers.get("content-type") == "text/event-stream":
            self._whole_stream(entry, reply.body)  # an unpaced stream is sent as one body: its frames, all at once
            return
        if reply.stream is None:
            # A copy, cut to size: orjson's bytes keep their whole write buffer (~4-8 KiB for a 1 KiB body), which
            # a journal of a thousand entries would hold on to; a compact body is kept as it is.
            body = reply.body
            entry.body = body if reply.compact and len(body) <= BODY_LIMIT else bytes(memoryview(body)[:BODY_LIMIT])
            return
        reply.stream = self._watch(reply.stream, entry, time.perf_counter())

    @staticmethod
    def _whole_stream(entry: JournalEntry, body: bytes) -> None:
        # Kept as the one body (split when read), timed when journaled: its frames all went out when the answer did.
        entry.frames_dropped += entry.kept_frames.keep_whole(body, FRAME_LIMIT)

    async def _watch(self, pieces: AsyncIterator[bytes], entry: JournalEntry, ready: float) -> AsyncIterator[bytes]:
        # Frame times count from the request: the answer was ready ``latency_ms`` after it (journaled by then, as the
        # stream is written only after the pipeline returns), and ``ready`` is that moment on this clock.
        self.metrics.streams.inc()
        entry.streaming = True
        try:
            async for piece in pieces:
                if len(entry.kept_frames) < FRAME_LIMIT:
                    ms = round(entry.latency_ms + (time.perf_counter() - ready) * 1000, 3)
                    entry.kept_frames.add(piece, ms)
                else:
                    entry.frames_dropped += 1
                yield piece
        finally:
            entry.streaming = False
            self.metrics.streams.dec()
            close = getattr(pieces, "aclose", None)
            if close is not None:  # a client that hung up must still end the writer now, not at garbage collection
                await close()

    def journaled(self, entry: JournalEntry) -> None:
        """Count a request the pipeline has just journaled."""
        self.metrics.record(entry)
        if entry.fixture and not entry.generated:
            with self._lock:
                key = (entry.namespace, entry.fixture)
                self._hits[key] = self._hits.get(key, 0) + 1

    def hits(self, namespace: str | None = None) -> dict[str, int]:
        """Requests each fixture answered, by name: in ``namespace``, or in every namespace when ``None``."""
        counts: dict[str, int] = {}
        with self._lock:
            for (space, name), count in self._hits.items():
                if namespace is None or space == namespace:
                    counts[name] = counts.get(name, 0) + count
        return counts

    def forget(self) -> None:
        """Reset hit counts; metrics keep counting, as Prometheus expects."""
        with self._lock:
            self._hits.clear()
