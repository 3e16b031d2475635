"""The request journal: a bounded ring buffer of what each request was, what answered it and what it cost."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from mockserver.types import JSON


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
    status: int = 0
    stream: bool = False
    usage: JSON | None = None
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    retry_count: int = 0
    request: JSON | None = None
    miss: Callable[[], str] | None = field(default=None, repr=False, compare=False)  # builds the near-miss report

    def report(self) -> str | None:
        """The near-miss report of an unmatched request (built now if it was deferred), else ``None``."""
        if self.near_miss is None and self.miss is not None:
            self.near_miss = self.miss()
        return self.near_miss

    def to_json(self) -> JSON:
        """The entry as sent by ``GET /__mock__/journal``."""
        self.report()
        return {f.name: json_safe(getattr(self, f.name)) for f in fields(self) if f.name != "miss"}


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
