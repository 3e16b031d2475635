"""``match.body`` and regex captures through the official ``openai`` SDK, on chat completions and on Responses, and
template paths that lead nowhere reported in ``x-mock-warnings`` and the journal, errors included."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from mockserver import MockServer, NoMatch, Settings

GPT4O = "openai/chat-completion/models/gpt-4o"
FIXTURES = r"""
version: 1
fixtures:
  - name: premium-user
    match:
      body:
        metadata.tier: premium
        metadata.user_id: {regex: '^(?P<user>u-\d+)$'}
    reply: {content: "Premium answer for {{ match.user }}."}

  - name: cold
    match: {body: {temperature: 0}}
    reply: {content: "Deterministic."}

  - name: search-tool
    match:
      user: {regex: "find (?P<query>.+)"}
      body: {tools.0.function.name: {regex: "^search_"}}
    reply:
      tool_calls: [{name: search_docs, arguments: {query: "{{ match.query }}"}}]

  - name: persona
    match: {system: {regex: 'you are (?P<persona>\w+)'}}
    reply: {content: "{{ match.persona }} here."}

  - name: outage
    match: {user: outage}
    reply: {error: {status: 503, message: "Down because {{ match.reason }}."}}
"""
SEARCH_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    path = tmp_path_factory.mktemp("v2") / "v2.yaml"
    path.write_text(FIXTURES, "utf-8")
    with MockServer(Settings(port=0, fixtures=[path], no_match=NoMatch.STRICT, reload=False)) as running:
        yield running


@pytest.fixture
def namespace() -> str:
    return f"v2-{uuid.uuid4().hex}"


@pytest.fixture
def client(server: MockServer, namespace: str) -> Iterator[openai.OpenAI]:
    headers = {"x-mock-namespace": namespace}
    with openai.OpenAI(base_url=server.base_url, api_key="v2-pat", max_retries=0, default_headers=headers) as c:
        yield c


def journal(server: MockServer, namespace: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = httpx.get(f"{server.url}/__mock__/journal", params={"namespace": namespace}).json()[
        "entries"
    ]
    return entries


def test_body_metadata_selects_the_fixture_and_feeds_the_template(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=GPT4O,
        messages=[{"role": "user", "content": "Hello"}],
        metadata={"tier": "premium", "user_id": "u-42"},
    )
    assert raw.headers["x-mock-fixture"] == "premium-user"
    assert raw.parse().choices[0].message.content == "Premium answer for u-42."
    response = client.responses.create(model=GPT4O, input="Hello", metadata={"tier": "premium", "user_id": "u-7"})
    assert response.output_text == "Premium answer for u-7."


def test_a_body_mismatch_is_named_in_the_near_miss_report(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(
            model=GPT4O, messages=[{"role": "user", "content": "Hello"}], metadata={"tier": "free", "user_id": "u-1"}
        )
    assert isinstance(caught.value.body, dict)
    assert 'body.metadata.tier: wants equals "premium", got "free"' in caught.value.body["status"]["details"]


def test_body_numbers_and_tool_names(client: openai.OpenAI) -> None:
    cold = client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "Hi"}], temperature=0)
    assert cold.choices[0].message.content == "Deterministic."
    found = client.chat.completions.create(
        model=GPT4O,
        messages=[{"role": "user", "content": 'Please find "rate limits" in the docs'}],
        tools=[SEARCH_TOOL],
    )
    [call] = found.choices[0].message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert json.loads(call.function.arguments) == {"query": '"rate limits" in the docs'}


def test_system_captures_on_chat_and_responses(client: openai.OpenAI) -> None:
    chat = client.chat.completions.create(
        model=GPT4O,
        messages=[{"role": "system", "content": "You are Marvin."}, {"role": "user", "content": "Hi"}],
        stream=True,
    )
    with chat:
        text = "".join(chunk.choices[0].delta.content or "" for chunk in chat if chunk.choices)
    assert text == "Marvin here."
    response = client.responses.create(model=GPT4O, instructions="You are Ada.", input="Hi")
    assert response.output_text == "Ada here."


def test_a_missing_path_in_an_error_message_is_reported(
    client: openai.OpenAI, server: MockServer, namespace: str
) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "Is there an outage?"}])
    assert caught.value.status_code == 503
    warning = "fixture 'outage': {{ match.reason }} leads nowhere: match has no 'reason' (it has no keys)"
    assert caught.value.response.headers["x-mock-warnings"] == warning
    [entry] = journal(server, namespace)
    assert entry["warnings"] == [warning]
    assert entry["status"] == 503


def test_each_warned_request_logs_one_line(client: openai.OpenAI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mockserver")
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "outage again"}])
    client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "Where is it?"}], temperature=0)
    logged = [r.getMessage() for r in caplog.records if r.name == "mockserver"]
    assert logged == [
        "POST /v2/ext/openai/v1/chat/completions (fixture outage): fixture 'outage': {{ match.reason }} leads "
        "nowhere: match has no 'reason' (it has no keys)"
    ]
