"""``misbehave:`` replies through the official ``openai`` SDK: each kind on chat and Responses, streamed and not,
seeded, never a warning, and combinable with ``sequence`` (an agent that survives a broken turn)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, get_args

import jsonschema
import openai
import pytest
from openai.types.chat import ChatCompletionChunk, ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from openai.types.responses import FunctionToolParam, Response, ResponseStreamEvent

from mockserver import Fixture, MockServer, Settings
from mockserver.schema import Misbehaviour

GPT4O = "openai/chat-completion/models/gpt-4o"
KINDS = [
    "invalid_json_arguments",
    "schema_violation",
    "unknown_tool",
    "duplicate_call_ids",
    "truncated_tool_call",
    "empty",
    "refusal",
    "content_filter",
    "reasoning_only",
]


def test_every_kind_the_schema_accepts_is_tested_here() -> None:
    assert sorted(KINDS) == sorted(get_args(Misbehaviour))


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["location"],
    "additionalProperties": False,
}
WEATHER: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": SCHEMA},
}
FLAT_WEATHER: FunctionToolParam = {"type": "function", "name": "get_weather", "parameters": SCHEMA, "strict": False}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """A generate-mode server where the user text ``misbehave <kind>`` gets that misbehaviour."""
    with MockServer(Settings(port=0)) as running:
        for kind in KINDS:
            match = {"user": {"equals": f"misbehave {kind}"}}
            running.context.store.add(
                Fixture.model_validate({"name": kind, "match": match, "reply": {"misbehave": kind}})
            )
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    namespace = f"mis-{uuid.uuid4().hex[:8]}"
    with openai.OpenAI(
        base_url=server.base_url, api_key="p", max_retries=0, default_headers={"x-mock-namespace": namespace}
    ) as sdk:
        yield sdk


def parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def chat_message(client: openai.OpenAI, kind: str, stream: bool) -> dict[str, Any]:
    """The reply to ``misbehave <kind>`` as one dict, put together from the chunks when streamed."""
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": f"misbehave {kind}"}]
    if not stream:
        raw = client.chat.completions.with_raw_response.create(model=GPT4O, messages=messages, tools=[WEATHER])
        assert "x-mock-warnings" not in raw.headers  # asked-for misbehaviour is no warning
        choice = raw.parse().choices[0]
        message = choice.message
        calls = [
            (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or [] if c.type == "function"
        ]
        extra = message.model_extra or {}
        return {
            "content": message.content,
            "refusal": message.refusal,
            "calls": calls,
            "reasoning": extra.get("reasoning_content"),
            "finish": choice.finish_reason,
        }
    return streamed_message(client, messages)


def streamed_message(client: openai.OpenAI, messages: list[ChatCompletionMessageParam]) -> dict[str, Any]:
    """The streamed reply put together from its chunks, the way an SDK accumulator does."""
    parts: dict[str, Any] = {"content": None, "refusal": None, "reasoning": None, "finish": None}
    pieces: dict[int, list[str]] = {}
    for chunk in client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER], stream=True):
        assert isinstance(chunk, ChatCompletionChunk)
        for streamed in chunk.choices:
            delta = streamed.delta
            for key, piece in (("content", delta.content), ("refusal", delta.refusal)):
                if piece is not None:
                    parts[key] = (parts[key] or "") + piece
            if (reasoning := (delta.model_extra or {}).get("reasoning_content")) is not None:
                parts["reasoning"] = (parts["reasoning"] or "") + reasoning
            for call in delta.tool_calls or []:
                entry = pieces.setdefault(call.index, ["", "", ""])
                entry[0] += call.id or ""
                entry[1] += call.function.name or "" if call.function else ""
                entry[2] += call.function.arguments or "" if call.function else ""
            parts["finish"] = streamed.finish_reason or parts["finish"]
    parts["calls"] = [tuple(pieces[i]) for i in sorted(pieces)]
    if parts["content"] == "" and parts["calls"]:
        parts["content"] = None
    return parts


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_misbehaviour_on_chat(client: openai.OpenAI, kind: str, stream: bool) -> None:
    got = chat_message(client, kind, stream)
    calls = got["calls"]
    if kind == "invalid_json_arguments":
        assert got["finish"] == "tool_calls"
        assert len(calls) == 1
        assert not parses(calls[0][2])
    elif kind == "schema_violation":
        assert calls[0][1] == "get_weather"
        assert parses(calls[0][2])
        assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(json.loads(calls[0][2]))
    elif kind == "unknown_tool":
        assert got["finish"] == "tool_calls"
        assert calls[0][1] != "get_weather"
    elif kind == "duplicate_call_ids":
        assert len(calls) >= 2
        assert len({call[0] for call in calls}) == 1
    elif kind == "truncated_tool_call":
        assert got["finish"] == "length"
        assert len(calls) == 1
        assert not parses(calls[0][2])
        assert calls[0][2].startswith("{")
    elif kind == "empty":
        assert got["finish"] == "stop"
        assert got["content"] == ""
        assert not calls
        assert got["refusal"] is None
    elif kind == "refusal":
        assert got["content"] is None
        assert got["refusal"]
        assert not calls
        assert got["finish"] == "stop"
    elif kind == "content_filter":
        assert got["finish"] == "content_filter"
        assert got["content"]
        assert not calls
    else:
        assert got["reasoning"]
        assert got["content"] is None
        assert not calls
        assert got["finish"] == "stop"


def response_of(client: openai.OpenAI, kind: str, stream: bool) -> tuple[Response, list[str]]:
    """The Responses answer to ``misbehave <kind>``, and the event types when streamed."""
    if not stream:
        return client.responses.create(model=GPT4O, input=f"misbehave {kind}", tools=[FLAT_WEATHER]), []
    events: list[ResponseStreamEvent] = list(
        client.responses.create(model=GPT4O, input=f"misbehave {kind}", tools=[FLAT_WEATHER], stream=True)
    )
    final = events[-1]
    assert final.type in ("response.completed", "response.incomplete")
    return final.response, [event.type for event in events]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_misbehaviour_on_responses(client: openai.OpenAI, kind: str, stream: bool) -> None:
    response, events = response_of(client, kind, stream)
    calls = [item for item in response.output if item.type == "function_call"]
    messages = [item for item in response.output if item.type == "message"]
    if kind == "invalid_json_arguments":
        assert not parses(calls[0].arguments)
    elif kind == "schema_violation":
        assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(json.loads(calls[0].arguments))
    elif kind == "unknown_tool":
        assert calls[0].name != "get_weather"
    elif kind == "duplicate_call_ids":
        assert len(calls) >= 2
        assert len({call.call_id for call in calls}) == 1
    elif kind == "truncated_tool_call":
        assert response.status == "incomplete"
        assert response.incomplete_details is not None
        assert response.incomplete_details.reason == "max_output_tokens"
        assert not parses(calls[0].arguments)
    elif kind == "empty":
        assert response.output_text == ""
        assert not calls
    elif kind == "refusal":
        part = messages[0].content[0]
        assert part.type == "refusal"
        assert part.refusal
        assert response.output_text == ""
        assert not stream or "response.refusal.delta" in events
    elif kind == "content_filter":
        assert response.status == "incomplete"
        assert response.incomplete_details is not None
        assert response.incomplete_details.reason == "content_filter"
        assert response.output_text
    else:
        assert [item.type for item in response.output] == ["reasoning"]


def test_misbehaviour_is_seeded(client: openai.OpenAI) -> None:
    first, again = (chat_message(client, "invalid_json_arguments", False) for _ in range(2))
    assert first["calls"][0][2] == again["calls"][0][2]
    assert chat_message(client, "refusal", True)["refusal"] == chat_message(client, "refusal", False)["refusal"]


def test_misbehaviour_is_not_a_warning(server: MockServer, client: openai.OpenAI) -> None:
    for kind in KINDS:
        chat_message(client, kind, False)
    namespace = client.default_headers["x-mock-namespace"]
    entries = server.context.journal.entries(str(namespace))
    assert len(entries) == len(KINDS)
    assert all(entry.warnings == [] and entry.status == 200 for entry in entries)


def test_scripted_tool_calls_are_what_misbehaves(server: MockServer, client: openai.OpenAI) -> None:
    call = {"name": "get_weather", "arguments": {"location": "Oslo"}}
    server.context.store.add(
        Fixture.model_validate(
            {"match": {"user": "cut oslo"}, "reply": {"misbehave": "truncated_tool_call", "tool_calls": [call]}}
        )
    )
    completion = client.chat.completions.create(
        model=GPT4O, messages=[{"role": "user", "content": "cut oslo"}], tools=[WEATHER]
    )
    arguments = completion.choices[0].message.tool_calls[0].function.arguments  # type: ignore[index,union-attr]
    assert '{"location":"Oslo"}'.startswith(arguments)
    assert arguments != '{"location":"Oslo"}'


def test_an_agent_survives_invalid_json_arguments_then_succeeds(server: MockServer, client: openai.OpenAI) -> None:
    call = {"name": "get_weather", "arguments": {"location": "Paris"}}
    flaky = {
        "name": "flaky-weather",
        "match": {"user": "weather in Paris"},
        "sequence": [{"misbehave": "invalid_json_arguments", "tool_calls": [call]}, {"tool_calls": [call]}],
    }
    answer = {
        "match": {"tool_result": {"name": "get_weather"}},
        "reply": {"content": "It is {{ tool_result.temp }} in Paris."},
    }
    for fixture in (flaky, answer):
        server.context.store.add(Fixture.model_validate(fixture), str(client.default_headers["x-mock-namespace"]))
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What's the weather in Paris?"}]
    retries, ran = 0, []
    for _ in range(5):
        completion = client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER])
        message = completion.choices[0].message
        if completion.choices[0].finish_reason == "stop":
            break
        calls = [c for c in message.tool_calls or [] if c.type == "function"]
        try:
            arguments = [json.loads(c.function.arguments) for c in calls]
        except json.JSONDecodeError:
            retries += 1  # what an agent does with unparsable arguments: ask the model again
            continue
        messages.append({"role": "assistant", "tool_calls": [c.model_dump() for c in calls]})  # type: ignore[misc]
        for c, args in zip(calls, arguments, strict=True):
            ran.append(args)
            messages.append({"role": "tool", "tool_call_id": c.id, "content": json.dumps({"temp": "18°C"})})
    assert (retries, ran, message.content) == (1, [{"location": "Paris"}], "It is 18°C in Paris.")
