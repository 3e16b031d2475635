"""The shipped fixture library in ``fixtures/``, driven through the official ``openai`` SDK on a strict server.

Every fixture of every shipped file answers at least one request here; ``test_every_shipped_fixture_is_exercised``
fails when a fixture is added to the library without a test that names it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionAssistantMessageParam,
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolMessageParam,
)
from pydantic import BaseModel

from mockserver import MockServer, NoMatch, Settings, load_fixture_files

SHIPPED = Path(__file__).resolve().parents[2] / "fixtures"
PAT = "shipped-fixtures-pat"
GPT4O = "openai/chat-completion/models/gpt-4o"
WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "City and country"}},
            "required": ["location"],
        },
    },
}
ASK_WEATHER: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What's the weather like in New York today?"}
]
# Fixture names the tests below (and test_weather_any_city.py) assert on (via `x-mock-fixture` or the journal).
EXERCISED = {
    "weather-tool-call",
    "weather-tool-call-no-city",
    "weather-answer",
    "weather-answer-text",
    "compare-weather-calls",
    "compare-weather-answer",
    "streaming-story",
    "streaming-error-midway",
    "calendar-event",
    "error-401-invalid-key",
    "error-403-no-scopes",
    "error-404-model",
    "error-429-rate-limited",
    "error-429-then-ok",
    "error-500-prediction-failed",
    "error-503-model-busy",
}


class CalendarEvent(BaseModel):
    """The structured-output example of Clarifai's docs."""

    name: str
    date: str
    participants: list[str]


@pytest.fixture(scope="module")
def shipped_server() -> Iterator[MockServer]:
    """A strict mock serving exactly the repository's ``fixtures/`` folder."""
    settings = Settings(port=0, fixtures=[SHIPPED], no_match=NoMatch.STRICT, reload=False)
    with MockServer(settings) as running:
        yield running


@pytest.fixture
def sdk(shipped_server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=shipped_server.base_url, api_key=PAT, max_retries=0) as client:
        yield client


def function_calls(message: ChatCompletionMessage) -> list[ChatCompletionMessageFunctionToolCall]:
    calls = message.tool_calls or []
    assert all(isinstance(call, ChatCompletionMessageFunctionToolCall) for call in calls)
    return [call for call in calls if isinstance(call, ChatCompletionMessageFunctionToolCall)]


def assistant_turn(calls: list[ChatCompletionMessageFunctionToolCall]) -> ChatCompletionAssistantMessageParam:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in calls
        ],
    }


def tool_result(call: ChatCompletionMessageFunctionToolCall, **result: Any) -> ChatCompletionToolMessageParam:
    return {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}


def weather_result(call: ChatCompletionMessageFunctionToolCall) -> ChatCompletionToolMessageParam:
    location = json.loads(call.function.arguments)["location"]
    return tool_result(call, location=location, temperature=22, conditions="partly cloudy")


def check_weather_call(message: ChatCompletionMessage) -> ChatCompletionMessageFunctionToolCall:
    [call] = function_calls(message)
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments)["location"]
    assert message.content is None
    return call


def check_weather_answer(content: str | None) -> None:
    assert content is not None
    assert "22°C" in content
    assert "partly cloudy" in content
    assert "New York" in content
    assert "{{" not in content


def journal(server: MockServer, namespace: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/__mock__/journal", params={"namespace": namespace})
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


# --- weather.yaml: the docs' tool flow ---------------------------------------------------------------------------


def test_weather_flow(sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=ASK_WEATHER, tools=[WEATHER_TOOL])
    assert raw.headers["x-mock-fixture"] == "weather-tool-call"
    first = raw.parse()
    assert first.choices[0].finish_reason == "tool_calls"
    call = check_weather_call(first.choices[0].message)

    followup = [*ASK_WEATHER, assistant_turn([call]), weather_result(call)]
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=followup, tools=[WEATHER_TOOL])
    assert raw.headers["x-mock-fixture"] == "weather-answer"
    second = raw.parse()
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.tool_calls is None
    check_weather_answer(second.choices[0].message.content)


def test_weather_flow_stream_helper(sdk: openai.OpenAI, shipped_server: MockServer) -> None:
    namespace = {"x-mock-namespace": f"helper-{uuid.uuid4().hex}"}
    with sdk.chat.completions.stream(
        model=GPT4O, messages=ASK_WEATHER, tools=[WEATHER_TOOL], extra_headers=namespace
    ) as stream:
        first = stream.get_final_completion()
    assert first.choices[0].finish_reason == "tool_calls"
    call = check_weather_call(first.choices[0].message)

    followup = [*ASK_WEATHER, assistant_turn([call]), weather_result(call)]
    with sdk.chat.completions.stream(
        model=GPT4O, messages=followup, tools=[WEATHER_TOOL], extra_headers=namespace
    ) as stream:
        second = stream.get_final_completion()
    assert second.choices[0].finish_reason == "stop"
    check_weather_answer(second.choices[0].message.content)
    entries = journal(shipped_server, namespace["x-mock-namespace"])
    assert [(e["fixture"], e["stream"]) for e in entries] == [("weather-tool-call", True), ("weather-answer", True)]


def drain(stream: openai.Stream[ChatCompletionChunk], received: list[str]) -> None:
    """Iterate a stream to its end, keeping the content received (so what came before an error can be checked)."""
    with stream:
        for chunk in stream:
            received += [choice.delta.content or "" for choice in chunk.choices]


def collect(chunks: openai.Stream[ChatCompletionChunk]) -> tuple[str, dict[int, dict[str, str]], list[str]]:
    """Content, tool calls by index (id, name, arguments) and finish reasons, assembled from raw chunks."""
    content = ""
    calls: dict[int, dict[str, str]] = {}
    finish: list[str] = []
    with chunks:
        for chunk in chunks:
            ChatCompletionChunk.model_validate(chunk.model_dump())
            for choice in chunk.choices:
                content += choice.delta.content or ""
                for delta in choice.delta.tool_calls or []:
                    call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                    call["id"] += delta.id or ""
                    if delta.function is not None:
                        call["name"] += delta.function.name or ""
                        call["arguments"] += delta.function.arguments or ""
                if choice.finish_reason:
                    finish.append(choice.finish_reason)
    return content, calls, finish


def test_weather_flow_raw_chunks(sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(
        model=GPT4O, messages=ASK_WEATHER, tools=[WEATHER_TOOL], stream=True
    )
    assert raw.headers["x-mock-fixture"] == "weather-tool-call"
    content, calls, finish = collect(raw.parse())
    assert content == ""
    assert finish == ["tool_calls"]
    [call] = calls.values()
    assert call["name"] == "get_weather"
    location = json.loads(call["arguments"])["location"]

    followup: list[ChatCompletionMessageParam] = [
        *ASK_WEATHER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": call["arguments"]},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": call["id"],
            "content": json.dumps({"location": location, "temperature": 22, "conditions": "partly cloudy"}),
        },
    ]
    raw = sdk.chat.completions.with_raw_response.create(
        model=GPT4O, messages=followup, tools=[WEATHER_TOOL], stream=True
    )
    assert raw.headers["x-mock-fixture"] == "weather-answer"
    content, calls, finish = collect(raw.parse())
    assert calls == {}
    assert finish == ["stop"]
    check_weather_answer(content)


# --- parallel-tools.yaml ------------------------------------------------------------------------------------------


def test_parallel_tool_calls_and_answer(sdk: openai.OpenAI) -> None:
    ask: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "Compare the weather in Paris and Tokyo, please."}
    ]
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=ask, tools=[WEATHER_TOOL])
    assert raw.headers["x-mock-fixture"] == "compare-weather-calls"
    calls = function_calls(raw.parse().choices[0].message)
    assert [json.loads(c.function.arguments)["location"] for c in calls] == ["Paris, France", "Tokyo, Japan"]
    assert len({c.id for c in calls}) == 2

    paris, tokyo = calls
    followup = [
        *ask,
        assistant_turn(calls),
        tool_result(paris, location="Paris", temperature=18, conditions="light rain"),
        tool_result(tokyo, location="Tokyo", temperature=27, conditions="clear skies"),
    ]
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=followup, tools=[WEATHER_TOOL])
    assert raw.headers["x-mock-fixture"] == "compare-weather-answer"
    assert raw.parse().choices[0].message.content == "Paris: 18°C and light rain. Tokyo: 27°C and clear skies."


# --- streaming.yaml -----------------------------------------------------------------------------------------------


def test_streaming_story_arrives_in_chunks(sdk: openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Please tell me a story."}]
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=messages, stream=True)
    assert raw.headers["x-mock-fixture"] == "streaming-story"
    pieces = []
    with raw.parse() as stream:
        pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 10
    text = "".join(pieces)
    assert text.startswith("Once upon a time, a developer tested a streaming client")
    assert text.endswith("exactly when the script said it would.")


def test_streaming_story_is_for_streams_only(sdk: openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Please tell me a story."}]
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=messages)
    assert "'streaming-story'" in json.dumps(caught.value.body)
    assert "stream: wants True, got False" in json.dumps(caught.value.body)


def test_stream_error_scenario_raises_api_error(sdk: openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Summarise the quarterly report."}]
    raw = sdk.chat.completions.with_raw_response.create(
        model=GPT4O, messages=messages, stream=True, extra_headers={"x-mock-scenario": "stream-error"}
    )
    assert raw.status_code == 200
    assert raw.headers["x-mock-fixture"] == "streaming-error-midway"
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        drain(raw.parse(), received)
    assert "Model prediction failed mid-stream." in caught.value.message
    assert "".join(received) == "This answer breaks "


# --- errors.yaml --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "fixture", "exception", "status", "code"),
    [
        ("invalid-key", "error-401-invalid-key", openai.AuthenticationError, 401, 11008),
        ("no-scopes", "error-403-no-scopes", openai.PermissionDeniedError, 403, 11007),
        ("model-not-found", "error-404-model", openai.NotFoundError, 404, 21200),
        ("rate-limited", "error-429-rate-limited", openai.RateLimitError, 429, 11005),
        ("prediction-failed", "error-500-prediction-failed", openai.InternalServerError, 500, 21313),
        ("model-busy", "error-503-model-busy", openai.InternalServerError, 503, 21354),
    ],
)
def test_error_scenarios_map_to_sdk_exceptions(
    sdk: openai.OpenAI, scenario: str, fixture: str, exception: type[openai.APIStatusError], status: int, code: int
) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Anything at all."}]
    with pytest.raises(exception) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=messages, extra_headers={"x-mock-scenario": scenario})
    error = caught.value
    assert type(error) is exception
    assert error.status_code == status
    assert error.response.headers["x-mock-fixture"] == fixture
    assert isinstance(error.body, dict)
    assert error.body["status"]["code"] == code
    assert error.body["status"]["req_id"] == error.response.headers["x-clarifai-request-id"]
    if status in (429, 503):
        assert error.response.headers["retry-after"] == "1"


def test_model_not_found_scenario_templates_the_model(sdk: openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello."}]
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(
            model=GPT4O, messages=messages, extra_headers={"x-mock-scenario": "model-not-found"}
        )
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["status"]["details"] == (
        f"The model `{GPT4O}` does not exist or you do not have access to it."
    )


def test_sdk_retries_through_rate_limited_then_ok(shipped_server: MockServer) -> None:
    namespace = f"retry-{uuid.uuid4().hex}"
    with openai.OpenAI(
        base_url=shipped_server.base_url,
        api_key=PAT,
        max_retries=2,
        default_headers={"x-mock-namespace": namespace, "x-mock-scenario": "rate-limited-then-ok"},
    ) as client:
        completion = client.chat.completions.create(
            model=GPT4O, messages=[{"role": "user", "content": "Do the thing."}]
        )
    assert completion.choices[0].message.content == "Succeeded after two rate-limited attempts."
    entries = journal(shipped_server, namespace)
    assert [e["retry_count"] for e in entries] == [0, 1, 2]
    assert [e["status"] for e in entries] == [429, 429, 200]
    assert {e["fixture"] for e in entries} == {"error-429-then-ok"}


# --- structured-output.yaml ---------------------------------------------------------------------------------------


def test_structured_output_parse(sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.parse(
        model=GPT4O,
        messages=[
            {"role": "system", "content": "Extract the event information."},
            {"role": "user", "content": "Alice and Bob are going to a science fair on Friday."},
        ],
        response_format=CalendarEvent,
    )
    assert raw.headers["x-mock-fixture"] == "calendar-event"
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    event = completion.choices[0].message.parsed
    assert event == CalendarEvent(name="Science fair", date="Friday", participants=["Alice", "Bob"])


# --- the library as a whole ---------------------------------------------------------------------------------------


def test_every_shipped_fixture_is_exercised() -> None:
    loaded = load_fixture_files([SHIPPED])
    assert {entry.name for entry in loaded.entries} == EXERCISED
    assert {Path(entry.source).name for entry in loaded.entries} == {
        "errors.yaml",
        "parallel-tools.yaml",
        "streaming.yaml",
        "structured-output.yaml",
        "weather.yaml",
    }
    assert loaded.warnings == []
