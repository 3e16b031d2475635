"""Heavy requests do not stall other clients: ``/__mock__/health`` is answered while one is being served.

Shown by ordering, not timing: the heavy work is gated on an event the test sets only after health has answered.
Were the work on the event loop, the gate would block the loop and the health request would time out instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from mockserver import MockServer
from mockserver.clarifai import tokens
from mockserver.fixtures.store import FixtureStore
from mockserver.turn.chat import ChatSurface
from mockserver.turn.media import EmbeddingsSurface

GPT4O = "openai/chat-completion/models/gpt-4o"
LARGE = "openai/embed/models/text-embedding-3-large"
GUARD = 30.0  # only bounds a failing run (the loop was blocked); a passing run never waits on it


class Gate:
    """Wraps a method so each call announces itself and then waits until the test opens the gate."""

    def __init__(self) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def gated(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            self.opened.wait(GUARD)
            return real(*args, **kwargs)

        return gated


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    made = Gate()
    yield made
    made.opened.set()  # never leave a server thread parked, even when the test failed


def health_answers_while(server: MockServer, gate: Gate, heavy: Callable[[], Any]) -> Any:
    """Start ``heavy`` in a thread, wait until it is inside the gated work, ask for health, then open the gate."""
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(value=heavy()), daemon=True)
    worker.start()
    assert gate.entered.wait(GUARD), "the heavy request never reached the gated work"
    health = httpx.get(f"{server.url}/__mock__/health", timeout=GUARD / 2)
    assert health.status_code == 200
    assert worker.is_alive()  # the heavy request is still in flight: it cannot finish before the gate opens
    gate.opened.set()
    worker.join(GUARD)
    return result["value"]


def test_2048_embedding_inputs(server: MockServer, client: openai.OpenAI, gate: Gate, monkeypatch: Any) -> None:
    monkeypatch.setattr(EmbeddingsSurface, "build", gate.wrap(EmbeddingsSurface.build))
    reply = health_answers_while(
        server, gate, lambda: client.embeddings.create(model=LARGE, input=["a"] * 2048, dimensions=64)
    )
    CreateEmbeddingResponse.model_validate(reply.model_dump())
    assert len(reply.data) == 2048


def test_a_large_chat_body(server: MockServer, client: openai.OpenAI, gate: Gate, monkeypatch: Any) -> None:
    monkeypatch.setattr(ChatSurface, "build", gate.wrap(ChatSurface.build))
    text = "word " * 40_000  # 200 KB: past the size the mock builds on the event loop
    reply = health_answers_while(
        server, gate, lambda: client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": text}])
    )
    ChatCompletion.model_validate(reply.model_dump())
    assert reply.usage is not None
    assert reply.usage.prompt_tokens >= 40_000


def test_a_bulk_fixture_load(server: MockServer, gate: Gate, monkeypatch: Any) -> None:
    monkeypatch.setattr(FixtureStore, "add_many", gate.wrap(FixtureStore.add_many))
    fixtures = [
        {"name": f"bulk-{i}", "match": {"user": f"bulk question {i}"}, "reply": {"content": "ok"}} for i in range(2000)
    ]
    body = json.dumps({"fixtures": fixtures})
    headers = {"Content-Type": "application/json"}
    url = f"{server.url}/__mock__/fixtures?namespace=bulk-load"
    answer = health_answers_while(server, gate, lambda: httpx.post(url, content=body, headers=headers, timeout=GUARD))
    assert answer.status_code == 201
    assert len(answer.json()["added"]) == 2000
    httpx.delete(url, headers=headers)


def test_the_first_use_of_an_encoding(server: MockServer, client: openai.OpenAI, gate: Gate, monkeypatch: Any) -> None:
    # As if no request had counted tokens yet: the load (~50 ms warm, most of a second from a cold disk) is gated.
    monkeypatch.setattr(tokens, "_COUNTERS", {})
    monkeypatch.setattr(tokens, "_load", gate.wrap(tokens._load))
    reply = health_answers_while(
        server,
        gate,
        lambda: client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "first count"}]),
    )
    ChatCompletion.model_validate(reply.model_dump())
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0
