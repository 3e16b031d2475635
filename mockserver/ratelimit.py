"""Token buckets per PAT, so throttling behaves like Clarifai's requests-per-second limit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """One bucket per key, refilled at ``rate`` tokens/s up to a burst of ``rate`` (at least 1)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, rate: float) -> int | None:
        """Take a token; ``None`` when allowed, else the seconds to wait (for ``Retry-After``)."""
        burst = max(rate, 1.0)
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / rate))

    def reset(self) -> None:
        """Forget every bucket."""
        with self._lock:
            self._buckets.clear()
