"""Unit tests for the pure rules behind generated replies and checks: mentions, the asked-for-tool rule, the schema
in a prompt, the misbehaviour helpers, the tool-call checks and the tool_choice match conditions."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from mockserver import Fixture
from mockserver.chat_request import FunctionDef, parse_chat_request
from mockserver.engine import misbehave
from mockserver.engine.intent import asks_for, description_words, name_words, schema_in_prompt
from mockserver.engine.synth import generate_arguments
from mockserver.engine.synth.mentions import Mentions
from mockserver.fixtures.checks import Call, tool_call_warnings
from mockserver.fixtures.facts import RequestFacts, read_conversation
from mockserver.fixtures.matching import CompiledMatch

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["location", "unit"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("What's the weather in São Paulo?", "São Paulo"),
        ("weather in Paris, France today", "Paris, France"),
        ("Flights to New York City on March 3, 2026", "New York City"),
        ("Is it cold in Rio de Janeiro?", "Rio de Janeiro"),
        ("what is the weather like", None),
        ("weather in fahrenheit please", None),
    ],
)
def test_the_place_is_the_capitalised_run_after_a_preposition(text: str, place: str | None) -> None:
    assert Mentions.of(text).place == place


def test_dates_are_iso_and_their_digits_are_no_numbers() -> None:
    found = Mentions.of('Find "late fees" between 2026-01-05 and March 9, 2026, top 3')
    assert (found.quoted, found.dates, found.numbers) == ("late fees", ["2026-01-05", "2026-03-09"], [3.0])


def test_arguments_take_mentions_before_inventing() -> None:
    said = "weather in Oslo, Norway in Fahrenheit for 5 days"
    assert generate_arguments(SCHEMA, 3, context=said) == {"location": "Oslo, Norway", "unit": "fahrenheit", "days": 5}
    invented = generate_arguments(SCHEMA, 3, context="weather for 50 days")  # 50 is out of bounds: invented
    assert 1 <= invented["days"] <= 7
    assert invented == generate_arguments(SCHEMA, 3, context="weather for 50 days")  # still seeded


def test_a_mention_that_breaks_the_schema_is_not_used() -> None:
    short = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 3}}, "required": ["city"]}
    assert generate_arguments(short, 1, context="weather in Amsterdam")["city"] != "Amsterdam"


@pytest.mark.parametrize(
    ("name", "description", "message", "asked"),
    [
        ("get_weather", None, "What's the weather in Lima?", True),
        ("getCurrentWeather", None, "Any weather news?", True),
        ("search_flights", None, "find me a flight to Rome", True),
        ("get_weather", None, "Tell me a joke", False),
        ("lookup", "Look up an order by its order number", "Where is my order? The number is 12.", True),
        ("lookup", "Look up an order by its order number", "Where is my order?", False),
    ],
)
def test_the_asked_for_tool_rule(name: str, description: str | None, message: str, asked: bool) -> None:
    assert asks_for(FunctionDef(name=name, description=description), message) is asked


def test_name_and_description_words_drop_common_words() -> None:
    assert name_words("get_current_weather") == {"weather"}
    assert description_words("Get the current weather in a given location") == {"weather", "location"}


def test_the_schema_in_a_prompt_is_the_outermost_object_with_properties() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    request = parse_chat_request(
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "Config {not json} then: " + json.dumps(schema, indent=2) + " thanks"},
                {"role": "user", "content": "hi"},
            ],
        }
    )
    assert schema_in_prompt(request) == schema


def test_misbehaviour_helpers_break_what_they_say() -> None:
    arguments = json.dumps({"location": "Lima", "unit": "celsius"})
    for seed in range(8):
        with pytest.raises(json.JSONDecodeError):
            json.loads(misbehave.invalid_json(arguments, seed))
        broken = json.loads(misbehave.schema_violation(SCHEMA, arguments, seed))
        assert not jsonschema.Draft202012Validator(SCHEMA).is_valid(broken)
        assert misbehave.unknown_tool("get_weather", {"get_weather", "search_web"}, seed) not in {
            "get_weather",
            "search_web",
        }
        assert arguments.startswith(misbehave.cut(arguments, seed))
        assert misbehave.cut(arguments, seed) != arguments


def _request(**fields: Any) -> Any:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}
    body = {"model": "m", "messages": [{"role": "user", "content": "weather"}], "tools": [tool], **fields}
    return parse_chat_request(body)


def test_tool_call_warnings_name_fixture_tool_and_path() -> None:
    calls = [Call("get_weather", '{"location": "Lima", "unit": "kelvin"}'), Call("get_time", "{}")]
    warnings = tool_call_warnings(_request(parallel_tool_calls=False), "f", calls)
    assert warnings == [
        "fixture 'f': parallel_tool_calls is false, but the reply makes 2 calls ['get_weather', 'get_time']",
        "fixture 'f': tool 'get_weather' (call 0): arguments at $.unit: 'kelvin' is not one of "
        "['celsius', 'fahrenheit']",
        "fixture 'f': tool 'get_time' (call 1): the tool is not offered by the request (offered: ['get_weather'])",
    ]


def test_a_cut_reply_does_not_warn_about_its_cut_arguments() -> None:
    assert tool_call_warnings(_request(), "f", [Call("get_weather", '{"loc')], cut=True) == []
    assert "not valid JSON" in tool_call_warnings(_request(), "f", [Call("get_weather", '{"loc')])[0]


@pytest.mark.parametrize(
    ("reply", "tool_choice", "fails"),
    [
        ({"content": "Sunny."}, "required", True),
        ({"content": "Sunny."}, {"type": "function", "function": {"name": "get_weather"}}, True),
        ({"content": "Sunny."}, "auto", False),
        ({"tool_calls": [{"name": "get_weather"}]}, "none", True),
        ({"tool_calls": [{"name": "get_weather"}]}, "required", False),
        ({"misbehave": "refusal"}, "required", False),  # asked-for misbehaviour answers whatever the choice
        ({}, "required", False),  # everything generated: the generator follows the choice
    ],
)
def test_tool_choice_match_conditions(reply: dict[str, Any], tool_choice: Any, fails: bool) -> None:
    compiled = CompiledMatch(Fixture.model_validate({"match": {}, "reply": reply}))
    facts = RequestFacts("chat.completions", "m", read_conversation(_request(tool_choice=tool_choice)))
    assert bool(compiled.failures(facts)) is fails
    named = CompiledMatch(Fixture.model_validate({"match": {"tool_choice": "required"}, "reply": {"content": "x"}}))
    assert not named.failures(
        RequestFacts("chat.completions", "m", read_conversation(_request(tool_choice="required")))
    )


def test_a_misbehaving_calling_fixture_still_answers_tool_choice_none() -> None:
    reply = {"misbehave": "unknown_tool", "tool_calls": [{"name": "get_weather"}]}
    compiled = CompiledMatch(Fixture.model_validate({"match": {}, "reply": reply}))
    assert not compiled.failures(RequestFacts("chat.completions", "m", read_conversation(_request(tool_choice="none"))))


def test_a_schema_that_cannot_validate_is_a_warning_not_a_crash() -> None:
    broken = {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}
    tool = {"type": "function", "function": {"name": "t", "parameters": broken}}
    request = parse_chat_request({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [tool]})
    [warning] = tool_call_warnings(request, "f", [Call("t", '{"a": 1}')])
    assert warning.startswith("fixture 'f': tool 't' (call 0): its parameters cannot be used to validate")


def test_a_date_time_property_takes_the_mentioned_day_at_midnight() -> None:
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}, "required": ["at"]}
    assert generate_arguments(schema, 1, context="remind me on 2026-07-01") == {"at": "2026-07-01T00:00:00Z"}
