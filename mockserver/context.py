"""The state one app holds (settings, catalog, fixtures, journal, ledger) and the typed way handlers reach it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.requests import Request

from mockserver.clarifai.auth import Caller
from mockserver.clarifai.catalog import Catalog
from mockserver.clarifai.ledger import Ledger
from mockserver.clarifai.limits import RateLimiter, check_limits
from mockserver.config import NoMatch, Settings
from mockserver.fixtures.reload import Reloader
from mockserver.fixtures.store import FixtureStore
from mockserver.journal import Journal
from mockserver.observe.observer import Observer
from mockserver.record.recorder import Recorder
from mockserver.record.upstream import UpstreamClient
from mockserver.wire.headers import NAMESPACE_HEADER

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A bounded, thread-safe memo of pure work: past ``size`` entries the oldest is forgotten."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: dict[K, V] = {}
        self._lock = threading.Lock()
        # What was kept for a key, else ``None``: the dict's own ``get``, as memos sit on every request's path.
        self.get: Callable[[K], V | None] = self._found.get

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``."""
        with self._lock:
            if len(self._found) >= self.size:
                del self._found[next(iter(self._found))]
            self._found[key] = value


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
    observer: Observer = field(default_factory=Observer)  # metrics, fixture hit counts and kept replies
    # What the pipeline works out from a request body alone (its turn, model and hash), per endpoint and body.
    prepared: Memo[tuple[str, bytes], Any] = field(default_factory=lambda: Memo(256))
    # The caller each Authorization value authenticates as: a function of that value and the settings alone.
    callers: Memo[str, Caller] = field(default_factory=lambda: Memo(256))

    def throttle(self, caller: Caller) -> None:
        """Raise Clarifai's billing or throttling error when ``caller`` may not call now."""
        if caller.rate_limit is None and not self.settings.pat_budgets:  # most servers: nothing to check
            return
        check_limits(caller, self.settings.pat_budgets, self.ledger.spent, self.limiter)

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

    def bind_namespace(self, namespace: str, pat: str | None = None, no_match: NoMatch | None = None) -> None:
        """Start a namespace afresh: requests with ``pat`` land in it, and unmatched ones get ``no_match``."""
        self.reset(namespace)
        if pat is not None:
            self.pat_namespaces[pat] = namespace
        if no_match is None:
            self.namespaces.pop(namespace, None)
        else:
            self.namespaces[namespace] = NamespaceConfig(no_match=no_match)

    def release_namespace(self, namespace: str, pat: str | None = None) -> None:
        """Forget a namespace and unbind ``pat`` from it."""
        self.reset(namespace)
        self.namespaces.pop(namespace, None)
        if pat is not None and self.pat_namespaces.get(pat) == namespace:
            del self.pat_namespaces[pat]

    def use_recorder(self, recorder: Recorder | None) -> Recorder | None:
        """Record and replay with ``recorder`` from now on (``None``: stop); the previous one is returned."""
        previous, self.recorder = self.recorder, recorder
        return previous

    def reset(self, namespace: str | None = None) -> None:
        """Forget run-time fixtures, counters, journal and ledger of ``namespace`` (everything when ``None``)."""
        self.store.reset(namespace)
        if self.recorder is not None:
            self.recorder.reset(namespace)
        self.journal.clear(namespace)
        self.ledger.clear(namespace)
        if namespace is None:
            self.limiter.reset()
            self.observer.forget()  # hit counts outlive a test's namespace: the inspector shows them for the run


def context(request: Request) -> AppContext:
    """The ``AppContext`` of the app serving ``request``."""
    ctx: AppContext = request.app.state.mock
    return ctx
