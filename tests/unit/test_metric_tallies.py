"""The metrics tallies, read back through the Prometheus text format the way a scraper reads them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from mockserver.journal import JournalEntry
from mockserver.observe.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def entry(latency_ms: float, **fields: object) -> JournalEntry:
    return JournalEntry(endpoint="chat.completions", status=200, latency_ms=latency_ms, **fields)  # type: ignore[arg-type]


def test_latency_buckets_hold_values_up_to_and_including_their_bound() -> None:
    metrics = Metrics()
    for ms in (0.5, 0.7, 1.0, 40.0):
        metrics.record(entry(ms))
    found = samples(metrics)

    def bucket(le: str) -> float:
        return found[("clarifai_mock_request_latency_seconds_bucket", (("endpoint", "chat.completions"), ("le", le)))]

    assert [bucket("0.0005"), bucket("0.001"), bucket("0.025"), bucket("0.05"), bucket("+Inf")] == [1, 3, 3, 4, 4]
    summed = found[("clarifai_mock_request_latency_seconds_sum", (("endpoint", "chat.completions"),))]
    assert abs(summed - 0.0422) < 1e-9


def test_requests_tokens_cost_and_misses_add_up_per_label() -> None:
    metrics = Metrics()
    usage = {"prompt_tokens": 10, "completion_tokens": 4}
    for _ in range(3):
        metrics.record(entry(1.0, model="m", fixture="hello", usage=usage, cost_usd=0.25))
    metrics.record(entry(1.0, model="m", generated=True, usage={"input_tokens": 2, "output_tokens": 1}))
    metrics.record(entry(1.0, near_miss="No fixture matched", warnings=["a", "b"]))
    found = samples(metrics)
    chat = ("endpoint", "chat.completions")
    requests = "clarifai_mock_requests_total"
    assert found[(requests, (chat, ("fixture", "hello"), ("status", "200")))] == 3
    assert found[(requests, (chat, ("fixture", "(generated)"), ("status", "200")))] == 1
    assert found[(requests, (chat, ("fixture", "(none)"), ("status", "200")))] == 1
    assert found[("clarifai_mock_tokens_total", (("direction", "in"), ("model", "m")))] == 32
    assert found[("clarifai_mock_tokens_total", (("direction", "out"), ("model", "m")))] == 13
    assert found[("clarifai_mock_cost_usd_total", (("model", "m"),))] == 0.75
    assert found[("clarifai_mock_misses_total", (chat, ("outcome", "generated")))] == 1
    assert found[("clarifai_mock_misses_total", (chat, ("outcome", "strict")))] == 1
    assert found[("clarifai_mock_warnings_total", (chat,))] == 2
