"""Scripted replies through the official ``openai`` SDK: sequences and retries, strict misses, agent loops that end,
tool calls, errors, headers, templating and stream scripts (chunking, faults, pacing).

The server loads ``tests/data/replies.yaml`` in strict mode; each test sends its own namespace header so sequence
counters and journal entries never leak between tests.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import jsonschema
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
)

from mockserver import MockServer, NoMatch, Settings
from mockserver.context import NamespaceConfig

DATA = Path(__file__).resolve().parents[1] / "data"
PAT = "fixtures-sdk-pat"
GPT4O = "openai/chat-completion/models/gpt-4o"
CLAUDE = "anthropic/completion/models/claude-sonnet-4"
GPT_OSS = "openai/chat-completion/models/gpt-oss-120b"
NAMESPACE = "x-mock-namespace"


def tool(name: str, properties: dict[str, Any]) -> ChatCompletionFunctionToolParam:
    schema = {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}
    return {"type": "function", "function": {"name": name, "parameters": schema}}


LOOKUP = tool("lookup", {"query": {"type": "string"}, "scope": {"type": "string", "enum": ["web", "docs"]}})
LOOKUP["function"]["parameters"]["required"] = ["query"]  # the fixtures script only the query (tool-call checks)
TRIP_TOOLS = [
    tool("search_flights", {"destination": {"type": "string"}}),
    tool("book_flight", {"flight": {"type": "string"}}),
]


@pytest.fixture(scope="module")
def fixture_server() -> Iterator[MockServer]:
    """A strict mock serving ``tests/data/replies.yaml``."""
    settings = Settings(port=0, fixtures=[DATA / "replies.yaml"], no_match=NoMatch.STRICT, reload=False)
    with MockServer(settings) as running:
        yield running


@pytest.fixture
def namespace() -> str:
    return f"ns-{uuid.uuid4().hex}"


SdkFactory = Callable[..., openai.OpenAI]


@pytest.fixture
def make_sdk(fixture_server: MockServer, namespace: str) -> Iterator[SdkFactory]:
    """Build SDK clients on the test's namespace; ``max_retries`` is 0 unless a test asks for retries."""
    made: list[openai.OpenAI] = []

    def build(max_retries: int = 0) -> openai.OpenAI:
        client = openai.OpenAI(
            base_url=fixture_server.base_url,
            api_key=PAT,
            max_retries=max_retries,
            default_headers={NAMESPACE: namespace},
        )
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def sdk(make_sdk: SdkFactory) -> openai.OpenAI:
    return make_sdk()


def user(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


def journal(server: MockServer, namespace: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/__mock__/journal", params={"namespace": namespace})
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def function_calls(message: ChatCompletionMessage) -> list[ChatCompletionMessageFunctionToolCall]:
    calls = message.tool_calls or []
    assert all(isinstance(call, ChatCompletionMessageFunctionToolCall) for call in calls)
    return [call for call in calls if isinstance(call, ChatCompletionMessageFunctionToolCall)]


def assistant_turn(message: ChatCompletionMessage) -> ChatCompletionAssistantMessageParam:
    return {
        "role": "assistant",
        "content": message.content,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
            for c in function_calls(message)
        ],
    }


def tool_message(call_id: str, result: dict[str, Any]) -> ChatCompletionMessageParam:
    return {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)}


def body_text(error: openai.APIStatusError) -> str:
    return json.dumps(error.body)


# --- sequences and retries ----------------------------------------------------------------------------------------


def test_sdk_retry_logic_gets_through_a_429_429_200_sequence(
    make_sdk: SdkFactory, fixture_server: MockServer, namespace: str
) -> None:
    completion = make_sdk(max_retries=2).chat.completions.create(model=GPT4O, messages=user("Call the flaky service."))
    assert completion.choices[0].message.content == "Third time lucky."
    entries = journal(fixture_server, namespace)
    assert [e["retry_count"] for e in entries] == [0, 1, 2]
    assert [e["status"] for e in entries] == [429, 429, 200]
    assert [e["fixture"] for e in entries] == ["flaky-then-ok"] * 3


def test_sequence_steps_per_call_and_repeats_its_last_reply(sdk: openai.OpenAI) -> None:
    for attempt in (1, 2):
        with pytest.raises(openai.RateLimitError) as caught:
            sdk.chat.completions.create(model=GPT4O, messages=user("Call the flaky service."))
        assert f"slow down ({attempt})" in body_text(caught.value)
        assert caught.value.response.headers["retry-after-ms"] == "1"
    for _ in range(2):
        completion = sdk.chat.completions.create(model=GPT4O, messages=user("Call the flaky service."))
        assert completion.choices[0].message.content == "Third time lucky."


def test_sequence_counters_are_per_namespace(fixture_server: MockServer, make_sdk: SdkFactory) -> None:
    with pytest.raises(openai.RateLimitError):
        make_sdk().chat.completions.create(model=GPT4O, messages=user("Call the flaky service."))
    with (
        openai.OpenAI(
            base_url=fixture_server.base_url, api_key=PAT, max_retries=0, default_headers={NAMESPACE: "other-namespace"}
        ) as other,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        other.chat.completions.create(model=GPT4O, messages=user("Call the flaky service."))
    assert "slow down (1)" in body_text(caught.value)


def test_non_retryable_error_is_not_retried(make_sdk: SdkFactory, fixture_server: MockServer, namespace: str) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        make_sdk(max_retries=2).chat.completions.create(model=GPT4O, messages=user("The busy model again."))
    headers = caught.value.response.headers
    assert caught.value.status_code == 503
    assert headers["x-should-retry"] == "false"
    assert headers["retry-after"] == "3"
    assert "Busy, come back in 0 turns" in body_text(caught.value)
    assert len(journal(fixture_server, namespace)) == 1


def test_retryable_flag_makes_the_sdk_retry_even_a_400(
    make_sdk: SdkFactory, fixture_server: MockServer, namespace: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        make_sdk(max_retries=1).chat.completions.create(model=GPT4O, messages=user("An odd error."))
    assert caught.value.response.headers["x-should-retry"] == "true"
    assert caught.value.response.headers["retry-after-ms"] == "1"
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["status"]["code"] == 21202
    assert [e["retry_count"] for e in journal(fixture_server, namespace)] == [0, 1]


# --- strict misses ------------------------------------------------------------------------------------------------


def test_strict_miss_on_turn_names_the_fixture_and_the_key(
    sdk: openai.OpenAI, fixture_server: MockServer, namespace: str
) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=user("ping"))
    error = caught.value
    assert error.status_code == 404
    assert error.response.headers["x-should-retry"] == "false"
    assert isinstance(error.body, dict)
    report = error.body["status"]["details"]
    assert report.startswith("No fixture matched this request. Closest:")
    first = report.splitlines()[1]
    assert "'second-turn-only'" in first
    assert "turn: wants 1, got 0" in first
    [entry] = journal(fixture_server, namespace)
    assert entry["status"] == 404
    assert entry["fixture"] is None
    assert entry["near_miss"] == report


def test_strict_miss_on_user_text_names_the_fixture_and_the_text(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=user("Open the pod bay doors, HAL."))
    report = body_text(caught.value)
    assert "'exact-phrase'" in report.split("\\n")[1]  # the closest: it shares the most words
    assert "user: wants equals 'open the pod bay doors', got 'Open the pod bay doors, HAL.'" in report


def test_strict_miss_is_not_retried(make_sdk: SdkFactory, fixture_server: MockServer, namespace: str) -> None:
    with pytest.raises(openai.NotFoundError):
        make_sdk(max_retries=2).chat.completions.create(model=GPT4O, messages=user("nothing scripted for this"))
    assert len(journal(fixture_server, namespace)) == 1


# --- multi-turn tool flows that end -------------------------------------------------------------------------------


def run_agent(
    client: openai.OpenAI,
    messages: list[ChatCompletionMessageParam],
    tools: list[ChatCompletionFunctionToolParam],
    results: Callable[[str, dict[str, Any]], dict[str, Any]],
    stream: bool = False,
    cap: int = 10,
) -> tuple[ChatCompletion, list[str]]:
    """Call the model until it stops asking for tools (at most ``cap`` requests); returns the last completion and
    the tools it called, in order."""
    called: list[str] = []
    for _ in range(cap):
        if stream:
            with client.chat.completions.stream(model=GPT4O, messages=messages, tools=tools) as events:
                completion: ChatCompletion = events.get_final_completion()
        else:
            completion = client.chat.completions.create(model=GPT4O, messages=messages, tools=tools)
        choice = completion.choices[0]
        if choice.finish_reason == "stop":
            return completion, called
        assert choice.finish_reason == "tool_calls"
        messages = [*messages, assistant_turn(choice.message)]
        for call in function_calls(choice.message):
            called.append(call.function.name)
            answer = results(call.function.name, json.loads(call.function.arguments))
            messages.append(tool_message(call.id, answer))
    pytest.fail(f"the agent loop did not end within {cap} requests; tools called: {called}")


def trip_results(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    if name == "search_flights":
        assert arguments == {"destination": "Lisbon"}
        return {"flight": "TP1234", "price": 180}
    assert name == "book_flight"
    assert arguments == {"flight": "TP1234"}
    return {"status": "confirmed", "flight": arguments["flight"], "confirmation": "XK9Q"}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_agent_loop_ends_after_the_scripted_turns(
    sdk: openai.OpenAI, fixture_server: MockServer, namespace: str, stream: bool
) -> None:
    final, called = run_agent(sdk, user("Please plan my trip to Lisbon."), TRIP_TOOLS, trip_results, stream)
    assert called == ["search_flights", "book_flight"]
    assert final.choices[0].message.content == "Booked flight TP1234, confirmation XK9Q."
    entries = journal(fixture_server, namespace)
    assert [e["fixture"] for e in entries] == ["trip-search", "trip-book", "trip-answer"]


def test_tool_calling_fixture_does_not_answer_its_own_results(
    sdk: openai.OpenAI, fixture_server: MockServer, namespace: str
) -> None:
    tools = [tool("check_stock", {"sku": {"type": "string"}})]
    first = sdk.chat.completions.create(model=GPT4O, messages=user("Please check stock for me."), tools=tools)
    [call] = function_calls(first.choices[0].message)
    followup: list[ChatCompletionMessageParam] = [
        *user("Please check stock for me."),
        assistant_turn(first.choices[0].message),
        tool_message(call.id, {"sku": "A-1", "in_stock": 3}),
    ]
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=followup, tools=tools)
    report = caught.value.body["status"]["details"] if isinstance(caught.value.body, dict) else ""
    assert "'stock-call'" in report.splitlines()[1]
    assert "this fixture makes tool calls, so it skips requests that return tool results" in report
    assert [e["fixture"] for e in journal(fixture_server, namespace)] == ["stock-call", None]


def test_tool_results_fall_through_to_the_next_fixture(sdk: openai.OpenAI) -> None:
    results: list[dict[str, Any]] = []

    def lookup(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        results.append(arguments)
        return {"hits": 1}

    final, called = run_agent(sdk, user("Can you look it up?"), [LOOKUP], lookup)
    assert called == ["lookup"]
    assert results == [{"query": "Can you look it up?"}]
    assert final.choices[0].message.content == "Here is what I found."


def test_tool_results_fall_through_to_a_generated_reply(
    fixture_server: MockServer, sdk: openai.OpenAI, namespace: str
) -> None:
    fixture_server.app.state.mock.namespaces[namespace] = NamespaceConfig(no_match=NoMatch.GENERATE)
    tools = [tool("check_stock", {"sku": {"type": "string"}})]
    final, called = run_agent(sdk, user("Please check stock for me."), tools, lambda name, args: {"in_stock": 3})
    assert called == ["check_stock"]
    assert final.choices[0].message.content
    assert [e["fixture"] for e in journal(fixture_server, namespace)] == ["stock-call", None]
    assert journal(fixture_server, namespace)[-1]["generated"] is True


def test_explicit_has_tool_result_answers_after_results(sdk: openai.OpenAI) -> None:
    convert = tool("convert", {"value": {"type": "number"}})
    history: list[ChatCompletionMessageParam] = [
        *user("Please convert units."),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "convert", "arguments": "{}"}}],
        },
        tool_message("call_1", {"value": 1}),
    ]
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=history, tools=[convert])
    assert raw.headers["x-mock-fixture"] == "convert-again"
    [call] = function_calls(raw.parse().choices[0].message)
    assert json.loads(call.function.arguments) == {"value": 2}

    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=user("Please convert units."), tools=[convert])
    assert "has_tool_result: wants True, got False" in body_text(caught.value)


# --- replies ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "style"),
    [(CLAUDE, r"toolu_01[0-9A-Za-z]{22}"), (GPT4O, r"call_[0-9A-Za-z]{24}"), (GPT_OSS, r"call_[0-9a-f]{24}")],
)
def test_parallel_tool_calls_with_ids_in_the_model_style(sdk: openai.OpenAI, model: str, style: str) -> None:
    completion = sdk.chat.completions.create(model=model, messages=user("Fan out, please."), tools=[LOOKUP])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    first, second, third = function_calls(choice.message)
    assert re.fullmatch(style, first.id)
    assert re.fullmatch(style, second.id)
    assert first.id != second.id
    assert third.id == "call_given_by_fixture"
    assert first.function.arguments == '{"query":"alpha"}'
    assert second.function.arguments == '{"query": "beta"}'
    synthesised = json.loads(third.function.arguments)
    jsonschema.validate(synthesised, LOOKUP["function"]["parameters"])


def test_reasoning_finish_reason_and_partial_usage_override(sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=user("Think first, then answer."))
    body = json.loads(raw.text)
    completion = ChatCompletion.model_validate(body)
    message = body["choices"][0]["message"]
    assert message["content"] == "Forty-two."
    assert message["reasoning_content"] == "The question is old; the answer is well known."
    assert completion.choices[0].finish_reason == "length"
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == 1000
    assert usage.completion_tokens > 0  # computed, not overridden
    assert usage.total_tokens == 1000 + usage.completion_tokens
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 5


def test_extra_headers_on_a_reply(sdk: openai.OpenAI) -> None:
    raw = sdk.chat.completions.with_raw_response.create(model=GPT4O, messages=user("Reply with headers."))
    assert raw.headers["x-trace"] == "abc"
    assert raw.headers["x-served-by"] == "fixture"
    assert raw.headers["x-mock-fixture"] == "extra-headers"


def test_extra_headers_on_an_error_reply(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        sdk.chat.completions.create(model=GPT4O, messages=user("Error headers, please."))
    assert caught.value.response.headers.get("x-trace") == "abc"
    assert caught.value.response.headers["x-mock-fixture"] == "error-with-headers"


def test_templates_from_the_last_user_message_and_model(sdk: openai.OpenAI) -> None:
    history: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "echo this back"},
    ]
    completion = sdk.chat.completions.create(model="gpt-4o", messages=history)
    assert completion.choices[0].message.content == "You said 'echo this back' to gpt-4o at turn 1."


def test_templates_from_tool_result_fields(sdk: openai.OpenAI) -> None:
    history: list[ChatCompletionMessageParam] = [
        *user("Forecast for Oslo and Rome?"),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_oslo", "type": "function", "function": {"name": "get_forecast", "arguments": "{}"}},
                {"id": "call_rome", "type": "function", "function": {"name": "get_forecast", "arguments": "{}"}},
            ],
        },
        tool_message("call_oslo", {"city": "Oslo", "temperature": -3}),
        tool_message("call_rome", {"city": "Rome", "temperature": 19}),
    ]
    completion = sdk.chat.completions.create(model=GPT4O, messages=history)
    assert completion.choices[0].message.content == "Oslo: -3 degrees, Rome: 19 degrees."


# --- stream scripts -----------------------------------------------------------------------------------------------


def raw_sse(server: MockServer, text: str, **extra: Any) -> list[str]:
    """The raw SSE lines of a streamed request (comments included)."""
    body = {"model": GPT4O, "messages": user(text), "stream": True, **extra}
    with (
        httpx.Client(headers={"Authorization": f"Bearer {PAT}"}) as http,
        http.stream("POST", f"{server.base_url}/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        return [line for line in response.iter_lines() if line]


def chunks_of(lines: list[str]) -> list[ChatCompletionChunk]:
    payloads = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    return [ChatCompletionChunk.model_validate_json(p) for p in payloads if p != "[DONE]"]


def test_stream_chunks_words_and_sends_keepalives(fixture_server: MockServer, sdk: openai.OpenAI) -> None:
    lines = raw_sse(fixture_server, "stream chunks now")
    pieces = [c.choices[0].delta.content for c in chunks_of(lines) if c.choices and c.choices[0].delta.content]
    assert pieces == ["one two three ", "four five six ", "seven"]
    assert lines.count(": keep-alive") >= 1
    assert lines[-1] == "data: [DONE]"

    with sdk.chat.completions.stream(model=GPT4O, messages=user("stream chunks now")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "one two three four five six seven"


def test_stream_whole_tool_arguments_come_in_one_delta_per_call(fixture_server: MockServer) -> None:
    deltas = [
        delta
        for chunk in chunks_of(raw_sse(fixture_server, "stream whole tools", tools=[LOOKUP]))
        for choice in chunk.choices
        for delta in choice.delta.tool_calls or []
    ]
    assert [d.index for d in deltas] == [0, 1]
    for delta, query in zip(deltas, ["first query, fairly long", "second"], strict=True):
        assert delta.id
        assert delta.function is not None
        assert delta.function.name == "lookup"
        assert json.loads(delta.function.arguments or "") == {"query": query}


def test_stream_fragmented_tool_arguments(fixture_server: MockServer, sdk: openai.OpenAI) -> None:
    deltas = [
        delta
        for chunk in chunks_of(raw_sse(fixture_server, "stream fragmented tools", tools=[LOOKUP]))
        for choice in chunk.choices
        for delta in choice.delta.tool_calls or []
    ]
    head, *rest = deltas
    assert head.id
    assert head.function is not None
    assert head.function.name == "lookup"
    assert len(rest) > 3
    fragments = [d.function.arguments or "" for d in rest if d.function is not None]
    assert all(d.id is None and d.index == 0 for d in rest)
    assert all(0 < len(f) <= 5 for f in fragments)
    assert json.loads("".join(fragments)) == {"query": "a longer argument string"}

    with sdk.chat.completions.stream(model=GPT4O, messages=user("stream fragmented tools"), tools=[LOOKUP]) as stream:
        [call] = function_calls(stream.get_final_completion().choices[0].message)
    assert json.loads(call.function.arguments) == {"query": "a longer argument string"}


def drain(stream: openai.Stream[ChatCompletionChunk], received: list[str]) -> None:
    """Iterate a stream to its end, keeping the content received (so what came before an error can be checked)."""
    with stream:
        for chunk in stream:
            received += [choice.delta.content or "" for choice in chunk.choices]


def test_stream_error_fault_raises_api_error_while_iterating(sdk: openai.OpenAI) -> None:
    received: list[str] = []
    stream = sdk.chat.completions.create(model=GPT4O, messages=user("stream fault error"), stream=True)
    with pytest.raises(openai.APIError) as caught:
        drain(stream, received)
    assert "exploded mid-stream" in caught.value.message
    assert "".join(received) == "one two "


def test_stream_no_done_fault(fixture_server: MockServer) -> None:
    lines = raw_sse(fixture_server, "stream fault no_done")
    assert "data: [DONE]" not in lines
    content = "".join(c.choices[0].delta.content or "" for c in chunks_of(lines) if c.choices)
    assert content == "one two three"


def test_stream_malformed_fault(fixture_server: MockServer, sdk: openai.OpenAI) -> None:
    lines = raw_sse(fixture_server, "stream fault malformed")
    broken = [line for line in lines if line.startswith("data: {") and not line.endswith("}")]
    assert len(broken) == 1
    stream = sdk.chat.completions.create(model=GPT4O, messages=user("stream fault malformed"), stream=True)
    with pytest.raises(ValueError, match="Expecting"):
        drain(stream, [])


def test_stream_stall_fault_resumes(sdk: openai.OpenAI) -> None:
    with sdk.chat.completions.stream(model=GPT4O, messages=user("stream fault stall")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "one two three"


def test_stream_disconnect_fault(sdk: openai.OpenAI) -> None:
    received: list[str] = []
    stream = sdk.chat.completions.create(model=GPT4O, messages=user("stream fault disconnect"), stream=True)
    with pytest.raises((openai.APIConnectionError, httpx2.RemoteProtocolError)):
        drain(stream, received)
    assert "".join(received) == "one two "
