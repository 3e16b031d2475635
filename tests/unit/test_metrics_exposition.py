"""The metrics, counted without the Prometheus library, expose exactly what its own Counter, Histogram and Gauge
would for the same requests (``_created`` timestamps aside)."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from mockserver.journal import JournalEntry
from mockserver.observe.metrics import LATENCY_BUCKETS, Metrics, fixture_label


def _reference(entries: list[JournalEntry], streams: int) -> bytes:
    """The exposition of prometheus_client's own metrics after ``entries``, written out here by hand."""
    registry = CollectorRegistry()
    p = "clarifai_mock"
    requests = Counter(
        f"{p}_requests",
        "Model requests, by endpoint, HTTP status and the fixture that answered.",
        ["endpoint", "status", "fixture"],
        registry=registry,
    )
    tokens = Counter(
        f"{p}_tokens",
        "Tokens billed, by model and direction (in: prompt, out: completion).",
        ["model", "direction"],
        registry=registry,
    )
    cost = Counter(f"{p}_cost_usd", "USD billed, by model.", ["model"], registry=registry)
    latency = Histogram(
        f"{p}_request_latency_seconds",
        "Time to the answer's first byte (whole body, or start of the stream), by endpoint.",
        ["endpoint"],
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    misses = Counter(
        f"{p}_misses",
        "Requests no fixture matched, by endpoint and outcome (strict: a 404; generated: a made-up reply).",
        ["endpoint", "outcome"],
        registry=registry,
    )
    warnings = Counter(
        f"{p}_warnings", "Warnings journaled with requests, by endpoint.", ["endpoint"], registry=registry
    )
    gauge = Gauge(f"{p}_streams_in_flight", "Streamed replies being written now.", registry=registry)
    for e in entries:
        requests.labels(e.endpoint, str(e.status), fixture_label(e)).inc()
        latency.labels(e.endpoint).observe(e.latency_ms / 1000)
        usage = e.usage or {}
        if e.model is not None:
            if usage.get("prompt_tokens"):
                tokens.labels(e.model, "in").inc(usage["prompt_tokens"])
            if usage.get("completion_tokens"):
                tokens.labels(e.model, "out").inc(usage["completion_tokens"])
            if e.cost_usd:
                cost.labels(e.model).inc(e.cost_usd)
        if e.generated:
            misses.labels(e.endpoint, "generated").inc()
        elif e.near_miss is not None:
            misses.labels(e.endpoint, "strict").inc()
        if e.warnings:
            warnings.labels(e.endpoint).inc(len(e.warnings))
    gauge.set(streams)
    return generate_latest(registry)


def _entry(rng: random.Random) -> JournalEntry:
    usage = {"prompt_tokens": rng.randint(0, 40), "completion_tokens": rng.randint(0, 9)}
    return JournalEntry(
        endpoint=rng.choice(["chat.completions", "embeddings"]),
        status=rng.choice([200, 404]),
        fixture=rng.choice([None, "hello", 'quote"and\\slash']),
        generated=rng.random() < 0.3,
        model=rng.choice([None, "openai/chat-completion/models/gpt-4o"]),
        usage=rng.choice([None, usage]),
        cost_usd=rng.choice([0.0, rng.random() / 1000]),
        latency_ms=rng.choice([0.5, 1.0, 2.5, 1000.0, 45000.0, rng.random() * 100]),  # on bounds, between, past all
        near_miss=rng.choice([None, "closest: hello"]),
        warnings=rng.choice([[], ["one"], ["one", "two"]]),
    )


def _without_created(text: bytes) -> list[str]:
    return [line for line in text.decode().splitlines() if "_created" not in line]


def test_the_exposition_is_what_prometheus_client_itself_writes() -> None:
    rng = random.Random(7)
    entries = [_entry(rng) for _ in range(400)]
    metrics = Metrics()
    for entry in entries:
        metrics.record(entry)
    for _ in range(3):
        metrics.streams.inc()
    metrics.streams.dec()
    ours, reference = metrics.exposition(), _reference(entries, streams=2)
    assert _without_created(ours) == _without_created(reference)
    created = [line.rsplit(" ", 1)[0] for line in ours.decode().splitlines() if "_created" in line]
    assert created == [line.rsplit(" ", 1)[0] for line in reference.decode().splitlines() if "_created" in line]
    assert metrics.registry.get_sample_value("clarifai_mock_streams_in_flight") == 2


def test_no_request_yet_exposes_only_the_gauge() -> None:
    assert _without_created(Metrics().exposition()) == _without_created(_reference([], streams=0))
