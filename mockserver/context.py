"""The state one app holds (settings, catalog, limiter, fixtures, journal) and the typed way handlers reach it."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from mockserver import errors
from mockserver.auth import Caller
from mockserver.catalog import Catalog
from mockserver.config import Settings
from mockserver.ratelimit import RateLimiter


@dataclass
class AppContext:
    """Everything a handler needs besides the request."""

    settings: Settings
    catalog: Catalog
    limiter: RateLimiter = field(default_factory=RateLimiter)

    def throttle(self, caller: Caller) -> None:
        """Raise Clarifai's 429 ``11005`` when the caller is over its requests-per-second limit."""
        if caller.rate_limit is None:
            return
        wait = self.limiter.acquire(caller.pat, caller.rate_limit)
        if wait is not None:
            raise errors.throttled(caller.rate_limit, wait)


def context(request: Request) -> AppContext:
    """The ``AppContext`` of the app serving ``request``."""
    ctx: AppContext = request.app.state.mock
    return ctx


def request_id(request: Request) -> str:
    """The id sent back as ``x-clarifai-request-id`` (and as ``req_id`` in error bodies)."""
    rid: str = request.scope["state"]["req_id"]
    return rid


def pin_request_id(request: Request, rid: str) -> None:
    """Replace the request id, when a seed pins it to the request."""
    request.scope["state"]["req_id"] = rid
