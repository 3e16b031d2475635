"""May this PAT call now: its budget, and a token bucket per PAT like Clarifai's requests-per-second limit."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from mockserver import errors
from mockserver.clarifai.auth import Caller


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


def check_limits(
    caller: Caller, budgets: Mapping[str, float], spent: Callable[[str], float], limiter: RateLimiter
) -> None:
    """May ``caller`` call now? Raise Clarifai's billing error once its budget is spent, and its 429 ``11005`` when
    it is over its requests-per-second limit."""
    budget = budgets.get(caller.pat)
    if budget is not None and spent(caller.fingerprint) >= budget:
        raise errors.out_of_credit()
    if caller.rate_limit is None:
        return
    wait = limiter.acquire(caller.pat, caller.rate_limit)
    if wait is not None:
        raise errors.throttled(caller.rate_limit, wait)
