"""The official ``openai`` SDK (sync and async) against a real mock server: completions, streams, tools, ``parse()``,
limits, usage, models and the error classes the SDK maps from HTTP statuses.

Every body is re-validated from its raw JSON with the SDK's own pydantic types, because the SDK itself builds its
objects without validation and would let a wrongly typed field through.
"""

from __future__ import annotations

import asyncio
import enum
import json
import re
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import jsonschema
import openai
import pytest
from openai.types import Model
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)
from openai.types.chat.chat_completion_content_part_image_param import ImageURL
from openai.types.chat.completion_create_params import ResponseFormat as ResponseFormatJSONSchema
from pydantic import BaseModel

from mockserver import MockServer, Settings
from mockserver.clarifai.tokens import counter_for

GPT4O = "openai/chat-completion/models/gpt-4o"
GPT_OSS = "openai/chat-completion/models/gpt-oss-120b"
O3 = "openai/chat-completion/models/o3"
ADA = "openai/embed/models/text-embedding-ada-002"
CLAUDE = "anthropic/completion/models/claude-sonnet-4"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
O200K = counter_for("o200k_base", exact=True)
PNG_DATA_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City and country, e.g. 'Bogotá, Colombia'"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location", "unit"],
    "additionalProperties": False,
}
WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Current weather in a place", "parameters": WEATHER_SCHEMA},
}
ASK_WEATHER: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are a helpful weather assistant."},
    {"role": "user", "content": "What's the weather like in the city I'm thinking of?"},
]


def hello(text: str = "Say hello.") -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


def validated(raw_text: str) -> ChatCompletion:
    """The body parsed by the SDK's own type, from the raw JSON text."""
    body = json.loads(raw_text)
    assert body["object"] == "chat.completion"
    return ChatCompletion.model_validate(body)


def complete(
    client: openai.OpenAI, messages: list[ChatCompletionMessageParam], model: str = GPT4O, **extra: Any
) -> ChatCompletion:
    """``chat.completions.create`` whose raw body is validated, with the headers every response must carry."""
    raw = client.chat.completions.with_raw_response.create(model=model, messages=messages, **extra)
    assert raw.headers["content-type"] == "application/json"
    assert REQUEST_ID.match(raw.headers["x-clarifai-request-id"])
    completion = validated(raw.text)
    assert completion == raw.parse()
    return completion


async def acomplete(
    client: openai.AsyncOpenAI, messages: list[ChatCompletionMessageParam], model: str = GPT4O, **extra: Any
) -> ChatCompletion:
    raw = await client.chat.completions.with_raw_response.create(model=model, messages=messages, **extra)
    assert raw.headers["content-type"] == "application/json"
    return validated(raw.text)


def raw_stream(base_url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST a streaming request with httpx and return each ``data:`` JSON, validated as a ``ChatCompletionChunk``."""
    with (
        httpx.Client(base_url=base_url, headers={"Authorization": "Bearer test-pat"}) as http,
        http.stream("POST", "chat/completions", json={**body, "stream": True}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        text = response.read().decode()
    frames = [frame for frame in text.split("\n\n") if frame]
    assert frames[-1] == "data: [DONE]"
    chunks = [json.loads(frame.removeprefix("data: ")) for frame in frames[:-1]]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
    return chunks


def function_call(completion: ChatCompletion) -> ChatCompletionMessageFunctionToolCall:
    """The single function tool call of the first choice."""
    calls = completion.choices[0].message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    call = calls[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    return call


def check_weather_arguments(arguments: str) -> None:
    """Arguments are a JSON string that satisfies the schema, with a realistic "City, Country" location."""
    assert isinstance(arguments, str)
    parsed = json.loads(arguments)
    jsonschema.validate(parsed, WEATHER_SCHEMA)
    city, _, country = parsed["location"].partition(", ")
    assert city
    assert country


def tool_turn(call: ChatCompletionMessageFunctionToolCall) -> list[ChatCompletionMessageParam]:
    """The assistant's tool call and the tool's answer, as the second turn sends them back."""
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature_c": 21, "sky": "clear"})},
    ]


# --- plain completions -------------------------------------------------------------------------------------------


def test_plain_completion(client: openai.OpenAI) -> None:
    completion = complete(client, hello())
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == GPT4O
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str)
    assert choice.message.content.strip()
    assert choice.message.tool_calls is None
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_async_plain_completion_matches_sync(client: openai.OpenAI, async_client: openai.AsyncOpenAI) -> None:
    async def run() -> ChatCompletion:
        async with async_client as sdk:
            return await acomplete(sdk, hello("Async hello."))

    from_async = asyncio.run(run())
    from_sync = complete(client, hello("Async hello."))
    assert from_async.choices[0].finish_reason == "stop"
    assert from_async.choices[0].message.content
    assert from_async.choices[0].message.content == from_sync.choices[0].message.content
    assert from_async.usage == from_sync.usage
    assert from_async.id != from_sync.id


def test_different_prompts_get_different_answers(client: openai.OpenAI) -> None:
    first = complete(client, hello("Tell me about cats."))
    second = complete(client, hello("Tell me about dogs."))
    assert first.choices[0].message.content != second.choices[0].message.content


# --- streaming ---------------------------------------------------------------------------------------------------


def test_stream_iteration_yields_valid_chunks_that_add_up(client: openai.OpenAI) -> None:
    messages = hello("Stream me a story.")
    whole = complete(client, messages)
    pieces: list[str] = []
    finish: list[str] = []
    usage_chunks: list[ChatCompletionChunk] = []
    ids: set[str] = set()
    with client.chat.completions.create(model=GPT4O, messages=messages, stream=True) as stream:
        for chunk in stream:
            ChatCompletionChunk.model_validate(chunk.model_dump())
            ids.add(chunk.id)
            if chunk.usage is not None:
                usage_chunks.append(chunk)
            for choice in chunk.choices:
                pieces.append(choice.delta.content or "")
                if choice.finish_reason is not None:
                    finish.append(choice.finish_reason)
    assert len(ids) == 1
    assert len(pieces) > 2
    assert "".join(pieces) == whole.choices[0].message.content
    assert finish == ["stop"]
    assert len(usage_chunks) == 1
    assert usage_chunks[0].choices == []
    assert usage_chunks[0].usage == whole.usage


def test_raw_stream_chunks_validate_with_sdk_types(base_url: str) -> None:
    chunks = raw_stream(base_url, {"model": GPT4O, "messages": hello("Raw stream.")})
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_stream_helper_final_completion_equals_non_streamed(client: openai.OpenAI) -> None:
    messages = hello("Use the stream helper.")
    whole = complete(client, messages)
    with client.chat.completions.stream(model=GPT4O, messages=messages) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert len(deltas) > 1
    assert final.choices[0].message.content == whole.choices[0].message.content
    assert "".join(deltas) == whole.choices[0].message.content
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].finish_reason == "stop"
    assert final.usage == whole.usage
    assert final.id.startswith("chatcmpl-")


def test_async_stream_iteration_and_helper(async_client: openai.AsyncOpenAI) -> None:
    messages = hello("Async stream.")

    async def run() -> tuple[str, str | None, str | None]:
        async with async_client as sdk:
            pieces = []
            stream = await sdk.chat.completions.create(model=GPT4O, messages=messages, stream=True)
            async for chunk in stream:
                ChatCompletionChunk.model_validate(chunk.model_dump())
                pieces += [choice.delta.content or "" for choice in chunk.choices]
            async with sdk.chat.completions.stream(model=GPT4O, messages=messages) as helper:
                final = await helper.get_final_completion()
            whole = await acomplete(sdk, messages)
            return "".join(pieces), final.choices[0].message.content, whole.choices[0].message.content

    streamed, helper_content, whole_content = asyncio.run(run())
    assert streamed
    assert streamed == helper_content == whole_content


# --- tools -------------------------------------------------------------------------------------------------------


def test_two_turn_tool_flow(client: openai.OpenAI) -> None:
    first = complete(client, ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = function_call(first)
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert re.fullmatch(r"call_[0-9A-Za-z]{24}", call.id)
    check_weather_arguments(call.function.arguments)

    second = complete(client, [*ASK_WEATHER, *tool_turn(call)], tools=[WEATHER_TOOL], tool_choice="auto")
    answer = second.choices[0]
    assert answer.finish_reason == "stop"
    assert answer.message.tool_calls is None
    assert answer.message.content
    assert second.usage is not None
    assert first.usage is not None
    assert second.usage.prompt_tokens > first.usage.prompt_tokens


def test_two_turn_tool_flow_streaming(client: openai.OpenAI) -> None:
    whole = complete(client, ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required")
    with client.chat.completions.stream(
        model=GPT4O, messages=ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required"
    ) as stream:
        first = stream.get_final_completion()
    assert first.choices[0].finish_reason == "tool_calls"
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    call = calls[0]
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    # The accumulator concatenates repeated strings, so these also prove id/name were sent once.
    expected = function_call(whole)
    assert call.id == expected.id
    assert call.function.name == "get_weather"
    assert call.function.arguments == expected.function.arguments
    check_weather_arguments(call.function.arguments)

    content: list[str] = []
    finish: list[str] = []
    with client.chat.completions.create(
        model=GPT4O, messages=[*ASK_WEATHER, *tool_turn(call)], tools=[WEATHER_TOOL], stream=True
    ) as second:
        for chunk in second:
            for choice in chunk.choices:
                assert not choice.delta.tool_calls
                content.append(choice.delta.content or "")
                finish += [choice.finish_reason] if choice.finish_reason else []
    assert "".join(content)
    assert finish == ["stop"]


def test_async_two_turn_tool_flow(async_client: openai.AsyncOpenAI) -> None:
    async def run() -> tuple[ChatCompletionMessageFunctionToolCall, str, ChatCompletion]:
        async with async_client as sdk:
            first = await acomplete(sdk, ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required")
            call = function_call(first)
            arguments = ""
            stream = await sdk.chat.completions.create(
                model=GPT4O, messages=ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required", stream=True
            )
            async for chunk in stream:
                for choice in chunk.choices:
                    for delta in choice.delta.tool_calls or []:
                        if delta.function is not None and delta.function.arguments:
                            arguments += delta.function.arguments
            second = await acomplete(sdk, [*ASK_WEATHER, *tool_turn(call)], tools=[WEATHER_TOOL])
            return call, arguments, second

    call, streamed_arguments, second = asyncio.run(run())
    check_weather_arguments(call.function.arguments)
    assert streamed_arguments == call.function.arguments
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content


def test_forced_function_by_name(client: openai.OpenAI) -> None:
    other: ChatCompletionFunctionToolParam = {
        "type": "function",
        "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
    }
    completion = complete(
        client,
        ASK_WEATHER,
        tools=[other, WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    call = function_call(completion)
    assert call.function.name == "get_weather"
    check_weather_arguments(call.function.arguments)


def test_tool_call_ids_follow_the_model_style(client: openai.OpenAI) -> None:
    completion = complete(client, ASK_WEATHER, model=CLAUDE, tools=[WEATHER_TOOL], tool_choice="required")
    assert function_call(completion).id.startswith("toolu_01")


def test_auto_tool_choice_answers_in_text_when_no_tool_is_asked_for(client: openai.OpenAI) -> None:
    joke: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Tell me a joke."}]
    completion = complete(client, joke, tools=[WEATHER_TOOL], tool_choice="auto")
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].message.content


# --- structured output -------------------------------------------------------------------------------------------


class Priority(enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Person(BaseModel):
    name: str
    email: str | None


class Step(BaseModel):
    title: str
    minutes: int
    done: bool


class TripPlan(BaseModel):
    destination: str
    priority: Priority
    owner: Person
    steps: list[Step]
    tags: list[str]
    budget: float


def check_plan(plan: TripPlan | None, content: str | None) -> None:
    assert isinstance(plan, TripPlan)
    assert content is not None
    assert plan == TripPlan.model_validate_json(content)
    assert isinstance(plan.priority, Priority)
    assert isinstance(plan.owner, Person)
    assert all(isinstance(step, Step) for step in plan.steps)


def test_parse_returns_the_pydantic_object(client: openai.OpenAI) -> None:
    completion = client.chat.completions.parse(model=GPT4O, messages=hello("Plan a trip."), response_format=TripPlan)
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop"
    check_plan(message.parsed, message.content)


def test_parse_raw_body_validates(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.parse(
        model=GPT4O, messages=hello("Plan a trip."), response_format=TripPlan
    )
    body = validated(raw.text)
    TripPlan.model_validate_json(body.choices[0].message.content or "")


def test_async_parse(async_client: openai.AsyncOpenAI) -> None:
    async def run() -> tuple[TripPlan | None, str | None]:
        async with async_client as sdk:
            completion = await sdk.chat.completions.parse(
                model=CLAUDE, messages=hello("Plan another trip."), response_format=TripPlan
            )
            return completion.choices[0].message.parsed, completion.choices[0].message.content

    check_plan(*asyncio.run(run()))


def test_parse_raises_on_truncation(client: openai.OpenAI) -> None:
    with pytest.raises(openai.LengthFinishReasonError):
        client.chat.completions.parse(
            model=GPT4O, messages=hello("Plan a trip."), response_format=TripPlan, max_completion_tokens=3
        )


def test_json_object_mode_returns_json(client: openai.OpenAI) -> None:
    completion = complete(client, hello("Answer in json."), response_format={"type": "json_object"})
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)


# --- limits, reasoning, n, stop ----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3])  # a generated sentence has at least 3 words and a period
def test_max_tokens_truncates_with_length(client: openai.OpenAI, limit: int) -> None:
    messages = hello("Write a long essay about the sea.")
    completion = complete(client, messages, max_tokens=limit)
    choice = completion.choices[0]
    assert choice.finish_reason == "length"
    assert completion.usage is not None
    assert 0 < completion.usage.completion_tokens <= limit
    assert choice.message.content


def test_max_completion_tokens_on_reasoning_model(client: openai.OpenAI) -> None:
    completion = complete(client, hello("Think hard."), model=O3, max_completion_tokens=20)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens <= 20


@pytest.mark.parametrize("limit", [3, 8, 20])
def test_reasoning_text_is_cut_to_the_budget(client: openai.OpenAI, limit: int) -> None:
    completion = complete(client, hello("Reason step by step."), model=GPT_OSS, max_tokens=limit)
    message = completion.choices[0].message.model_dump()
    reasoning = message["reasoning_content"]
    assert reasoning
    assert completion.usage is not None
    details = completion.usage.completion_tokens_details
    assert details is not None
    assert details.reasoning_tokens == O200K.count(reasoning) <= limit
    assert completion.usage.completion_tokens <= limit


def test_truncation_never_splits_a_character(client: openai.OpenAI) -> None:
    # Emoji and CJK take several byte-level tokens each, so most cuts land inside a character.
    weather = "東京都の天気は晴れ🌦️💥"
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"report": {"enum": [weather]}, "extra": {"const": weather}},
        "required": ["report", "extra"],
    }
    response_format: ResponseFormatJSONSchema = {
        "type": "json_schema",
        "json_schema": {"name": "report", "schema": schema},
    }
    cut_inside = 0
    for limit in range(1, 30):
        completion = complete(client, hello("Report."), max_tokens=limit, response_format=response_format)
        content = completion.choices[0].message.content or ""
        assert "\ufffd" not in content
        assert O200K.count(content) <= limit
        assert json.dumps({"report": weather, "extra": weather}, ensure_ascii=False, separators=(",", ":")).startswith(
            content
        )
        cut_inside += not content.isascii()
    assert cut_inside > 5


def test_generous_limit_is_not_truncated(client: openai.OpenAI) -> None:
    completion = complete(client, hello(), max_tokens=4000)
    assert completion.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("model", [GPT_OSS, O3])
def test_reasoning_models_report_reasoning_tokens(client: openai.OpenAI, model: str) -> None:
    completion = complete(client, hello("Why is the sky blue?"), model=model)
    usage = completion.usage
    assert usage is not None
    assert usage.completion_tokens_details is not None
    reasoning = usage.completion_tokens_details.reasoning_tokens
    assert reasoning is not None
    assert reasoning > 0
    assert usage.completion_tokens > reasoning
    assert completion.choices[0].message.content


def test_plain_model_reports_no_reasoning_tokens(client: openai.OpenAI) -> None:
    usage = complete(client, hello("Why is the sky blue?")).usage
    assert usage is not None
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 0


def test_n_gives_that_many_choices(client: openai.OpenAI) -> None:
    completion = complete(client, hello("Two answers please."), n=2)
    assert [choice.index for choice in completion.choices] == [0, 1]
    contents = [choice.message.content for choice in completion.choices]
    assert all(contents)
    assert contents[0] != contents[1]
    assert all(choice.finish_reason == "stop" for choice in completion.choices)


def test_n_streams_every_choice(client: openai.OpenAI) -> None:
    whole = complete(client, hello("Stream two."), n=2)
    text = {0: "", 1: ""}
    with client.chat.completions.create(model=GPT4O, messages=hello("Stream two."), n=2, stream=True) as stream:
        for chunk in stream:
            for choice in chunk.choices:
                text[choice.index] += choice.delta.content or ""
    assert [text[0], text[1]] == [choice.message.content for choice in whole.choices]


@pytest.mark.parametrize("stop", [" ", ["."], [".", " "]])
def test_stop_sequences_cut_the_answer(client: openai.OpenAI, stop: str | list[str]) -> None:
    completion = complete(client, hello("Give me a few sentences."), stop=stop)
    content = completion.choices[0].message.content
    assert content
    for sequence in [stop] if isinstance(stop, str) else stop:
        assert sequence not in content
    assert completion.choices[0].finish_reason == "stop"


def test_stop_shortens_the_usage(client: openai.OpenAI) -> None:
    # Same request apart from `stop` → different seeds, so compare against the text's own length instead.
    completion = complete(client, hello("Give me a few sentences."), stop=" ")
    assert completion.usage is not None
    assert completion.usage.completion_tokens <= 3


# --- usage -------------------------------------------------------------------------------------------------------


def image_message(detail: Literal["low", "high", "auto"] | None) -> list[ChatCompletionMessageParam]:
    image: ImageURL = {"url": PNG_DATA_URL}
    if detail is not None:
        image["detail"] = detail
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": image},
            ],
        }
    ]


def test_images_are_accepted_and_counted(client: openai.OpenAI) -> None:
    text_only = complete(client, hello("What is in this picture?"), model=GPT4O).usage
    low = complete(client, image_message("low")).usage
    auto = complete(client, image_message(None)).usage
    assert text_only is not None
    assert low is not None
    assert auto is not None
    assert text_only.prompt_tokens < low.prompt_tokens < auto.prompt_tokens


def test_usage_grows_with_input(client: openai.OpenAI) -> None:
    short = complete(client, hello("Hi.")).usage
    long = complete(client, hello("Hi. " + "Tell me more about the weather in Lyon. " * 30)).usage
    two_turns = complete(
        client,
        [
            {"role": "user", "content": "Hi."},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Hi."},
        ],
    ).usage
    with_tools = complete(client, hello("Hi."), tools=[WEATHER_TOOL]).usage
    assert short is not None
    assert long is not None
    assert two_turns is not None
    assert with_tools is not None
    assert long.prompt_tokens > short.prompt_tokens + 200
    assert two_turns.prompt_tokens > short.prompt_tokens
    assert with_tools.prompt_tokens > short.prompt_tokens + 10


# --- errors ------------------------------------------------------------------------------------------------------


def error_status(exc: openai.APIStatusError) -> dict[str, Any]:
    """The Clarifai ``status`` object of an error, checked against the request id header."""
    assert isinstance(exc.body, dict)
    status: dict[str, Any] = exc.body["status"]
    assert status["req_id"] == exc.response.headers["x-clarifai-request-id"]
    assert REQUEST_ID.match(status["req_id"])
    return status


@pytest.fixture(scope="module")
def guarded() -> Iterator[MockServer]:
    """A server with a PAT allow-list, one of whose PATs lacks scopes."""
    settings = Settings(port=0, pats=["good-pat", "scopeless-pat"], pat_scenarios={"scopeless-pat": "no_scopes"})
    with MockServer(settings) as running:
        yield running


@pytest.fixture(scope="module")
def throttled() -> Iterator[MockServer]:
    """A server with rate limiting on. One token per 100 s per PAT: the second call is refused however slow the
    machine, without any timing assumption."""
    with MockServer(Settings(port=0, rate_limit=0.01)) as running:
        yield running


def sdk(server: MockServer, pat: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=pat, max_retries=0)


def test_missing_key_is_authentication_error(base_url: str) -> None:
    anonymous = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, default_headers={"Authorization": ""})
    with anonymous, pytest.raises(openai.AuthenticationError) as caught:
        anonymous.chat.completions.create(model=GPT4O, messages=hello())
    assert caught.value.status_code == 401
    assert error_status(caught.value)["code"] == 11009


def test_allow_list_accepts_listed_pat(guarded: MockServer) -> None:
    with sdk(guarded, "good-pat") as c:
        assert c.chat.completions.create(model=GPT4O, messages=hello()).choices[0].message.content


def test_unlisted_pat_is_authentication_error(guarded: MockServer) -> None:
    with sdk(guarded, "not-on-the-list") as c, pytest.raises(openai.AuthenticationError) as caught:
        c.chat.completions.create(model=GPT4O, messages=hello())
    status = error_status(caught.value)
    assert status["code"] == 11008
    assert "not-on-the-list" not in json.dumps(caught.value.body)


def test_scopeless_pat_is_permission_denied(guarded: MockServer) -> None:
    with sdk(guarded, "scopeless-pat") as c, pytest.raises(openai.PermissionDeniedError) as caught:
        c.models.list()
    assert caught.value.status_code == 403
    assert error_status(caught.value)["code"] == 11007


def test_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="openai/chat-completion/models/gpt-99", messages=hello())
    status = error_status(caught.value)
    assert status["code"] == 21200
    assert "gpt-99" in status["details"]


def test_chat_on_embedding_model_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=ADA, messages=hello())
    assert caught.value.status_code == 400
    assert "embed" in error_status(caught.value)["details"]


@pytest.mark.parametrize("model", ["o3", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano"])
def test_max_tokens_on_reasoning_models_is_bad_request(client: openai.OpenAI, model: str) -> None:
    model_id = f"openai/chat-completion/models/{model}"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model_id, messages=hello(), max_tokens=10)
    assert "max_completion_tokens" in error_status(caught.value)["details"]
    # The parameter it names is the one that works.
    assert complete(client, hello(), model=model_id, max_completion_tokens=10).choices[0].finish_reason == "length"


def test_rate_limit_is_rate_limit_error(throttled: MockServer) -> None:
    with sdk(throttled, "busy-pat") as busy, sdk(throttled, "other-pat") as other:
        assert busy.chat.completions.create(model=GPT4O, messages=hello()).choices
        with pytest.raises(openai.RateLimitError) as caught:
            busy.chat.completions.create(model=GPT4O, messages=hello())
        # Buckets are per PAT: someone else still gets through.
        assert other.chat.completions.create(model=GPT4O, messages=hello()).choices
    assert caught.value.status_code == 429
    assert error_status(caught.value)["code"] == 11005
    assert int(caught.value.response.headers["retry-after"]) >= 1


def test_async_errors(async_client: openai.AsyncOpenAI, base_url: str) -> None:
    async def run() -> tuple[openai.APIStatusError, openai.APIStatusError]:
        async with async_client as sdk_client:
            try:
                await sdk_client.chat.completions.create(model="nobody/none/models/nothing", messages=hello())
            except openai.NotFoundError as exc:
                not_found = exc
        anonymous = openai.AsyncOpenAI(
            base_url=base_url, api_key="unused", max_retries=0, default_headers={"Authorization": "Basic abc"}
        )
        async with anonymous:
            try:
                await anonymous.models.list()
            except openai.AuthenticationError as exc:
                unauthenticated = exc
        return not_found, unauthenticated

    not_found, unauthenticated = asyncio.run(run())
    assert error_status(not_found)["code"] == 21200
    assert error_status(unauthenticated)["code"] == 11008


# --- models ------------------------------------------------------------------------------------------------------


def test_models_list(client: openai.OpenAI) -> None:
    raw = client.models.with_raw_response.list()
    body = json.loads(raw.text)
    assert body["object"] == "list"
    models = [Model.model_validate(entry) for entry in body["data"]]
    ids = [model.id for model in models]
    assert {GPT4O, GPT_OSS, O3, ADA, CLAUDE} <= set(ids)
    assert len(ids) == len(set(ids))
    assert [model.id for model in client.models.list()] == ids
    assert next(model for model in models if model.id == CLAUDE).owned_by == "anthropic"


@pytest.mark.parametrize(
    "model_id",
    [
        GPT4O,
        f"https://clarifai.com/{GPT4O}",
        f"{GPT4O}/versions/0123456789abcdef0123456789abcdef",
        f"https://clarifai.com/{GPT4O}/versions/0123456789ABCDEF0123456789ABCDEF",
    ],
)
def test_models_retrieve_by_sdk(client: openai.OpenAI, model_id: str) -> None:
    raw = client.models.with_raw_response.retrieve(model_id)
    # Current SDKs percent-encode the slashes of a path parameter.
    assert "%2F" in str(raw.http_request.url)
    model = Model.model_validate(json.loads(raw.text))
    assert model.id == GPT4O
    assert model.object == "model"
    assert client.models.retrieve(model_id) == model


@pytest.mark.parametrize(
    "path",
    [
        f"models/{GPT4O}",
        f"models/https://clarifai.com/{GPT4O}",
        f"models/{GPT4O}/versions/0123456789abcdef0123456789abcdef",
        "models/openai%2Fchat-completion%2Fmodels%2Fgpt-4o",
        "models/gpt-4o",
    ],
)
def test_models_retrieve_raw_slashes(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert Model.model_validate(response.json()).id == GPT4O


def test_models_retrieve_dotted_name(client: openai.OpenAI) -> None:
    assert client.models.retrieve("openai/chat-completion/models/gpt-4.1").id == "openai/chat-completion/models/gpt-4_1"


def test_models_retrieve_unknown(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("openai/chat-completion/models/gpt-99")
    assert error_status(caught.value)["code"] == 21200
