"""Prometheus metrics of one app, in a registry of its own (tests start many apps in one process)."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mockserver.journal import JournalEntry

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

PREFIX = "clarifai_mock"
# Seconds; the mock answers most requests in a millisecond or two, and paced replies take seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
NO_FIXTURE = "(none)"
GENERATED = "(generated)"
# name, help, label names: the counters, in the order they are exposed
COUNTERS = (
    (
        "requests",
        "Model requests, by endpoint, HTTP status and the fixture that answered.",
        ("endpoint", "status", "fixture"),
    ),
    ("tokens", "Tokens billed, by model and direction (in: prompt, out: completion).", ("model", "direction")),
    ("cost_usd", "USD billed, by model.", ("model",)),
    (
        "misses",
        "Requests no fixture matched, by endpoint and outcome (strict: a 404; generated: a made-up reply).",
        ("endpoint", "outcome"),
    ),
    ("warnings", "Warnings journaled with requests, by endpoint.", ("endpoint",)),
)
Series = dict[tuple[str, ...], list[float]]  # label values -> [value, created]
LATENCY_HELP = "Time to the answer's first byte (whole body, or start of the stream), by endpoint."
STREAMS_HELP = "Streamed replies being written now."


def fixture_label(entry: JournalEntry) -> str:
    """What answered: a fixture or recording name, ``(generated)`` for an unmatched generated reply, else ``(none)``."""
    if entry.fixture:
        return entry.fixture
    return GENERATED if entry.generated else NO_FIXTURE


def _tokens(usage: object) -> tuple[int, int]:
    """Prompt and completion tokens of a journaled usage (chat and embeddings, or Responses' input and output)."""
    if not isinstance(usage, dict):
        return 0, 0
    prompt = usage.get("prompt_tokens")
    if prompt is None:
        prompt = usage.get("input_tokens", 0)
    completion = usage.get("completion_tokens")
    if completion is None:
        completion = usage.get("output_tokens", 0)
    return (prompt if isinstance(prompt, int) else 0), (completion if isinstance(completion, int) else 0)


class Level:
    """A gauge without labels (streams in flight): moved on the server's loop, read by the exposition."""

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self) -> None:
        """One more."""
        self.value += 1

    def dec(self) -> None:
        """One fewer."""
        self.value -= 1


class _Latency:
    """One endpoint's histogram: a count per bucket (not cumulative), the sum, and when it was first observed."""

    __slots__ = ("counts", "created", "total")

    def __init__(self) -> None:
        self.counts = [0.0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.total = 0.0
        self.created = time.time()


class _Row:
    """The series one kind of request counts in: its ``requests`` series, its endpoint's histogram, its ``misses``
    series (``None`` for a hit) and its model's billed tallies (``None`` without a model)."""

    __slots__ = ("latency", "misses", "requests", "tallies")

    def __init__(
        self,
        requests: list[float],
        latency: _Latency,
        misses: list[float] | None,
        tallies: list[list[float] | None] | None,
    ) -> None:
        self.requests, self.latency, self.misses, self.tallies = requests, latency, misses, tallies


class Metrics:
    """The counters, histogram and gauge ``GET /__mock__/metrics`` exposes.

    Counted in plain dictionaries, so neither the app's start (``prometheus_client`` takes ~12 ms to import) nor a
    request pays for the Prometheus library: it is imported when the metrics are first read, and turns the counts
    into the same families, samples and ``_created`` series as its own ``Counter``, ``Histogram`` and ``Gauge``.
    """

    def __init__(self) -> None:
        self._counts: dict[str, Series] = {name: {} for name, _, _ in COUNTERS}
        self._latency: dict[str, _Latency] = {}
        # What a request counts, by the entry's raw facts (endpoint, status, fixture, generated, strict miss, model),
        # so a request costs one lookup rather than building labels each time. Counts are never cleared.
        self._rows: dict[tuple[str, int, str | None, bool, bool, str | None], _Row] = {}
        # A model's ``tokens`` in, ``tokens`` out and ``cost_usd`` series, each once it has been counted.
        self._by_model: dict[str, list[list[float] | None]] = {}
        self.streams = Level()
        self._lock = threading.Lock()
        self._registry: CollectorRegistry | None = None

    def _inc(self, name: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
        self._series(name, labels)[0] += amount

    def _series(self, name: str, labels: tuple[str, ...]) -> list[float]:
        series = self._counts[name].get(labels)
        if series is None:
            series = self._counts[name][labels] = [0.0, time.time()]  # value, created
        return series

    def record(self, entry: JournalEntry) -> None:
        """Count one journaled request."""
        # Every request comes here, so the common path is one lookup: what an entry's facts count, found once.
        seconds = entry.latency_ms / 1000
        facts = (entry.endpoint, entry.status, entry.fixture, entry.generated, entry.near_miss is None, entry.model)
        with self._lock:
            row = self._rows.get(facts)
            if row is None:
                row = self._rows[facts] = self._row(entry)
            row.requests[0] += 1
            latency = row.latency
            latency.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1  # first bucket with seconds <= bound
            latency.total += seconds
            if row.misses is not None:
                row.misses[0] += 1
            if row.tallies is not None:
                self._bill(row.tallies, entry.model or "", entry.usage, entry.cost_usd)
            if entry.warnings:
                self._inc("warnings", (entry.endpoint,), len(entry.warnings))

    def _row(self, entry: JournalEntry) -> _Row:
        endpoint = entry.endpoint
        latency = self._latency.get(endpoint)
        if latency is None:
            latency = self._latency[endpoint] = _Latency()
        misses = None
        if entry.generated:
            misses = self._series("misses", (endpoint, "generated"))
        elif entry.near_miss is not None:
            misses = self._series("misses", (endpoint, "strict"))
        tallies = None
        if entry.model is not None:
            tallies = self._by_model.setdefault(entry.model, [None, None, None])
        requests = self._series("requests", (endpoint, str(entry.status), fixture_label(entry)))
        return _Row(requests, latency, misses, tallies)

    def _bill(self, tallies: list[list[float] | None], model: str, usage: object, cost: float | None) -> None:
        """Tokens and cost of one request; a series is made on its first non-zero amount, as a counter's would be."""
        prompt, completion = _tokens(usage)
        for index, amount in enumerate((prompt, completion, cost)):
            if amount:
                found = tallies[index]
                if found is None:
                    found = tallies[index] = self._billed_series(model, index)
                found[0] += amount

    def _billed_series(self, model: str, index: int) -> list[float]:
        if index == 2:
            return self._series("cost_usd", (model,))
        return self._series("tokens", (model, "in" if index == 0 else "out"))

    @property
    def registry(self) -> CollectorRegistry:
        """A Prometheus registry of this app's metrics alone, made on first use; it reads the live counts."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry

            registry = CollectorRegistry()
            registry.register(_Collector(self))
            self._registry = registry
        return self._registry

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def snapshot(self) -> tuple[dict[str, Series], dict[str, tuple[list[float], float, float]]]:
        """A consistent copy of the counts: counters by name and labels, and each endpoint's latency histogram."""
        with self._lock:
            counts = {name: {labels: list(v) for labels, v in series.items()} for name, series in self._counts.items()}
            latency = {e: (list(h.counts), h.total, h.created) for e, h in self._latency.items()}
        return counts, latency


class _Collector:
    """Turns a ``Metrics``' counts into Prometheus families, as ``prometheus_client``'s own metrics would."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client import metrics as library
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        created = getattr(library, "_use_created", True)  # PROMETHEUS_DISABLE_CREATED_SERIES, as the library reads it
        counts, latency = self._metrics.snapshot()
        for name, text, labels in COUNTERS[:3]:
            yield _counter(CounterMetricFamily(f"{PREFIX}_{name}", text, labels=labels), counts[name], created)
        histogram = HistogramMetricFamily(f"{PREFIX}_request_latency_seconds", LATENCY_HELP, labels=["endpoint"])
        bounds = [*map(repr, LATENCY_BUCKETS), "+Inf"]  # as the library writes ``le`` (repr for these bounds)
        for endpoint, (buckets, total, since) in latency.items():
            cumulative = [sum(buckets[: index + 1]) for index in range(len(buckets))]
            histogram.add_metric([endpoint], list(zip(bounds, cumulative, strict=True)), total)
            if created:
                histogram.add_sample(histogram.name + "_created", {"endpoint": endpoint}, since)
        yield histogram
        for name, text, labels in COUNTERS[3:]:
            yield _counter(CounterMetricFamily(f"{PREFIX}_{name}", text, labels=labels), counts[name], created)
        yield GaugeMetricFamily(f"{PREFIX}_streams_in_flight", STREAMS_HELP, value=self._metrics.streams.value)


def _counter(family: Any, series: Series, created: bool) -> Any:
    for labels, (value, since) in series.items():
        family.add_metric(list(labels), value, created=since if created else None)
    return family
