"""``{{ path }}`` templates in scripted replies: what a request puts in the context and how values are rendered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.chat_request import parse_chat_request
from mockserver.fixtures.facts import Conversation, read_conversation
from mockserver.fixtures.templating import render, render_value, template_context, unknown_roots

MODEL = "openai/chat-completion/models/gpt-4o"


def conversation(messages: list[dict[str, Any]]) -> Conversation:
    return read_conversation(parse_chat_request({"model": MODEL, "messages": messages}))


def weather_round(*contents: str) -> list[dict[str, Any]]:
    calls = [
        {"id": f"call_{i}", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
        for i in range(len(contents))
    ]
    return [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        *({"role": "tool", "tool_call_id": f"call_{i}", "content": c} for i, c in enumerate(contents)),
    ]


def context(messages: list[dict[str, Any]], model: str = "gpt-4o") -> dict[str, Any]:
    return template_context(conversation(messages), model)


PARIS = json.dumps({"location": "Paris", "temperature": 21, "conditions": "sunny", "tags": ["warm", "dry"]})
ROME = json.dumps({"location": "Rome", "temperature": 25.5, "conditions": "clear", "wind": None})


def test_context_holds_the_request_parts() -> None:
    ctx = context(weather_round(PARIS, ROME))
    assert ctx["last_user"] == "Weather in Paris and Rome?"
    assert ctx["system"] == "Be brief."
    assert ctx["model"] == "gpt-4o"
    assert ctx["turn"] == 1
    assert ctx["tool_result"] == json.loads(PARIS)
    assert ctx["tool_results"] == [json.loads(PARIS), json.loads(ROME)]


def test_context_without_tool_results() -> None:
    ctx = context([{"role": "user", "content": "hi"}])
    assert ctx["tool_result"] is None
    assert ctx["tool_results"] == []
    assert ctx["turn"] == 0


def test_render_last_user_model_and_turn() -> None:
    ctx = context([{"role": "user", "content": "ping"}], model="claude-sonnet-4")
    assert render("You said {{ last_user }} to {{model}} at turn {{  turn  }}.", ctx) == (
        "You said ping to claude-sonnet-4 at turn 0."
    )


def test_render_tool_result_fields() -> None:
    ctx = context(weather_round(PARIS, ROME))
    text = "{{ tool_result.location }}: {{ tool_result.temperature }}°C, {{ tool_result.conditions }}"
    assert render(text, ctx) == "Paris: 21°C, sunny"
    assert render("{{ tool_results.1.location }} {{ tool_results.1.temperature }}", ctx) == "Rome 25.5"
    assert render("{{ tool_result.tags.0 }}/{{ tool_result.tags.1 }}", ctx) == "warm/dry"


def test_non_string_values_render_as_json() -> None:
    ctx = context(weather_round(PARIS))
    assert render("{{ tool_result.tags }}", ctx) == '["warm", "dry"]'
    assert json.loads(render("{{ tool_result }}", ctx)) == json.loads(PARIS)
    assert render("{{ turn }}", ctx) == "1"


def test_a_text_tool_result_is_used_as_is() -> None:
    ctx = context(weather_round("It is 21 degrees and sunny."))
    assert render("The tool said: {{ tool_result }}", ctx) == "The tool said: It is 21 degrees and sunny."
    assert render("{{ tool_result.temperature }}", ctx) == ""


@pytest.mark.parametrize(
    "path", ["tool_result.missing", "tool_results.5.location", "tool_results.x", "last_user.length", "nothing", "wind"]
)
def test_paths_that_lead_nowhere_render_empty(path: str) -> None:
    ctx = context(weather_round(PARIS, ROME))
    assert render(f"[{{{{ {path} }}}}]", ctx) == "[]"


def test_null_values_render_empty() -> None:
    assert render("[{{ tool_results.1.wind }}]", context(weather_round(PARIS, ROME))) == "[]"


def test_text_without_placeholders_is_untouched() -> None:
    ctx = context([{"role": "user", "content": "hi"}])
    for text in ["plain", "{ not a template }", "{{ }}", "{{ 1abc }}", ""]:
        assert render(text, ctx) == text


def test_render_value_fills_strings_anywhere_in_arguments() -> None:
    ctx = context([{"role": "user", "content": "Lisbon"}])
    arguments = {"city": "{{ last_user }}", "nested": {"list": ["{{ model }}", 3, None, True]}, "n": 1.5}
    assert render_value(arguments, ctx) == {"city": "Lisbon", "nested": {"list": ["gpt-4o", 3, None, True]}, "n": 1.5}
    assert render_value("{{ last_user }}", ctx) == "Lisbon"
    assert render_value(7, ctx) == 7


def test_unknown_roots_are_reported_for_validation() -> None:
    text = "{{ last_user }} {{ tool_result.x }} {{ user }} {{ request.model }} {{ tool_results.0 }} {{ system }}"
    assert unknown_roots(text) == ["user", "request.model"]
    assert unknown_roots("no templates") == []
