"""``/__mock__/metrics`` after real SDK requests, read back with ``prometheus_client``'s own parser: requests by
endpoint, status and fixture, tokens and cost equal to what the SDK and the ledger saw, latency, misses, warnings
and streams in flight; every app counts in a registry of its own."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mockserver import Fixture, MockServer, NoMatch, Settings, create_app

GPT4O = "openai/chat-completion/models/gpt-4o"
ADA = "openai/embed/models/text-embedding-ada-002"
PAT = "metrics-test-pat"
PREFIX = "clarifai_mock"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def mock() -> Iterator[MockServer]:
    """A fresh server (metrics are cumulative, so each test counts from zero) with one ``hello`` fixture."""
    with MockServer(Settings(port=0, reload=False)) as running:
        running.context.store.add(Fixture.model_validate({"name": "hello", "match": {"user": "hello"}, "reply": {}}))
        running.context.store.add(
            Fixture.model_validate(
                {
                    "name": "slow",
                    "match": {"user": "slow"},
                    "reply": {"content": " ".join(["word"] * 2000), "stream": {"tokens_per_second": 200}},
                }
            )
        )
        yield running


def scrape(mock: MockServer) -> Samples:
    response = httpx.get(f"{mock.url}/__mock__/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample, 0 when absent (a label set never seen has no sample)."""
    return samples.get((f"{PREFIX}_{name}", frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == f"{PREFIX}_{name}" and wanted <= have)


def test_counts_after_sdk_requests(mock: MockServer) -> None:
    mock.context.bind_namespace("strict", no_match=NoMatch.STRICT)
    prompt = completion = 0
    with openai.OpenAI(base_url=mock.base_url, api_key=PAT, max_retries=0) as sdk:
        for _ in range(2):
            done = sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello"}])
            assert done.usage is not None
            prompt, completion = prompt + done.usage.prompt_tokens, completion + done.usage.completion_tokens
        generated = sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "anything else"}])
        assert generated.usage is not None
        prompt, completion = prompt + generated.usage.prompt_tokens, completion + generated.usage.completion_tokens
        with pytest.raises(openai.NotFoundError):
            sdk.chat.completions.create(
                model=GPT4O,
                messages=[{"role": "user", "content": "no fixture for this"}],
                extra_headers={"x-mock-namespace": "strict"},
            )
        vectors = sdk.embeddings.create(model=ADA, input=["hello"])
    samples = scrape(mock)
    chat = "chat.completions"
    assert value(samples, "requests_total", endpoint=chat, status="200", fixture="hello") == 2
    assert value(samples, "requests_total", endpoint=chat, status="200", fixture="(generated)") == 1
    assert value(samples, "requests_total", endpoint=chat, status="404", fixture="(none)") == 1
    # ``hello`` names no endpoint in its match, so it answers the embeddings request too.
    assert value(samples, "requests_total", endpoint="embeddings", status="200", fixture="hello") == 1
    assert value(samples, "misses_total", endpoint=chat, outcome="strict") == 1
    assert value(samples, "misses_total", endpoint=chat, outcome="generated") == 1
    assert value(samples, "tokens_total", model=GPT4O, direction="in") == prompt
    assert value(samples, "tokens_total", model=GPT4O, direction="out") == completion
    assert value(samples, "tokens_total", model=ADA, direction="in") == vectors.usage.prompt_tokens
    ledger = mock.context.ledger.summary()
    assert total(samples, "cost_usd_total") == pytest.approx(ledger["cost_usd"])
    assert value(samples, "cost_usd_total", model=GPT4O) > 0
    assert value(samples, "request_latency_seconds_count", endpoint=chat) == 4
    assert value(samples, "request_latency_seconds_bucket", endpoint=chat, le="+Inf") == 4
    assert total(samples, "warnings_total") == 0
    assert value(samples, "streams_in_flight") == 0


def test_a_stream_is_in_flight_until_its_last_byte(mock: MockServer) -> None:
    with openai.OpenAI(base_url=mock.base_url, api_key=PAT, max_retries=0) as sdk:
        stream = sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello"}], stream=True)
        chunks = list(stream)
        assert chunks
        samples = scrape(mock)  # the SDK saw the end of the body, which is written after the stream is done
        assert value(samples, "streams_in_flight") == 0
        assert value(samples, "requests_total", endpoint="chat.completions", status="200", fixture="hello") == 1

        paced = sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "slow"}], stream=True)
        with paced:
            assert next(iter(paced)).choices
            # Ten seconds of paced stream are still to come: the scrape happens while it is being written.
            assert value(scrape(mock), "streams_in_flight") == 1
            # The inspector's poll sends a stream still being written again, however old its entry.
            last = mock.context.journal.last_seq
            tail = httpx.get(f"{mock.url}/__mock__/journal/tail", params={"after": last}).json()
            assert [(e["seq"], e["streaming"]) for e in tail["entries"]] == [(last, True)]
    # Hanging up ends the stream on the server too (the loop notices the closed connection soon after).
    assert _settles_at_zero(mock)
    assert not mock.context.journal.entries()[-1].streaming


def _settles_at_zero(mock: MockServer, deadline: float = 5.0) -> bool:
    loop = time.monotonic() + deadline
    while time.monotonic() < loop:
        if value(scrape(mock), "streams_in_flight") == 0:
            return True
    return False


def test_every_app_counts_in_its_own_registry(mock: MockServer) -> None:
    other = create_app(Settings(reload=False))
    with openai.OpenAI(base_url=mock.base_url, api_key=PAT, max_retries=0) as sdk:
        sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello"}])
    assert total(scrape(mock), "requests_total") == 1
    assert b'fixture="hello"' not in other.state.mock.observer.metrics.exposition()
