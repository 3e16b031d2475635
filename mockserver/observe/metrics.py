"""Prometheus metrics of one app, in a registry of its own (tests start many apps in one process)."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from mockserver.journal import JournalEntry

PREFIX = "clarifai_mock"
# Seconds; the mock answers most requests in a millisecond or two, and paced replies take seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
NO_FIXTURE = "(none)"
GENERATED = "(generated)"


def fixture_label(entry: JournalEntry) -> str:
    """What answered: a fixture or recording name, ``(generated)`` for an unmatched generated reply, else ``(none)``."""
    if entry.fixture:
        return entry.fixture
    return GENERATED if entry.generated else NO_FIXTURE


def _tokens(usage: object) -> tuple[int, int]:
    """Prompt and completion tokens of a journaled usage (chat and embeddings, or Responses' input and output)."""
    if not isinstance(usage, dict):
        return 0, 0
    prompt = usage.get("prompt_tokens", usage.get("input_tokens", 0))
    completion = usage.get("completion_tokens", usage.get("output_tokens", 0))
    return (prompt if isinstance(prompt, int) else 0), (completion if isinstance(completion, int) else 0)


Labels = tuple[str, ...]
Tally = dict[Labels, float]  # a count (or USD) per label values


class _Latency:
    """One endpoint's latency histogram: a count per bucket (not cumulative) and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.total = 0.0


class Metrics:
    """The counters, histogram and gauge ``GET /__mock__/metrics`` exposes.

    Requests are tallied in plain dicts under one lock and turned into metric families only when scraped: five
    ``prometheus_client`` series updates (each with its own lock) cost more per request than the rest of the
    bookkeeping together.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._lock = threading.Lock()
        self._requests: Tally = {}
        self._tokens: Tally = {}
        self._cost: Tally = {}
        self._misses: Tally = {}
        self._warnings: Tally = {}
        self._latency: dict[str, _Latency] = {}
        self.registry.register(_Families(self))
        in_flight = "Streamed replies being written now."
        self.streams = Gauge(f"{PREFIX}_streams_in_flight", in_flight, registry=self.registry)

    def record(self, entry: JournalEntry) -> None:
        """Count one journaled request."""
        endpoint = entry.endpoint
        seconds = entry.latency_ms / 1000
        bucket = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        with self._lock:
            _add(self._requests, (endpoint, str(entry.status), fixture_label(entry)), 1)
            latency = self._latency.get(endpoint)
            if latency is None:
                latency = self._latency[endpoint] = _Latency()
            latency.counts[bucket] += 1
            latency.total += seconds
            if entry.model is not None:
                self._model_counts(entry, entry.model)
            if entry.generated:
                _add(self._misses, (endpoint, "generated"), 1)
            elif entry.near_miss is not None:
                _add(self._misses, (endpoint, "strict"), 1)
            if entry.warnings:
                _add(self._warnings, (endpoint,), len(entry.warnings))

    def _model_counts(self, entry: JournalEntry, model: str) -> None:
        prompt, completion = _tokens(entry.usage)
        if prompt:
            _add(self._tokens, (model, "in"), prompt)
        if completion:
            _add(self._tokens, (model, "out"), completion)
        if entry.cost_usd:
            _add(self._cost, (model,), entry.cost_usd)

    def families(self) -> list[Metric]:
        """The tallies as Prometheus metric families, read under the lock."""
        with self._lock:
            return [
                _counter("requests", "Model requests, by endpoint, HTTP status and the fixture that answered.",
                         ["endpoint", "status", "fixture"], self._requests),
                _counter("tokens", "Tokens billed, by model and direction (in: prompt, out: completion).",
                         ["model", "direction"], self._tokens),
                _counter("cost_usd", "USD billed, by model.", ["model"], self._cost),
                self._histogram(),
                _counter("misses", "Requests no fixture matched, by endpoint and outcome (strict: a 404; generated: "
                         "a made-up reply).", ["endpoint", "outcome"], self._misses),
                _counter("warnings", "Warnings journaled with requests, by endpoint.", ["endpoint"], self._warnings),
            ]  # fmt: skip

    def _histogram(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            f"{PREFIX}_request_latency_seconds",
            "Time to the answer's first byte (whole body, or start of the stream), by endpoint.",
            labels=["endpoint"],
        )
        bounds = [*map(floatToGoString, LATENCY_BUCKETS), "+Inf"]
        for endpoint, latency in self._latency.items():
            cumulative, running = [], 0
            for bound, count in zip(bounds, latency.counts, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            family.add_metric([endpoint], cumulative, latency.total)
        return family

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def _add(tally: Tally, labels: Labels, amount: float) -> None:
    tally[labels] = tally.get(labels, 0) + amount


def _counter(name: str, documentation: str, labels: list[str], tally: Tally) -> Metric:
    family = CounterMetricFamily(f"{PREFIX}_{name}", documentation, labels=labels)
    for values, amount in tally.items():
        family.add_metric(list(values), float(amount))
    return family


class _Families(Collector):
    """The registry's view of a ``Metrics``' tallies."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self._metrics.families())
