"""The request journal: a bounded ring buffer of what each request was, what answered it and what it cost."""

from __future__ import annotations

import json
import math
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from mockserver.json_body import decode_json_object
from mockserver.types import JSON

FRAME_LIMIT = 500  # frames kept per stream (the journal holds up to a thousand entries); later ones are counted


class Frames:
    """A stream's pieces as sent, kept compactly (a journal holds a thousand entries): the bytes of a stream sent as
    one body, or each piece's bytes and time; the ``{"ms", "data"}`` dicts are made only when someone reads them."""

    __slots__ = ("_pieces", "_times", "_whole")

    def __init__(self) -> None:
        self._whole = b""  # a stream sent as one body, split into its frames when read
        # Made on the first piece: most entries are no stream, and a journal holds a thousand of them.
        self._pieces: list[bytes] | None = None
        self._times: array[float] | None = None  # ms since the request, one per piece

    def __len__(self) -> int:
        return len(self._pieces or ()) or len(_split(self._whole))

    def keep_whole(self, body: bytes, limit: int) -> int:
        """Keep the first ``limit`` frames of a stream sent as one body; the number of frames left out."""
        # Every frame ends in a blank line, so it holds two newlines at least; counting one byte is ten times faster
        # than counting the pair. Fewer than ``limit`` frames: keep the body as it is, split nothing now.
        if body.count(b"\n") // 2 < limit:
            self._whole = body
            return 0
        frames = _split(body)
        self._whole = b"".join(frames[:limit])
        return max(0, len(frames) - limit)

    def add(self, piece: bytes, ms: float) -> None:
        """Keep one piece of a stream written piece by piece, sent ``ms`` after the request."""
        if self._pieces is None or self._times is None:
            self._pieces, self._times = [], array("d")
        self._times.append(ms)
        self._pieces.append(piece)

    def read(self, whole_ms: float) -> list[JSON]:
        """The frames as the journal shows them; a whole body's frames all went out at ``whole_ms``."""
        if self._whole:
            return [{"ms": whole_ms, "data": piece.decode("utf-8", "replace")} for piece in _split(self._whole)]
        # not strict: a stream being written may have one more time than pieces at this instant
        timed = zip(self._times or (), self._pieces or (), strict=False)
        return [{"ms": ms, "data": piece.decode("utf-8", "replace")} for ms, piece in timed]


def _split(body: bytes) -> list[bytes]:
    """The frames of an SSE body: each piece between blank lines, with its blank line."""
    return [piece + b"\n\n" for piece in body.split(b"\n\n") if piece]


def _decoded(body: bytes) -> JSON:
    """A reply body as JSON; one that is not a JSON object (or was cut short) is kept as text."""
    try:
        value = json.loads(body)
    except ValueError:
        return {"text": body.decode("utf-8", "replace")}
    return value if isinstance(value, dict) else {"value": value}


class Reportable(Protocol):
    """What a generated reply's entry keeps of its miss (``fixtures.store.Miss``): the near-miss report, on demand."""

    def report(self) -> str:
        """The report, built now."""
        ...


class _DecodedOnRead:
    """The ``request`` field: a dict given as is, or ``request_body`` decoded the first time it is read. The pipeline
    keeps the bytes it received: most entries are never read, and bytes cost a journal of a thousand entries far less
    to hold than the decoded objects (which matching shares between requests with the same body)."""

    def __get__(self, entry: JournalEntry | None, owner: object = None) -> JSON | None:
        if entry is None:  # the dataclass asks for the field's default
            return None
        found: JSON | None = entry.__dict__.get("_request")
        if found is None and entry.request_body is not None:
            found = entry.__dict__["_request"] = decode_json_object(entry.request_body)
        return found

    def __set__(self, entry: JournalEntry, value: JSON | None) -> None:
        entry.__dict__["_request"] = value


@dataclass
class JournalEntry:
    """One request. Holds a PAT fingerprint, never the PAT."""

    seq: int = 0
    time: float = field(default_factory=time.time)
    namespace: str | None = None
    method: str = ""
    path: str = ""
    endpoint: str = ""
    model: str | None = None
    pat: str | None = None
    fixture: str | None = None
    generated: bool = False
    near_miss: str | None = None
    warnings: list[str] = field(default_factory=list)  # what the reply got wrong that nobody asked for
    status: int = 0
    stream: bool = False
    usage: JSON | None = None
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    retry_count: int = 0
    request: _DecodedOnRead = _DecodedOnRead()  # read as JSON | None
    response: JSON | None = None  # the reply body as sent (decoded from ``body`` when read); streams keep frames
    kept_frames: Frames = field(default_factory=Frames, repr=False, compare=False)  # read as ``frames``
    frames_dropped: int = 0  # pieces past the observer's limit, counted only
    streaming: bool = False  # the stream is being written now (frames still to come)
    error: str | None = None  # an error answer's message
    body: bytes | None = field(default=None, repr=False, compare=False)  # raw reply, decoded only if someone reads
    miss: Reportable | None = field(default=None, repr=False, compare=False)  # builds the near-miss report if read
    request_body: bytes | None = field(default=None, repr=False, compare=False)  # decoded into ``request`` if read
    # A stream sent as one body, kept whole: ``to_json`` cuts it into ``frames`` (all timed at ``latency_ms``, when it
    # went out), as it decodes ``body`` into ``response``; most entries are never read.

    @classmethod
    def begin(cls, namespace: str | None, method: str, path: str, endpoint: str, retry_count: int) -> JournalEntry:
        """The entry of a request the pipeline starts on, as ``JournalEntry(namespace=..., ...)`` would make it.

        Every request makes one, and the generated ``__init__`` assigns all 27 fields (a microsecond a request); here
        only these and the mutable defaults are set, and the rest read the class's defaults until they are set.
        """
        entry = cls.__new__(cls)
        entry.namespace, entry.method, entry.path, entry.endpoint = namespace, method, path, endpoint
        entry.retry_count, entry.time, entry.warnings, entry.kept_frames = retry_count, time.time(), [], Frames()
        return entry

    def warn(self, text: str) -> None:
        """Note a warning (a template path that led nowhere, a tool call the request does not allow, ...): it is
        journaled, sent in ``x-mock-warnings`` and logged once the request is done."""
        if text not in self.warnings:
            self.warnings.append(text)

    def report(self) -> str | None:
        """The near-miss report of an unmatched request (built now if it was deferred), else ``None``."""
        if self.near_miss is None and self.miss is not None:
            self.near_miss = self.miss.report()
        return self.near_miss

    @property
    def frames(self) -> list[JSON]:
        """A stream's pieces, ``{"ms": since the request, "data": text}``, built from the compact copy now; the
        pieces of a stream sent as one body are timed when it was journaled (``latency_ms``)."""
        return self.kept_frames.read(self.latency_ms)

    def to_json(self) -> JSON:
        """The entry as sent by ``GET /__mock__/journal``."""
        self.report()
        if self.response is None and self.body is not None:
            self.response = _decoded(self.body)
        sent: JSON = {}
        for f in fields(self):
            if f.name == "kept_frames":
                sent["frames"] = self.frames
            elif f.name not in _UNSENT:
                sent[f.name] = json_safe(getattr(self, f.name))
        return sent


_UNSENT = ("miss", "body", "request_body")


_CUT = 128


def json_safe(value: Any, depth: int = 0) -> Any:
    """``value`` in a form strict JSON can always carry: non-finite floats become strings, deep nesting is cut.

    Requests are checked before they are journaled; this is the second line, so no entry can ever make
    ``GET /__mock__/journal`` fail (an error there would hide every other entry until a reset).
    """
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict | list) and depth >= _CUT:
        return f"<nested more than {_CUT} levels deep>"
    if isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v, depth + 1) for v in value]
    return value


class Journal:
    """Thread-safe, bounded, newest last; entries can be filtered by namespace (one pytest test)."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, entry: JournalEntry) -> None:
        """Append, numbering the entry."""
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)

    @property
    def last_seq(self) -> int:
        """The number of the newest entry ever added (clearing entries does not reuse their numbers)."""
        with self._lock:
            return self._seq

    def entries(self, namespace: str | None = None, **equal: Any) -> list[JournalEntry]:
        """Entries of ``namespace`` (all when ``None``) whose fields equal ``equal``."""
        with self._lock:
            found = list(self._entries)
        if namespace is not None:
            found = [e for e in found if e.namespace == namespace]
        return [e for e in found if all(getattr(e, k) == v for k, v in equal.items())]

    def clear(self, namespace: str | None = None) -> None:
        """Forget entries of ``namespace`` (all when ``None``)."""
        with self._lock:
            if namespace is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if e.namespace != namespace]
                self._entries.clear()
                self._entries.extend(kept)
