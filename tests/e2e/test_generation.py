"""Generated replies that follow the conversation, through the official ``openai`` SDK with no fixture loaded: tool
arguments from what the user said, ``auto`` calling the tool the user asks for, ``required`` preferring a tool not
called yet, and instructor's JSON mode (a schema in the system prompt) answered with schema-valid JSON."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from typing import Any, Literal

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from openai.types.responses import FunctionToolParam
from pydantic import BaseModel

from mockserver import MockServer, NoMatch, Settings

GPT4O = "openai/chat-completion/models/gpt-4o"


def tool(name: str, properties: dict[str, Any], description: str | None = None) -> ChatCompletionFunctionToolParam:
    parameters = {"type": "object", "properties": properties, "required": list(properties)}
    function: Any = {"name": name, "parameters": parameters}
    if description is not None:
        function["description"] = description
    return {"type": "function", "function": function}


WEATHER = tool(
    "get_weather",
    {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "Get the current weather in a given location",
)
CITY_WEATHER = tool("get_weather", {"city": {"type": "string"}})
SEARCH = tool(
    "search_docs",
    {"query": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 20}},
)
BOOK = tool(
    "book_table",
    {"date": {"type": "string", "format": "date"}, "guests": {"type": "integer", "minimum": 1}},
    "Reserve a restaurant table for a party",
)
FINAL = tool("final_result", {"answer": {"type": "string"}}, "The final response which ends this conversation")


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, no_match=NoMatch.GENERATE)) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="p", max_retries=0) as sdk:
        yield sdk


def ask(
    client: openai.OpenAI, text: str, tools: list[ChatCompletionFunctionToolParam], tool_choice: Any = openai.omit
) -> ChatCompletion:
    return client.chat.completions.create(
        model=GPT4O, messages=[{"role": "user", "content": text}], tools=tools, tool_choice=tool_choice
    )


def only_call(completion: ChatCompletion) -> tuple[str, dict[str, Any]]:
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = [c for c in choice.message.tool_calls or [] if c.type == "function"]
    return call.function.name, json.loads(call.function.arguments)


@pytest.mark.parametrize("city", ["London", "Paris", "Tokyo", "São Paulo"])
def test_auto_calls_the_weather_tool_with_the_city_asked_about(client: openai.OpenAI, city: str) -> None:
    for stream in (False, True):
        if stream:
            with client.chat.completions.stream(
                model=GPT4O, messages=[{"role": "user", "content": f"What's the weather in {city}?"}], tools=[WEATHER]
            ) as events:
                completion: ChatCompletion = events.get_final_completion()
        else:
            completion = ask(client, f"What's the weather in {city}?", [WEATHER])
        name, arguments = only_call(completion)
        assert name == "get_weather"
        assert arguments["location"] == city


def test_a_city_property_takes_the_city_and_an_enum_the_option_named(client: openai.OpenAI) -> None:
    assert only_call(ask(client, "Weather in Paris, France please", [CITY_WEATHER]))[1] == {"city": "Paris"}
    arguments = only_call(ask(client, "What is the weather in Oslo, Norway in Fahrenheit?", [WEATHER]))[1]
    assert arguments == {"location": "Oslo, Norway", "unit": "fahrenheit"}


def test_a_quoted_phrase_fills_the_query_and_a_number_the_limit(client: openai.OpenAI) -> None:
    completion = ask(client, 'Search the docs for "rate limits", top 5 results', [SEARCH])
    assert only_call(completion) == ("search_docs", {"query": "rate limits", "limit": 5})


def test_dates_and_numbers_fill_their_properties_through_the_description_rule(client: openai.OpenAI) -> None:
    # "book_table" has no name word in the message; "reserve" and "table" are description words it holds.
    completion = ask(client, "Please reserve a table for 4 on 14 March 2026.", [BOOK])
    assert only_call(completion) == ("book_table", {"date": "2026-03-14", "guests": 4})


def test_auto_answers_in_text_when_no_tool_is_asked_for(client: openai.OpenAI) -> None:
    completion = ask(client, "Tell me a joke about penguins.", [WEATHER, SEARCH])
    assert completion.choices[0].finish_reason == "stop"
    assert completion.choices[0].message.tool_calls is None


def test_auto_answers_in_text_after_the_tool_result(client: openai.OpenAI) -> None:
    first = ask(client, "What's the weather in Lima?", [WEATHER])
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "What's the weather in Lima?"},
        first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 19}'},
    ]
    again = client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER])
    assert again.choices[0].finish_reason == "stop"
    assert again.choices[0].message.content


def test_required_prefers_the_tool_not_called_yet(client: openai.OpenAI) -> None:
    first = ask(client, "What's the weather in Lima?", [WEATHER, FINAL], tool_choice="required")
    assert only_call(first)[0] == "get_weather"  # the one the user asks for
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "What's the weather in Lima?"},
        first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 19}'},
    ]
    second = client.chat.completions.create(
        model=GPT4O, messages=messages, tools=[WEATHER, FINAL], tool_choice="required"
    )
    assert only_call(second)[0] == "final_result"


class Answer(BaseModel):
    city: str
    temperature_c: float
    conditions: Literal["sunny", "cloudy", "rain"]


def test_json_mode_with_the_schema_in_the_system_prompt_gets_schema_valid_json(client: openai.OpenAI) -> None:
    # How instructor's Mode.JSON asks: the schema goes into the system message, response_format is json_object.
    system = textwrap.dedent(f"""
        As a genius expert, your task is to understand the content and provide
        the parsed objects in json that match the following json_schema:

        {json.dumps(Answer.model_json_schema(), indent=2)}

        Make sure to return an instance of the JSON, not the schema itself
    """)
    completion = client.chat.completions.create(
        model=GPT4O,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "It is cloudy in Quito."}],
        response_format={"type": "json_object"},
    )
    answer = Answer.model_validate_json(completion.choices[0].message.content or "")
    assert answer.conditions == "cloudy"  # the enum option the user named


def test_responses_auto_calls_the_tool_too(client: openai.OpenAI) -> None:
    weather: FunctionToolParam = {
        "type": "function",
        "name": "get_weather",
        "parameters": WEATHER["function"]["parameters"],
        "strict": False,
    }
    response = client.responses.create(model=GPT4O, input="What's the weather in Tokyo?", tools=[weather])
    [call] = [item for item in response.output if item.type == "function_call"]
    assert json.loads(call.arguments)["location"] == "Tokyo"


def test_auto_skips_a_tool_whose_schema_cannot_be_satisfied(client: openai.OpenAI) -> None:
    impossible = tool("get_weather", {"location": {"type": "string", "minLength": 10_000_000}})
    completion = ask(client, "What's the weather in Lima?", [impossible])
    assert completion.choices[0].finish_reason == "stop"
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, "What's the weather in Lima?", [impossible], tool_choice="required")
    assert "cannot generate a value" in json.dumps(caught.value.body)
