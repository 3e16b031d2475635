"""One fixture, every surface: the shipped fixtures, scenarios and stream faults answer chat completions, Responses,
embeddings and images alike, through the official ``openai`` SDK."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import FunctionToolParam, Response, ResponseFunctionToolCall, ResponseOutputMessage

from mockserver import Fixture, MockServer, NoMatch, Settings

SHIPPED = Path(__file__).resolve().parents[2] / "fixtures"
GPT4O = "openai/chat-completion/models/gpt-4o"
EMBED = "openai/embed/models/text-embedding-3-large"
IMAGE = "xai/image-generation/models/grok-2-image-1212"
WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string", "description": "City and country"}},
        "required": ["location"],
    },
    "strict": False,
}
ASK = "What's the weather like in New York today?"


@pytest.fixture(scope="module")
def shipped() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, fixtures=[SHIPPED], no_match=NoMatch.STRICT, reload=False)) as running:
        yield running


@pytest.fixture
def sdk(shipped: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=shipped.base_url, api_key="surfaces-pat", max_retries=0) as client:
        yield client


def _call(response: Response) -> ResponseFunctionToolCall:
    calls = [item for item in response.output if isinstance(item, ResponseFunctionToolCall)]
    assert len(calls) == 1, response.output
    assert calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments)["location"]
    return calls[0]


def _follow_up(call: ResponseFunctionToolCall) -> list[Any]:
    result = {"location": json.loads(call.arguments)["location"], "temperature": 22, "conditions": "partly cloudy"}
    return [
        {"role": "user", "content": ASK},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps(result)},
    ]


def _check_answer(text: str) -> None:
    assert "22" in text
    assert "partly cloudy" in text
    assert "{{" not in text


def test_the_weather_flow_works_through_the_responses_api(sdk: openai.OpenAI) -> None:
    first = sdk.responses.create(model=GPT4O, input=ASK, tools=[WEATHER])
    call = _call(first)
    final = sdk.responses.create(model=GPT4O, input=_follow_up(call), tools=[WEATHER])
    messages = [item for item in final.output if isinstance(item, ResponseOutputMessage)]
    assert len(messages) == 1
    assert not [item for item in final.output if isinstance(item, ResponseFunctionToolCall)]
    _check_answer(final.output_text)


def test_the_weather_flow_works_through_a_responses_stream(sdk: openai.OpenAI) -> None:
    with sdk.responses.stream(model=GPT4O, input=ASK, tools=[WEATHER]) as stream:
        first = stream.get_final_response()
    call = _call(first)
    with sdk.responses.stream(model=GPT4O, input=_follow_up(call), tools=[WEATHER]) as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text
    _check_answer(final.output_text)


def _rate_limited(sdk: openai.OpenAI) -> openai.OpenAI:
    return sdk.with_options(default_headers={"x-mock-scenario": "rate-limited"})


def test_a_scenario_fixture_answers_every_endpoint(sdk: openai.OpenAI) -> None:
    limited = _rate_limited(sdk)
    calls: list[Callable[[], object]] = [
        lambda: limited.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hi"}]),
        lambda: limited.responses.create(model=GPT4O, input="hi"),
        lambda: limited.embeddings.create(model=EMBED, input="hi"),
        lambda: limited.images.generate(model=IMAGE, prompt="a cat"),
    ]
    for call in calls:
        with pytest.raises(openai.RateLimitError) as caught:
            call()
        assert caught.value.response.headers["x-mock-fixture"] == "error-429-rate-limited"
        assert caught.value.response.headers["retry-after"] == "1"


def test_a_text_fixture_does_not_answer_embeddings(shipped: MockServer, sdk: openai.OpenAI) -> None:
    # "weather-tool-call" matches the words, but vectors cannot carry a tool call: a strict miss, not that fixture.
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.embeddings.create(model=EMBED, input=ASK)
    assert caught.value.response.headers.get("x-mock-fixture") is None
    assert "No fixture matched" in json.dumps(caught.value.body)


@pytest.fixture(scope="module")
def faulty() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, reload=False)) as running:
        fault = {"fault": "error", "fault_after": 2, "error": {"status": 500, "message": "broke mid-stream"}}
        running.context.store.add(
            Fixture.model_validate(
                {
                    "name": "breaks",
                    "match": {"user": "break"},
                    "reply": {"content": "one two three four five six", "stream": fault},
                }
            )
        )
        yield running


def _drain(stream: Iterable[ChatCompletionChunk], received: list[str]) -> None:
    for chunk in stream:
        received.extend(choice.delta.content or "" for choice in chunk.choices)


def test_one_stream_fault_breaks_a_chat_stream_and_a_responses_stream_alike(faulty: MockServer) -> None:
    with openai.OpenAI(base_url=faulty.base_url, api_key="fault-pat", max_retries=0) as client:
        received: list[str] = []
        stream = client.chat.completions.create(
            model=GPT4O, messages=[{"role": "user", "content": "please break"}], stream=True
        )
        with pytest.raises(openai.APIError, match="broke mid-stream"):
            _drain(stream, received)
        assert "".join(received) == "one two "  # two chunks, then the fault

        events: list[str] = []
        responses = client.responses.create(model=GPT4O, input="please break", stream=True)
        for event in responses:
            events.append(event.type)
        assert events[:2] == ["response.created", "response.in_progress"]
        assert events[-1] == "response.failed"
        assert "response.completed" not in events
        assert len(events) == 3  # two events, then the fault
