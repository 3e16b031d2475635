"""``POST /responses`` through the official ``openai`` SDK: plain and streamed responses, function tools in both
forms, structured output, the output budget, fixtures and errors.

Raw bodies and every raw stream event are re-validated with the SDK's own pydantic types, because the SDK builds its
objects without validation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import httpx
import jsonschema
import openai
import pytest
from openai.types.responses import (
    FunctionToolParam,
    Response,
    ResponseFunctionToolCall,
    ResponseInputParam,
    ResponseOutputMessage,
    ResponseReasoningItem,
    ResponseStreamEvent,
    ToolChoiceFunction,
)
from pydantic import BaseModel, TypeAdapter

from mockserver import Fixture, MockServer, Settings

GPT4O = "openai/chat-completion/models/gpt-4o"
GPT_OSS = "openai/chat-completion/models/gpt-oss-120b"
CLAUDE = "anthropic/completion/models/claude-sonnet-4"
ADA = "openai/embed/models/text-embedding-ada-002"
PAT = "responses-pat"
LONG_TEXT = " ".join(f"word{i}" for i in range(200))
PNG_DATA_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
EVENTS: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)

WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City and country, e.g. 'Bogotá, Colombia'"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location", "unit"],
    "additionalProperties": False,
}
WEATHER_TOOL: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a place",
    "parameters": WEATHER_SCHEMA,
    "strict": True,
}
NESTED_WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Current weather in a place", "parameters": WEATHER_SCHEMA},
}
ASK_WEATHER: ResponseInputParam = [
    {"role": "system", "content": "You are a helpful weather assistant."},
    {"role": "user", "content": "What's the weather like in the city I'm thinking of?"},
]

FIXTURES = [
    {
        "name": "responses-scripted",
        "match": {"endpoint": "responses", "user": "scripted responses answer"},
        "reply": {"content": "Scripted for {{ model }}."},
    },
    {
        "name": "responses-long",
        "match": {"endpoint": "responses", "user": "tell me a long story"},
        "reply": {"content": LONG_TEXT},
    },
    {
        "name": "responses-stream-fails",
        "match": {"endpoint": "responses", "user": "stream that fails", "stream": True},
        "reply": {
            "content": "This stream breaks after a few events.",
            "stream": {"fault": "error", "fault_after": 5, "error": {"status": 503, "message": "backend went away"}},
        },
    },
    {
        "name": "responses-everything",
        "match": {"endpoint": "responses", "user": "think talk and call twice"},
        "reply": {
            "reasoning_content": "First the weather, then the time.",
            "content": "Let me look both up.",
            "tool_calls": [
                {"name": "get_weather", "arguments": {"location": "Paris, France", "unit": "celsius"}},
                {"name": "get_weather", "arguments": '{"location": "Lima, Peru", "unit": "celsius"}'},
            ],
        },
    },
    {
        "name": "responses-throttled",
        "match": {"endpoint": "responses", "user": "throttle me"},
        "reply": {"error": {"status": 429, "message": "Too many requests, slow down."}},
    },
]


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """One mock for this module, with the fixtures above loaded at run time."""
    with MockServer(Settings(port=0)) as running:
        for data in FIXTURES:
            running.context.store.add(Fixture.model_validate(data))
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=PAT, max_retries=0) as sdk:
        yield sdk


def create(client: openai.OpenAI, **params: Any) -> Response:
    """``responses.create`` whose raw body is validated with the SDK's ``Response`` type."""
    raw = client.responses.with_raw_response.create(**params)
    assert raw.headers["content-type"] == "application/json"
    body = json.loads(raw.text)
    assert body["object"] == "response"
    validated = Response.model_validate(body)
    assert validated.id == raw.parse().id
    return validated


def raw_events(server: MockServer, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``data`` of every event of a streamed response; each must validate and repeat its ``event:`` name."""
    with (
        httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {PAT}"}) as http,
        http.stream("POST", "responses", json={**body, "stream": True}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        text = response.read().decode()
    events = []
    for frame in filter(None, text.split("\n\n")):
        event_line, data_line = frame.split("\n")
        data = json.loads(data_line.removeprefix("data: "))
        assert event_line == f"event: {data['type']}"
        EVENTS.validate_python(data)
        events.append(data)
    return events


def only_call(response: Response) -> ResponseFunctionToolCall:
    calls = [item for item in response.output if isinstance(item, ResponseFunctionToolCall)]
    assert len(calls) == 1
    return calls[0]


def check_weather_arguments(arguments: str) -> None:
    parsed = json.loads(arguments)
    jsonschema.validate(parsed, WEATHER_SCHEMA)
    city, _, country = parsed["location"].partition(", ")
    assert city
    assert country


def error_details(exc: openai.APIStatusError) -> str:
    assert isinstance(exc.body, dict)
    details: str = exc.body["status"]["details"]
    return details


# --- plain responses ---------------------------------------------------------------------------------------------


def test_plain_text_input(client: openai.OpenAI) -> None:
    response = create(client, model=GPT4O, input="Say hello.")
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.error is None
    assert response.incomplete_details is None
    assert response.model == GPT4O
    assert response.output_text.strip()
    message = response.output[0]
    assert isinstance(message, ResponseOutputMessage)
    assert message.id.startswith("msg_")
    assert message.content[0].type == "output_text"
    assert message.content[0].annotations == []
    usage = response.usage
    assert usage is not None
    assert usage.input_tokens > 0
    assert usage.output_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0


def test_instructions_become_a_system_message(client: openai.OpenAI) -> None:
    plain = create(client, model=GPT4O, input="Say hello.")
    instructed = create(client, model=GPT4O, input="Say hello.", instructions="Answer like a pirate, in detail.")
    assert instructed.instructions == "Answer like a pirate, in detail."
    assert instructed.output_text
    assert plain.usage is not None
    assert instructed.usage is not None
    assert instructed.usage.input_tokens > plain.usage.input_tokens


def test_request_fields_are_echoed(client: openai.OpenAI) -> None:
    response = create(
        client, model=GPT4O, input="Echo.", temperature=0.2, top_p=0.5, metadata={"run": "7"}, parallel_tool_calls=False
    )
    assert (response.temperature, response.top_p) == (0.2, 0.5)
    assert response.metadata == {"run": "7"}
    assert response.parallel_tool_calls is False
    assert response.tool_choice == "auto"
    assert response.tools == []
    assert response.text is not None
    assert response.text.format is not None
    assert response.text.format.type == "text"


def test_message_items_and_images_are_accepted(client: openai.OpenAI) -> None:
    text_only = create(client, model=GPT4O, input=[{"role": "user", "content": "What is in this picture?"}])
    with_image = create(
        client,
        model=GPT4O,
        input=[
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is in this picture?"},
                    {"type": "input_image", "image_url": PNG_DATA_URL, "detail": "low"},
                ],
            }
        ],
    )
    assert with_image.output_text
    assert text_only.usage is not None
    assert with_image.usage is not None
    assert with_image.usage.input_tokens >= text_only.usage.input_tokens + 85


def test_reasoning_model_puts_a_reasoning_item_first(client: openai.OpenAI) -> None:
    response = create(client, model=GPT_OSS, input="Think first.")
    reasoning, message = response.output
    assert isinstance(reasoning, ResponseReasoningItem)
    assert reasoning.id.startswith("rs_")
    assert reasoning.summary[0].text
    assert isinstance(message, ResponseOutputMessage)
    assert response.output_text
    assert response.usage is not None
    assert response.usage.output_tokens_details.reasoning_tokens > 0


def test_seed_header_pins_the_whole_response(client: openai.OpenAI) -> None:
    pinned = client.with_options(default_headers={"x-mock-seed": "42"})
    first = create(pinned, model=GPT4O, input="Pin me.")
    second = create(pinned, model=GPT4O, input="Pin me.")
    assert first == second
    assert create(client, model=GPT4O, input="Pin me.").id != first.id


# --- streaming ---------------------------------------------------------------------------------------------------


def test_stream_helper_gives_the_same_response(client: openai.OpenAI) -> None:
    whole = create(client, model=GPT4O, input="Stream me a story.")
    with client.responses.stream(model=GPT4O, input="Stream me a story.") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) > 2
    assert "".join(deltas) == whole.output_text
    assert final.output_text == whole.output_text
    assert final.status == "completed"
    assert final.usage == whole.usage


def test_raw_stream_events_validate_in_order(server: MockServer) -> None:
    events = raw_events(server, {"model": GPT4O, "input": "Raw stream."})
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    kinds = [event["type"] for event in events]
    assert kinds[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, completed = events[0]["response"], events[-1]["response"]
    assert created["status"] == "in_progress"
    assert created["output"] == []
    assert created["usage"] is None
    assert created["id"] == completed["id"]
    assert completed["status"] == "completed"
    assert completed["usage"]["total_tokens"] > 0
    text = "".join(event["delta"] for event in events if event["type"] == "response.output_text.delta")
    assert text == completed["output"][0]["content"][0]["text"]


def test_reasoning_stream_sends_summary_events_first(server: MockServer) -> None:
    events = raw_events(server, {"model": GPT_OSS, "input": "Think while streaming."})
    kinds = [event["type"] for event in events]
    assert kinds[2] == "response.output_item.added"
    assert events[2]["item"]["type"] == "reasoning"
    assert kinds.index("response.reasoning_summary_text.delta") < kinds.index("response.output_text.delta")
    summary = "".join(e["delta"] for e in events if e["type"] == "response.reasoning_summary_text.delta")
    assert summary == events[-1]["response"]["output"][0]["summary"][0]["text"]


def test_function_call_stream(client: openai.OpenAI, server: MockServer) -> None:
    body = {"model": GPT4O, "input": ASK_WEATHER, "tools": [WEATHER_TOOL], "tool_choice": "required"}
    events = raw_events(server, body)
    kinds = [event["type"] for event in events]
    assert "response.output_text.delta" not in kinds
    added = events[kinds.index("response.output_item.added")]["item"]
    assert added["type"] == "function_call"
    assert added["arguments"] == ""
    pieces = [event["delta"] for event in events if event["type"] == "response.function_call_arguments.delta"]
    assert len(pieces) > 1
    done = events[kinds.index("response.function_call_arguments.done")]
    assert "".join(pieces) == done["arguments"]
    check_weather_arguments(done["arguments"])
    with client.responses.stream(model=GPT4O, input=ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required") as s:
        final = s.get_final_response()
    assert only_call(final).arguments == done["arguments"]


def test_scripted_stream_error_ends_in_response_failed(client: openai.OpenAI, server: MockServer) -> None:
    events = raw_events(server, {"model": GPT4O, "input": "A stream that fails, please."})
    assert len(events) == 6
    failed = events[-1]
    assert failed["type"] == "response.failed"
    assert failed["sequence_number"] == 5
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": "backend went away"}
    with client.responses.stream(model=GPT4O, input="A stream that fails, please.") as stream:
        assert [event.type for event in stream][-1] == "response.failed"
        with pytest.raises(RuntimeError, match=r"response\.completed"):
            stream.get_final_response()


# --- tools -------------------------------------------------------------------------------------------------------


def test_required_tool_choice_gives_a_function_call(client: openai.OpenAI) -> None:
    response = create(client, model=GPT4O, input=ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required")
    call = only_call(response)
    assert call.name == "get_weather"
    assert call.id is not None
    assert call.id.startswith("fc_")
    assert call.call_id.startswith("call_")
    assert call.status == "completed"
    check_weather_arguments(call.arguments)
    assert response.output_text == ""
    assert response.tool_choice == "required"
    assert [tool.type for tool in response.tools] == ["function"]


def test_two_turn_tool_flow(client: openai.OpenAI) -> None:
    first = create(client, model=GPT4O, input=ASK_WEATHER, tools=[WEATHER_TOOL], tool_choice="required")
    call = only_call(first)
    history: ResponseInputParam = [
        *ASK_WEATHER,
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": json.dumps({"temperature_c": 21})},
    ]
    second = create(client, model=GPT4O, input=history, tools=[WEATHER_TOOL])
    assert not [item for item in second.output if item.type == "function_call"]
    assert second.output_text
    assert first.usage is not None
    assert second.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens


def test_forced_function_by_name(client: openai.OpenAI) -> None:
    other: FunctionToolParam = {"type": "function", "name": "get_time", "parameters": {}, "strict": False}
    response = create(
        client,
        model=GPT4O,
        input=ASK_WEATHER,
        tools=[other, WEATHER_TOOL],
        tool_choice={"type": "function", "name": "get_weather"},
    )
    assert only_call(response).name == "get_weather"
    assert isinstance(response.tool_choice, ToolChoiceFunction)
    assert response.tool_choice.name == "get_weather"


def test_nested_chat_style_tools_are_accepted(client: openai.OpenAI) -> None:
    tools = cast(Any, [NESTED_WEATHER_TOOL])
    response = create(client, model=CLAUDE, input=ASK_WEATHER, tools=tools, tool_choice="required")
    call = only_call(response)
    assert call.call_id.startswith("toolu_01")
    check_weather_arguments(call.arguments)
    # The echo is in the flat form, which the SDK's types require.
    assert response.tools[0].type == "function"
    assert response.tools[0].name == "get_weather"


def test_reasoning_text_and_parallel_calls_stream_into_one_final_response(client: openai.OpenAI) -> None:
    pinned = client.with_options(default_headers={"x-mock-seed": "7"})
    whole = create(pinned, model=GPT4O, input="Please think talk and call twice.", tools=[WEATHER_TOOL])
    assert [item.type for item in whole.output] == ["reasoning", "message", "function_call", "function_call"]
    with pinned.responses.stream(model=GPT4O, input="Please think talk and call twice.", tools=[WEATHER_TOOL]) as s:
        events = [event.type for event in s]
        final = s.get_final_response()
    assert final.id == whole.id
    assert [(i.type, getattr(i, "id", None)) for i in final.output] == [(i.type, i.id) for i in whole.output]
    assert final.output_text == "Let me look both up."
    assert events.count("response.output_item.added") == events.count("response.output_item.done") == 4
    calls = [item for item in final.output if isinstance(item, ResponseFunctionToolCall)]
    assert [json.loads(call.arguments)["location"] for call in calls] == ["Paris, France", "Lima, Peru"]
    assert len({call.call_id for call in calls}) == 2


def test_history_with_text_parallel_calls_and_other_items(client: openai.OpenAI) -> None:
    history: list[dict[str, Any]] = [
        {"type": "item_reference", "id": "rs_earlier"},
        {"role": "developer", "content": "Use metric units."},
        {"role": "user", "content": "Weather in Paris and Lima?"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
        {"type": "function_call", "call_id": "call_a", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call", "call_id": "call_b", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_a", "output": [{"type": "input_text", "text": "18C"}]},
        {"type": "function_call_output", "call_id": "call_b", "output": "22C"},
    ]
    response = create(client, model=GPT4O, input=cast(Any, history), tools=[WEATHER_TOOL])
    assert response.status == "completed"
    assert response.output_text


# --- structured output and limits --------------------------------------------------------------------------------


class Step(BaseModel):
    title: str
    minutes: int


class Plan(BaseModel):
    destination: str
    steps: list[Step]
    budget: float


def test_parse_with_a_pydantic_model(client: openai.OpenAI) -> None:
    response = client.responses.parse(model=GPT4O, input="Plan a trip.", text_format=Plan)
    assert isinstance(response.output_parsed, Plan)
    assert response.output_parsed == Plan.model_validate_json(response.output_text)
    assert response.text is not None
    assert response.text.format is not None
    assert response.text.format.type == "json_schema"


def test_json_object_format(client: openai.OpenAI) -> None:
    response = create(client, model=GPT4O, input="Reply in JSON.", text={"format": {"type": "json_object"}})
    assert isinstance(json.loads(response.output_text), dict)


def test_max_output_tokens_cuts_a_long_reply(client: openai.OpenAI) -> None:
    response = create(client, model=GPT4O, input="Please tell me a long story.", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.max_output_tokens == 16
    assert response.usage is not None
    assert 0 < response.usage.output_tokens <= 16
    assert LONG_TEXT.startswith(response.output_text)
    message = response.output[0]
    assert isinstance(message, ResponseOutputMessage)
    assert message.status == "incomplete"


def test_streamed_cut_reply_ends_with_response_incomplete(server: MockServer) -> None:
    events = raw_events(server, {"model": GPT4O, "input": "Please tell me a long story.", "max_output_tokens": 16})
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_max_output_tokens_below_16_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=GPT4O, input="Hi.", max_output_tokens=15)
    assert "'max_output_tokens'" in error_details(caught.value)


# --- fixtures ----------------------------------------------------------------------------------------------------


def test_fixture_for_the_responses_endpoint_answers(client: openai.OpenAI, server: MockServer) -> None:
    raw = client.responses.with_raw_response.create(model=GPT4O, input="Give me the scripted responses answer.")
    assert raw.headers["x-mock-fixture"] == "responses-scripted"
    assert raw.parse().output_text == f"Scripted for {GPT4O}."
    # The same words on chat completions do not match a fixture scoped to the responses endpoint.
    chat = client.chat.completions.with_raw_response.create(
        model=GPT4O, messages=[{"role": "user", "content": "Give me the scripted responses answer."}]
    )
    assert chat.headers["x-mock-fixture"] != "responses-scripted"
    entries = httpx.get(f"{server.url}/__mock__/journal").json()["entries"]
    mine = [e for e in entries if e["fixture"] == "responses-scripted"]
    assert mine[-1]["endpoint"] == "responses"
    assert mine[-1]["usage"]["input_tokens"] > 0


def test_scripted_http_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=GPT4O, input="Please throttle me now.")
    assert caught.value.response.headers["x-mock-fixture"] == "responses-throttled"


def test_ledger_charges_responses(server: MockServer) -> None:
    headers = {"Authorization": f"Bearer {PAT}", "x-mock-namespace": "responses-ledger"}
    with openai.OpenAI(base_url=server.base_url, api_key=PAT, max_retries=0, default_headers=headers) as sdk:
        response = create(sdk, model=GPT4O, input="Bill me.")
    ledger = httpx.get(f"{server.url}/__mock__/usage", params={"namespace": "responses-ledger"}).json()
    assert response.usage is not None
    assert ledger["requests"] == 1
    assert ledger["prompt_tokens"] == response.usage.input_tokens
    assert ledger["completion_tokens"] == response.usage.output_tokens
    assert ledger["cost_usd"] > 0


# --- errors ------------------------------------------------------------------------------------------------------


def test_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="openai/chat-completion/models/gpt-99", input="Hi.")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["status"]["code"] == 21200


def test_missing_key_is_authentication_error(server: MockServer) -> None:
    headers = {"Authorization": ""}
    with (
        openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, default_headers=headers) as anonymous,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        anonymous.responses.create(model=GPT4O, input="Hi.")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["status"]["code"] == 11009


def test_embedding_model_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=ADA, input="Hi.")
    assert "responses" in error_details(caught.value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"input": 123}, "'input'"),
        ({"input": [{"role": "user", "content": 5}]}, "'input[0].content'"),
        ({"input": [{"type": "function_call_output", "output": "x"}]}, "'input[0].call_id'"),
        ({"input": "Hi.", "tools": [{"type": "function", "parameters": {}}]}, "'tools[0].name'"),
        ({"input": "Hi.", "tools": [{"type": "web_search"}]}, "'tools[0].type'"),
        ({"input": "Hi.", "text": {"format": {"type": "json_schema", "schema": {}}}}, "'text.format.name'"),
        ({"input": "Hi.", "max_output_tokens": "many"}, "'max_output_tokens'"),
        ({"input": "Hi.", "tool_choice": {"type": "function"}}, "'tool_choice.name'"),
        # Schemas the generator cannot use are reported under the Responses name of the field, not the chat one.
        (
            {"input": "Hi.", "text": {"format": {"type": "json_schema", "name": "s", "schema": {"required": 5}}}},
            "'text.format.schema'",
        ),
        (
            {
                "input": "Hi.",
                "tools": [{"type": "function", "name": "f", "parameters": {"required": 5}}],
                "tool_choice": "required",
            },
            "'tools[0].parameters'",
        ),
    ],
)
def test_wrong_fields_are_bad_requests_that_name_them(client: openai.OpenAI, body: dict[str, Any], field: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=GPT4O, **cast(Any, body))
    assert field in error_details(caught.value)
