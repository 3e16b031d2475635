"""Tool-call checks through the official ``openai`` SDK: a scripted or generated call the request does not allow is a
warning in the journal, in ``x-mock-warnings``, in the server log and at test teardown; strict mode refuses it."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from openai.types.responses import FunctionToolParam

from mockserver import Fixture, MockHandle, MockServer, NoMatch, Settings

GPT4O = "openai/chat-completion/models/gpt-4o"
CITY: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
WEATHER: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Current weather in a city", "parameters": CITY},
}
TIME: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
ASK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What's the weather in Lima?"}]
LOCATION_CALL = {"name": "get_weather", "arguments": {"location": "Lima, Peru"}}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, no_match=NoMatch.GENERATE)) as running:
        yield running


@pytest.fixture
def namespace() -> str:
    return f"chk-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(server: MockServer, namespace: str) -> Iterator[openai.OpenAI]:
    headers = {"x-mock-namespace": namespace}
    with openai.OpenAI(base_url=server.base_url, api_key="p", max_retries=0, default_headers=headers) as sdk:
        yield sdk


def script(server: MockServer, namespace: str, **fixture: Any) -> str:
    return server.context.store.add(Fixture.model_validate(fixture), namespace).name


def warnings_of(server: MockServer, namespace: str) -> list[str]:
    return [w for entry in server.context.journal.entries(namespace) for w in entry.warnings]


def test_arguments_that_do_not_fit_the_tool_are_a_warning_everywhere(
    server: MockServer, namespace: str, client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    script(server, namespace, name="readme-weather", match={"user": "weather"}, reply={"tool_calls": [LOCATION_CALL]})
    caplog.set_level(logging.WARNING, logger="mockserver")
    raw = client.chat.completions.with_raw_response.create(model=GPT4O, messages=ASK, tools=[WEATHER])
    assert raw.parse().choices[0].message.tool_calls  # the reply still goes out in generate mode
    expected = [
        "fixture 'readme-weather': tool 'get_weather' (call 0): arguments at $: 'city' is a required property",
        "fixture 'readme-weather': tool 'get_weather' (call 0): arguments at $: "
        "Additional properties are not allowed ('location' was unexpected)",
    ]
    assert sorted(warnings_of(server, namespace)) == expected
    assert raw.headers["x-mock-warnings"] == " | ".join(warnings_of(server, namespace))
    logged = [r.getMessage() for r in caplog.records if r.name == "mockserver" and r.levelno == logging.WARNING]
    assert len(logged) == 1
    assert "'city' is a required property" in logged[0]


def test_a_tool_that_is_not_offered_is_flagged_in_the_journal(
    server: MockServer, namespace: str, client: openai.OpenAI
) -> None:
    script(server, namespace, name="wrong-tool", match={"user": "weather"}, reply={"tool_calls": [LOCATION_CALL]})
    client.chat.completions.create(model=GPT4O, messages=ASK, tools=[TIME])
    entry = server.context.journal.entries(namespace)[-1].to_json()
    assert entry["warnings"] == [
        "fixture 'wrong-tool': tool 'get_weather' (call 0): the tool is not offered by the request "
        "(offered: ['get_time'])"
    ]


def test_strict_header_turns_warnings_into_an_error_the_sdk_shows(
    server: MockServer, namespace: str, client: openai.OpenAI
) -> None:
    script(server, namespace, name="readme-weather", match={"user": "weather"}, reply={"tool_calls": [LOCATION_CALL]})
    for stream in (False, True):
        with pytest.raises(openai.UnprocessableEntityError) as caught:
            client.chat.completions.create(
                model=GPT4O, messages=ASK, tools=[WEATHER], stream=stream, extra_headers={"x-mock-strict": "true"}
            )
        assert "'city' is a required property" in str(caught.value)
        assert caught.value.response.headers["x-mock-fixture"] == "readme-weather"
    assert [entry.status for entry in server.context.journal.entries(namespace)] == [422, 422]


def test_a_warning_fails_the_test_at_teardown(server: MockServer) -> None:
    handle = MockHandle(server, f"t-{uuid.uuid4().hex[:8]}", strict=False).begin()
    handle.add_fixture(name="readme-weather", match={"user": "weather"}, reply={"tool_calls": [LOCATION_CALL]})
    handle.client().chat.completions.create(model=GPT4O, messages=ASK, tools=[WEATHER])
    problems = handle.finish()
    assert len(problems) == 1
    assert problems[0].startswith("1 request(s) of this test got a reply with warnings:")
    assert "fixture 'readme-weather': tool 'get_weather' (call 0): arguments at $: 'city'" in problems[0]


def test_strict_mode_refuses_the_reply(server: MockServer) -> None:
    handle = MockHandle(server, f"t-{uuid.uuid4().hex[:8]}", strict=True).begin()
    handle.add_fixture(name="readme-weather", match={"user": "weather"}, reply={"tool_calls": [LOCATION_CALL]})
    with pytest.raises(openai.UnprocessableEntityError, match="Additional properties are not allowed"):
        handle.client().chat.completions.create(model=GPT4O, messages=ASK, tools=[WEATHER])
    assert "got a reply with warnings" in handle.finish()[0]


def test_a_fitting_fixture_has_no_warning(server: MockServer, namespace: str, client: openai.OpenAI) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Lima"}}
    script(server, namespace, match={"user": "weather"}, reply={"tool_calls": [call]})
    raw = client.chat.completions.with_raw_response.create(model=GPT4O, messages=ASK, tools=[WEATHER])
    assert "x-mock-warnings" not in raw.headers
    assert warnings_of(server, namespace) == []


@pytest.mark.parametrize(
    ("tool_choice", "parallel", "warning"),
    [
        ("none", None, "fixture 'two': tool_choice is 'none', but the reply calls ['get_weather', 'get_time']"),
        (
            {"type": "function", "function": {"name": "get_time"}},
            None,
            "fixture 'two': tool_choice forces 'get_time', but the reply calls ['get_weather', 'get_time']",
        ),
        ("auto", False, "fixture 'two': parallel_tool_calls is false, but the reply makes 2 calls"),
    ],
)
def test_tool_choice_and_parallel_rules(
    server: MockServer, namespace: str, client: openai.OpenAI, tool_choice: Any, parallel: bool | None, warning: str
) -> None:
    calls = [{"name": "get_weather", "arguments": {"city": "Lima"}}, {"name": "get_time", "arguments": {}}]
    # ``match.tool_choice`` is named, so the fixture answers even under ``none`` (the implicit rule steps aside).
    match = {"user": "weather", "tool_choice": tool_choice if isinstance(tool_choice, str) else "get_time"}
    script(server, namespace, name="two", match=match, reply={"tool_calls": calls})
    client.chat.completions.create(
        model=GPT4O,
        messages=ASK,
        tools=[WEATHER, TIME],
        tool_choice=tool_choice,
        parallel_tool_calls=openai.omit if parallel is None else parallel,
    )
    assert warnings_of(server, namespace)[0].startswith(warning)


def test_a_calling_fixture_does_not_answer_tool_choice_none(
    server: MockServer, namespace: str, client: openai.OpenAI
) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Lima"}}
    script(server, namespace, name="caller", match={"user": "weather"}, reply={"tool_calls": [call]})
    raw = client.chat.completions.with_raw_response.create(
        model=GPT4O, messages=ASK, tools=[WEATHER], tool_choice="none"
    )
    assert raw.headers["x-mock-fixture"] == "(generated)"
    assert raw.parse().choices[0].message.tool_calls is None


def test_required_after_a_tool_result_gets_a_tool_call_not_the_text_fixture(
    server: MockServer, namespace: str, client: openai.OpenAI
) -> None:
    # pydantic-ai: a tool result, then ``required`` so the model must call its output tool ``final_result``.
    script(
        server, namespace, name="answer", match={"tool_result": {"name": "get_weather"}}, reply={"content": "Sunny."}
    )
    final: ChatCompletionFunctionToolParam = {
        "type": "function",
        "function": {
            "name": "final_result",
            "parameters": {"type": "object", "properties": {"answer": {"type": "string"}}},
        },
    }
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Lima"}'}}
    messages: list[ChatCompletionMessageParam] = [
        *ASK,
        {"role": "assistant", "tool_calls": [call]},  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"temperature": 20})},
    ]
    raw = client.chat.completions.with_raw_response.create(
        model=GPT4O, messages=messages, tools=[WEATHER, final], tool_choice="required"
    )
    message = raw.parse().choices[0].message
    assert raw.headers["x-mock-fixture"] == "(generated)"
    assert [c.function.name for c in message.tool_calls or [] if c.type == "function"] == ["final_result"]
    auto = client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER, final])
    assert auto.choices[0].message.content == "Sunny."  # without ``required`` the text fixture still answers


def test_responses_calls_are_checked_too(server: MockServer, namespace: str, client: openai.OpenAI) -> None:
    script(server, namespace, name="readme-weather", match={"user": "weather"}, reply={"tool_calls": [LOCATION_CALL]})
    tool: FunctionToolParam = {"type": "function", "name": "get_weather", "parameters": CITY, "strict": False}
    raw = client.responses.with_raw_response.create(model=GPT4O, input="What's the weather in Lima?", tools=[tool])
    assert "'city' is a required property" in raw.headers["x-mock-warnings"]


def test_strict_header_turns_a_miss_into_a_404(server: MockServer, namespace: str, client: openai.OpenAI) -> None:
    script(server, namespace, name="only-hello", match={"user": "hello"}, reply={"content": "Hi!"})
    assert client.chat.completions.create(model=GPT4O, messages=ASK).choices[0].message.content  # generated
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model=GPT4O, messages=ASK, extra_headers={"x-mock-strict": "true"})
    assert isinstance(caught.value.body, dict)
    assert "'only-hello'" in caught.value.body["status"]["details"]
