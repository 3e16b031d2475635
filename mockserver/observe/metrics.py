"""Prometheus metrics of one app, in a registry of its own (tests start many apps in one process)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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


class Metrics:
    """The counters, histogram and gauge ``GET /__mock__/metrics`` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            f"{PREFIX}_requests",
            "Model requests, by endpoint, HTTP status and the fixture that answered.",
            ["endpoint", "status", "fixture"],
            registry=registry,
        )
        self.tokens = Counter(
            f"{PREFIX}_tokens",
            "Tokens billed, by model and direction (in: prompt, out: completion).",
            ["model", "direction"],
            registry=registry,
        )
        self.cost = Counter(f"{PREFIX}_cost_usd", "USD billed, by model.", ["model"], registry=registry)
        self.latency = Histogram(
            f"{PREFIX}_request_latency_seconds",
            "Time to the answer's first byte (whole body, or start of the stream), by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.misses = Counter(
            f"{PREFIX}_misses",
            "Requests no fixture matched, by endpoint and outcome (strict: a 404; generated: a made-up reply).",
            ["endpoint", "outcome"],
            registry=registry,
        )
        self.warnings = Counter(
            f"{PREFIX}_warnings", "Warnings journaled with requests, by endpoint.", ["endpoint"], registry=registry
        )
        self.streams = Gauge(f"{PREFIX}_streams_in_flight", "Streamed replies being written now.", registry=registry)
        self._children: dict[tuple[object, ...], Any] = {}

    def _child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """The labelled series, looked up once: ``labels()`` costs more than the increment itself, on every request."""
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def record(self, entry: JournalEntry) -> None:
        """Count one journaled request."""
        endpoint = entry.endpoint
        self._child(self.requests, endpoint, str(entry.status), fixture_label(entry)).inc()
        self._child(self.latency, endpoint).observe(entry.latency_ms / 1000)
        if entry.model is not None:
            prompt, completion = _tokens(entry.usage)
            if prompt:
                self._child(self.tokens, entry.model, "in").inc(prompt)
            if completion:
                self._child(self.tokens, entry.model, "out").inc(completion)
            if entry.cost_usd:
                self._child(self.cost, entry.model).inc(entry.cost_usd)
        if entry.generated:
            self._child(self.misses, endpoint, "generated").inc()
        elif entry.near_miss is not None:
            self._child(self.misses, endpoint, "strict").inc()
        warnings = getattr(entry, "warnings", None)  # journaled by the fixture engine where it has them
        if warnings:
            self._child(self.warnings, endpoint).inc(len(warnings))

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
