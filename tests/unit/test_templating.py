"""``{{ path }}`` templates in scripted replies: what a request puts in the context and how values are rendered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver import Reply
from mockserver.chat_request import parse_chat_request
from mockserver.fixtures.facts import Conversation, read_conversation
from mockserver.fixtures.templating import (
    Renderer,
    lint,
    render,
    render_reply,
    render_value,
    template_context,
    unknown_roots,
)

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


def context(
    messages: list[dict[str, Any]], model: str = "gpt-4o", captures: dict[str, str] | None = None
) -> dict[str, Any]:
    return template_context(conversation(messages), model, captures)


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


# --- nothing silent: what could not be filled is listed -----------------------------------------------------------


def filled(text: str, ctx: dict[str, Any]) -> tuple[str, list[str]]:
    renderer = Renderer(ctx)
    return renderer.text(text), renderer.missing


def test_a_path_that_leads_nowhere_is_listed_with_the_reason() -> None:
    ctx = context(weather_round("It is 21 degrees and sunny."))
    assert filled("[{{ tool_result.temperature }}]", ctx) == (
        "[]",
        ['{{ tool_result.temperature }} leads nowhere: tool_result is text ("It is 21 degrees and sunny.")'],
    )
    assert filled("{{ tool_results.3 }}", ctx)[1] == ["{{ tool_results.3 }} leads nowhere: tool_results has 1 item(s)"]
    assert filled("{{ match.city }}", ctx)[1] == [
        "{{ match.city }} leads nowhere: match has no 'city' (it has no keys)"
    ]
    no_results = context([{"role": "user", "content": "hi"}])
    assert filled("{{ tool_result.x }}", no_results)[1] == ["{{ tool_result.x }} leads nowhere: tool_result is null"]
    assert filled("{{ nothing }}", no_results)[1] == ["{{ nothing }} leads nowhere: there is no 'nothing'"]


def test_null_is_a_value_not_a_missing_path() -> None:
    assert filled("[{{ tool_results.1.wind }}]", context(weather_round(PARIS, ROME))) == ("[]", [])


def test_defaults_fill_missing_and_null_values() -> None:
    ctx = context(weather_round("plain text"), captures={"city": "Lima"})
    assert filled('{{ tool_result.temperature | default("unknown") }}', ctx) == ("unknown", [])
    assert filled("{{ tool_result.temperature | default('n/a') }}", ctx) == ("n/a", [])
    assert filled("{{ tool_result.location | default(match.city) }}", ctx) == ("Lima", [])
    assert filled("{{ tool_result.t | default(3) }}", ctx) == ("3", [])
    text, missing = filled("{{ tool_result.location | default(match.town) }}", ctx)
    assert text == ""
    assert missing == [
        '{{ tool_result.location }} leads nowhere: tool_result is text ("plain text"); and its default '
        "{{ match.town }} leads nowhere: match has no 'town' (it has city)"
    ]
    assert filled('[{{ tool_results.1.wind | default("calm") }}]', context(weather_round(PARIS, ROME)))[0] == "[calm]"


@pytest.mark.parametrize(
    ("result", "rendered"),
    [(22, "22°C"), (21.5, "21.5°C"), ("22", "22°C"), ("20°C", "20°C"), ("68 °F", "68 °F"), ("warm", "warm")],
)
def test_unit_is_added_to_bare_numbers_only(result: Any, rendered: str) -> None:
    ctx = context(weather_round(json.dumps({"temperature": result})))
    assert filled('{{ tool_result.temperature | unit("°C") }}', ctx) == (rendered, [])


def test_prefix_and_suffix_apply_only_to_present_values() -> None:
    ctx = context(weather_round(PARIS))
    text = '{{ tool_result.conditions | prefix(", with ") | default("") }}/'
    text += '{{ tool_result.rain | prefix("x") | default("") }}'
    assert filled(text, ctx) == (", with sunny/", [])
    assert filled('{{ tool_result.location | suffix("!") }}', ctx) == ("Paris!", [])
    assert filled("{{ tool_result.temperature | string }}", ctx) == ("21", [])


def test_a_placeholder_that_cannot_be_read_is_left_as_written_and_listed() -> None:
    ctx = context(weather_round(PARIS))
    assert filled("{{ tool_result | shout }}", ctx) == (
        "{{ tool_result | shout }}",
        ["{{ tool_result | shout }}: unknown filter 'shout' (known: default, unit, prefix, suffix, string)"],
    )
    assert filled("{{ tool_result | default }}", ctx)[1] == [
        "{{ tool_result | default }}: filter 'default' needs an argument"
    ]


def test_the_whole_tool_result_and_the_call_it_answers() -> None:
    messages = weather_round("The current temperature in Paris is 22°C.")
    messages[2]["tool_calls"][0]["function"]["arguments"] = json.dumps({"location": "Paris"})
    ctx = context(messages)
    assert filled("{{ tool_result }}", ctx) == ("The current temperature in Paris is 22°C.", [])
    assert filled("{{ tool_call.name }}: {{ tool_call.arguments.location }}", ctx) == ("get_weather: Paris", [])
    assert ctx["tool_calls"] == [{"id": "call_0", "name": "get_weather", "arguments": {"location": "Paris"}}]


# --- JSON values are escaped wherever they go ---------------------------------------------------------------------

TRICKY = 'Rio "the marvellous"\\ city\n'


def test_captures_in_arguments_are_escaped_and_whole_values_keep_their_type() -> None:
    ctx = context(weather_round(PARIS), captures={"city": TRICKY})
    reply = Reply(
        tool_calls=[
            {"name": "a", "arguments": {"location": "{{ match.city }}", "t": "{{ tool_result.temperature }}"}},
            {"name": "b", "arguments": '{"location": "{{ match.city }}, Brazil", "data": "{{ tool_result.tags }}"}'},
            {"name": "c", "arguments": '{"location": {{ match.city }}}'},
        ]
    )
    rendered, missing = render_reply(reply, ctx)
    assert missing == []
    assert rendered.template is False
    a, b, c = rendered.tool_calls or []
    assert a.arguments == {"location": TRICKY, "t": 21}
    assert isinstance(b.arguments, str)
    assert json.loads(b.arguments) == {
        "location": f"{TRICKY}, Brazil",
        "data": ["warm", "dry"],
    }
    assert isinstance(c.arguments, str)
    assert json.loads(c.arguments) == {"location": TRICKY}


def test_json_content_is_filled_inside_its_structure() -> None:
    ctx = context([{"role": "user", "content": TRICKY}])
    rendered, _missing = render_reply(Reply(content='{"echo": "{{ last_user }}", "turn": "{{ turn }}"}'), ctx)
    assert json.loads(rendered.content or "") == {"echo": TRICKY, "turn": 0}
    prose, _ = render_reply(Reply(content="You said {{ last_user }}"), ctx)
    assert prose.content == f"You said {TRICKY}"


def test_render_reply_fills_the_error_message_and_leaves_verbatim_replies_alone() -> None:
    ctx = context([{"role": "user", "content": "hi"}])
    rendered, missing = render_reply(Reply(error={"status": 404, "message": "No {{ model }} {{ match.x }}"}), ctx)
    assert rendered.error is not None
    assert rendered.error.message == "No gpt-4o "
    assert missing == ["{{ match.x }} leads nowhere: match has no 'x' (it has no keys)"]
    verbatim = Reply(content="{{ turn }}", template=False)
    assert render_reply(verbatim, ctx) == (verbatim, [])


def test_lint_finds_paths_that_no_request_can_fill() -> None:
    text = "{{ match.city }} {{ match.town }} {{ turn.x }} {{ tool_result.t | default(last_user) }} {{ a | up }}"
    assert lint(text, {"city"}, sees_tool_results=False) == [
        "{{ match.town }}: no regex of this fixture's match captures it (named: city)",
        "{{ turn.x }}: turn is a plain value with nothing below it",
        "{{ tool_result.t }}: this fixture never answers a request with tool results",
        "{{ a | up }}: unknown filter 'up' (known: default, unit, prefix, suffix, string)",
    ]
    assert lint("{{ tool_result.t | default(match.city) }}", {"city"}, sees_tool_results=True) == []
