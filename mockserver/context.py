"""The state one app holds (settings, catalog, fixtures, journal, ledger) and the typed way handlers reach it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request

from mockserver import errors
from mockserver.auth import Caller
from mockserver.catalog import Catalog
from mockserver.config import NoMatch, Settings
from mockserver.journal import Journal
from mockserver.ledger import Ledger
from mockserver.ratelimit import RateLimiter
from mockserver.recorder import Recorder
from mockserver.reload import Reloader
from mockserver.schema import Reply, StreamScript
from mockserver.store import FixtureStore
from mockserver.upstream import UpstreamClient

NAMESPACE_HEADER = "x-mock-namespace"


@dataclass
class NamespaceConfig:
    """Per-namespace (per-test) overrides set by the pytest plugin or the control API."""

    no_match: NoMatch | None = None


@dataclass
class AppContext:
    """Everything a handler needs besides the request."""

    settings: Settings
    catalog: Catalog
    store: FixtureStore = field(default_factory=FixtureStore)
    journal: Journal = field(default_factory=Journal)
    ledger: Ledger = field(default_factory=Ledger)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    namespaces: dict[str, NamespaceConfig] = field(default_factory=dict)
    pat_namespaces: dict[str, str] = field(default_factory=dict)
    reloader: Reloader | None = None
    loop: asyncio.AbstractEventLoop | None = None  # the serving loop, set at start-up (tests inspect its tasks)
    recorder: Recorder | None = None  # records and replays a recording file (record/replay settings)
    upstream: UpstreamClient = field(default_factory=UpstreamClient)  # opened on first forward, closed by the lifespan

    def throttle(self, caller: Caller) -> None:
        """Raise Clarifai's billing error once the caller's budget is spent, and its 429 ``11005`` when the caller
        is over its requests-per-second limit."""
        budget = self.settings.pat_budgets.get(caller.pat)
        if budget is not None and self.ledger.spent(caller.fingerprint) >= budget:
            raise errors.out_of_credit()
        if caller.rate_limit is None:
            return
        wait = self.limiter.acquire(caller.pat, caller.rate_limit)
        if wait is not None:
            raise errors.throttled(caller.rate_limit, wait)

    def reply_delay(self, reply: Reply, output_tokens: int) -> float:
        """Seconds before a non-streamed reply: its ``delay_ms``, else the default latency profile's whole answer."""
        if reply.delay_ms or reply.stream is not None:
            return reply.delay_ms / 1000
        settings = self.settings
        pace = output_tokens / settings.tokens_per_second if settings.tokens_per_second else 0.0
        return settings.ttft_ms / 1000 + pace

    def stream_script(self, script: StreamScript | None) -> StreamScript:
        """A reply's stream script, or the server's default latency profile (no delay unless configured)."""
        if script is not None:
            return script
        settings = self.settings
        return StreamScript(
            ttft_ms=settings.ttft_ms, tokens_per_second=settings.tokens_per_second, jitter=settings.jitter
        )

    def namespace(self, headers: Mapping[str, str], pat: str | None) -> str | None:
        """The test namespace of a request: its ``x-mock-namespace`` header, else the one its PAT is bound to."""
        found = headers.get(NAMESPACE_HEADER)
        if found:
            return found
        return self.pat_namespaces.get(pat) if pat else None

    def no_match(self, namespace: str | None) -> NoMatch:
        """What an unmatched request of ``namespace`` gets."""
        config = self.namespaces.get(namespace) if namespace else None
        return config.no_match if config and config.no_match else self.settings.no_match

    def reset(self, namespace: str | None = None) -> None:
        """Forget run-time fixtures, counters, journal and ledger of ``namespace`` (everything when ``None``)."""
        self.store.reset(namespace)
        if self.recorder is not None:
            self.recorder.store.reset(namespace)  # sequence counters of recordings
        self.journal.clear(namespace)
        self.ledger.clear(namespace)
        if namespace is None:
            self.limiter.reset()


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
