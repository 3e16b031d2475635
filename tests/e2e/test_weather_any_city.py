"""The shipped weather flow (``fixtures/weather.yaml``) for any city, through the official ``openai`` SDK.

Each city gets ``get_weather`` with its own name (a regex capture), then an answer built from the tool result —
JSON with a number, JSON with a unit already in the text, or plain text — on chat completions and on Responses,
streamed and not, with no blanks, no doubled unit and no warnings.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import openai
import pytest
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)
from openai.types.responses import FunctionToolParam, Response, ResponseFunctionToolCall, ResponseInputParam

from mockserver import MockServer, NoMatch, Settings

SHIPPED = Path(__file__).resolve().parents[2] / "fixtures"
GPT4O = "openai/chat-completion/models/gpt-4o"
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"location": {"type": "string", "description": "City and country, e.g. 'Bogotá, Colombia'"}},
    "required": ["location"],
    "additionalProperties": False,
}
CHAT_TOOL: Any = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Get the current temperature", "parameters": PARAMETERS},
}
RESPONSES_TOOL: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current temperature",
    "parameters": PARAMETERS,
    "strict": True,
}
QUESTIONS = {
    "London": "What's the weather in London?",
    "Paris": "What is the weather like in Paris today?",
    "Tokyo": "Tell me the weather for Tokyo right now.",
    "São Paulo": "How's the weather in São Paulo this week?",
}
Kind = Literal["number", "unit-text", "plain-text"]


def tool_output(kind: Kind, city: str) -> str:
    """A tool result of each shape real tools return."""
    if kind == "number":
        return json.dumps({"temperature": 22, "conditions": "clear skies"})
    if kind == "unit-text":  # Clarifai's own snippet returns the unit inside the value
        return json.dumps({"location": city, "temperature": "20°C"})
    return f"The current temperature in {city} is 22°C."  # LiteLLM's docs example


def expected_answer(kind: Kind, city: str) -> str:
    if kind == "number":
        return f"It is currently 22°C in {city}, with clear skies."
    if kind == "unit-text":
        return f"It is currently 20°C in {city}."
    return f"Here is the latest report: The current temperature in {city} is 22°C."


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, fixtures=[SHIPPED], no_match=NoMatch.STRICT, reload=False)) as running:
        yield running


@pytest.fixture
def namespace() -> str:
    return f"weather-{uuid.uuid4().hex}"


@pytest.fixture
def client(server: MockServer, namespace: str) -> Iterator[openai.OpenAI]:
    headers = {"x-mock-namespace": namespace}
    with openai.OpenAI(base_url=server.base_url, api_key="weather-pat", max_retries=0, default_headers=headers) as c:
        yield c


def journal(server: MockServer, namespace: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/__mock__/journal", params={"namespace": namespace})
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def chat(client: openai.OpenAI, messages: list[ChatCompletionMessageParam], stream: bool) -> ChatCompletion:
    if not stream:
        return client.chat.completions.create(model=GPT4O, messages=messages, tools=[CHAT_TOOL])
    with client.chat.completions.stream(model=GPT4O, messages=messages, tools=[CHAT_TOOL]) as events:
        return events.get_final_completion()


def respond(client: openai.OpenAI, history: ResponseInputParam, stream: bool) -> Response:
    if not stream:
        return client.responses.create(model=GPT4O, input=history, tools=[RESPONSES_TOOL])
    with client.responses.stream(model=GPT4O, input=history, tools=[RESPONSES_TOOL]) as events:
        return events.get_final_response()


def chat_flow(client: openai.OpenAI, city: str, kind: Kind, stream: bool) -> tuple[str, str | None]:
    """Ask, check the call, send the result back; the call's location and the final answer."""
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": QUESTIONS[city]}]
    first = chat(client, messages, stream).choices[0]
    assert first.finish_reason == "tool_calls"
    [call] = first.message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.function.name == "get_weather"
    assistant: ChatCompletionAssistantMessageParam = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": "get_weather", "arguments": call.function.arguments},
            }
        ],
    }
    messages += [assistant, {"role": "tool", "tool_call_id": call.id, "content": tool_output(kind, city)}]
    second = chat(client, messages, stream).choices[0]
    assert second.finish_reason == "stop"
    assert second.message.tool_calls is None
    return json.loads(call.function.arguments)["location"], second.message.content


def responses_flow(client: openai.OpenAI, city: str, kind: Kind, stream: bool) -> tuple[str, str | None]:
    """The same over Responses: a ``function_call`` item, then a message after ``function_call_output``."""
    history: ResponseInputParam = [{"role": "user", "content": QUESTIONS[city]}]
    first = respond(client, history, stream)
    [call] = [item for item in first.output if isinstance(item, ResponseFunctionToolCall)]
    assert call.name == "get_weather"
    assert first.output_text == ""
    history += [
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": tool_output(kind, city)},
    ]
    second = respond(client, history, stream)
    assert [item.type for item in second.output if item.type == "function_call"] == []
    return json.loads(call.arguments)["location"], second.output_text


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("surface", ["chat", "responses"])
@pytest.mark.parametrize("kind", ["number", "unit-text", "plain-text"])
@pytest.mark.parametrize("city", list(QUESTIONS))
def test_each_city_gets_its_own_call_and_a_sensible_answer(
    client: openai.OpenAI, server: MockServer, namespace: str, city: str, kind: Kind, surface: str, stream: bool
) -> None:
    flow = chat_flow if surface == "chat" else responses_flow
    location, answer = flow(client, city, kind, stream)
    assert location == city
    assert answer == expected_answer(kind, city)
    assert "°C°C" not in answer
    entries = journal(server, namespace)
    answer_fixture = "weather-answer-text" if kind == "plain-text" else "weather-answer"
    assert [e["fixture"] for e in entries] == ["weather-tool-call", answer_fixture]
    assert [e["warnings"] for e in entries] == [[], []]


def test_a_question_without_a_place_still_gets_a_call(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=GPT4O, messages=[{"role": "user", "content": "Is the weather nice?"}], tools=[CHAT_TOOL]
    )
    assert raw.headers["x-mock-fixture"] == "weather-tool-call-no-city"
    [call] = raw.parse().choices[0].message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert isinstance(json.loads(call.function.arguments)["location"], str)


def test_an_answer_that_cannot_be_built_says_why(client: openai.OpenAI, server: MockServer, namespace: str) -> None:
    """A result with no usable field: the placeholders fall back or are reported, never silently blank (in generate
    mode the reply goes out with its warning; strict mode refuses it, see test_tool_call_checks)."""
    server.context.bind_namespace(namespace, no_match=NoMatch.GENERATE)
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 3}'},
    ]
    raw = client.chat.completions.with_raw_response.create(model=GPT4O, messages=messages, tools=[CHAT_TOOL])
    assert raw.headers["x-mock-fixture"] == "weather-answer"
    assert raw.parse().choices[0].message.content == "It is currently an unknown temperature in ."
    header = raw.headers["x-mock-warnings"]
    assert "{{ tool_result.location }} leads nowhere: tool_result has no 'location' (it has temp)" in header
    [entry] = journal(server, namespace)
    assert entry["warnings"] == [
        "fixture 'weather-answer': {{ tool_result.location }} leads nowhere: tool_result has no 'location' "
        "(it has temp); and its default {{ tool_call.arguments.location }} leads nowhere: tool_call.arguments "
        "has no 'location' (it has no keys)"
    ]
