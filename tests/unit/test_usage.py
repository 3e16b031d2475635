"""Billing-style usage: framing overhead per message, growth with input, tools and images counted, overrides."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types import CompletionUsage

from mockserver.chat_request import ChatRequest, parse_chat_request
from mockserver.clarifai import usage
from mockserver.clarifai.tokens import TokenCounter, counter_for
from mockserver.clarifai.usage import Usage, output_tokens, prompt_tokens, reasoning_budget
from mockserver.schema import UsageOverride

HEURISTIC = TokenCounter(method="heuristic", exact=False)
COUNTERS = [HEURISTIC, counter_for("o200k_base", exact=True), counter_for("cl100k_base", exact=False)]
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


def request(*messages: dict[str, Any], **extra: Any) -> ChatRequest:
    return parse_chat_request({"model": "m", "messages": list(messages), **extra})


def user(content: Any, **extra: Any) -> dict[str, Any]:
    return {"role": "user", "content": content, **extra}


def image(detail: str | None) -> dict[str, Any]:
    url: dict[str, Any] = {"url": "data:image/png;base64,AAAA"} | ({"detail": detail} if detail else {})
    return {"type": "image_url", "image_url": url}


def test_counters_say_how_they_count() -> None:
    assert COUNTERS[1].method == "o200k_base"
    assert COUNTERS[1].exact
    assert COUNTERS[2].method == "cl100k_base"
    assert not COUNTERS[2].exact


def test_single_message_arithmetic() -> None:
    expected = usage.REPLY_PRIMING + usage.PER_MESSAGE + HEURISTIC.count("user") + HEURISTIC.count("Hello there")
    assert prompt_tokens(request(user("Hello there")), HEURISTIC) == expected


@pytest.mark.parametrize("counter", COUNTERS, ids=lambda c: c.method)
def test_every_message_costs_framing(counter: TokenCounter) -> None:
    one = prompt_tokens(request(user("Hi")), counter)
    two = prompt_tokens(request(user("Hi"), {"role": "assistant", "content": "Hi"}), counter)
    assert two - one == usage.PER_MESSAGE + counter.count("assistant") + counter.count("Hi")
    # An empty message still costs its framing.
    assert prompt_tokens(request(user("Hi"), user("")), counter) == one + usage.PER_MESSAGE + counter.count("user")


@pytest.mark.parametrize("counter", COUNTERS, ids=lambda c: c.method)
def test_longer_input_costs_more(counter: TokenCounter) -> None:
    counts = [prompt_tokens(request(user("The quick brown fox. " * n)), counter) for n in (0, 1, 5, 25, 125)]
    assert counts == sorted(counts)
    assert len(set(counts)) == len(counts)
    assert counts[-1] - counts[0] > 250


def test_names_are_counted() -> None:
    plain = prompt_tokens(request(user("Hi")), HEURISTIC)
    named = prompt_tokens(request(user("Hi", name="alice")), HEURISTIC)
    assert named - plain == usage.PER_NAME + HEURISTIC.count("alice")


@pytest.mark.parametrize("counter", COUNTERS, ids=lambda c: c.method)
def test_tools_are_counted(counter: TokenCounter) -> None:
    plain = prompt_tokens(request(user("Hi")), counter)
    one = prompt_tokens(request(user("Hi"), tools=[TOOL]), counter)
    described = {**TOOL, "function": {**TOOL["function"], "description": "Current weather, in great detail " * 5}}
    longer = prompt_tokens(request(user("Hi"), tools=[described]), counter)
    assert one - plain > usage.TOOLS_OVERHEAD
    assert longer > one


def test_non_ascii_tool_schemas_are_counted_as_text() -> None:
    counter = COUNTERS[1]
    ascii_tool = prompt_tokens(request(user("Hi"), tools=[TOOL]), counter)
    accented = {**TOOL, "function": {**TOOL["function"], "description": "Météo actuelle"}}
    # "Météo actuelle" costs a few tokens, not the dozen its \\u escapes would.
    assert prompt_tokens(request(user("Hi"), tools=[accented]), counter) - ascii_tool < 6


def test_tool_calls_and_results_in_history_are_counted() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"location":"Lyon"}'}}
    base = prompt_tokens(request(user("Weather?")), HEURISTIC)
    with_call = prompt_tokens(request(user("Weather?"), {"role": "assistant", "tool_calls": [call]}), HEURISTIC)
    expected_call = usage.PER_MESSAGE + HEURISTIC.count("assistant") + usage.PER_TOOL_CALL
    expected_call += HEURISTIC.count("get_weather") + HEURISTIC.count('{"location":"Lyon"}')
    assert with_call - base == expected_call
    result = {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 21}'}
    with_result = prompt_tokens(
        request(user("Weather?"), {"role": "assistant", "tool_calls": [call]}, result), HEURISTIC
    )
    assert with_result > with_call


def test_images_are_counted_by_detail() -> None:
    text = prompt_tokens(request(user([{"type": "text", "text": "What is this?"}])), HEURISTIC)
    low = prompt_tokens(request(user([{"type": "text", "text": "What is this?"}, image("low")])), HEURISTIC)
    high = prompt_tokens(request(user([{"type": "text", "text": "What is this?"}, image("high")])), HEURISTIC)
    auto = prompt_tokens(request(user([{"type": "text", "text": "What is this?"}, image(None)])), HEURISTIC)
    two = prompt_tokens(
        request(user([image("low"), {"type": "text", "text": "What is this?"}, image("low")])), HEURISTIC
    )
    assert low - text == usage.IMAGE_LOW
    assert high - text == auto - text == usage.IMAGE_HIGH
    assert two - text == 2 * usage.IMAGE_LOW


def test_text_parts_count_like_a_string() -> None:
    parts = prompt_tokens(request(user([{"type": "text", "text": "What is this?"}])), HEURISTIC)
    assert parts == prompt_tokens(request(user("What is this?")), HEURISTIC)


def test_response_schema_is_counted() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}, "score": {"type": "number"}}}
    plain = prompt_tokens(request(user("Hi")), HEURISTIC)
    structured = prompt_tokens(
        request(user("Hi"), response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}),
        HEURISTIC,
    )
    assert structured > plain + 5


def test_output_tokens() -> None:
    assert output_tokens(None, [], HEURISTIC) == 0
    assert output_tokens("Hello world", [], HEURISTIC) == HEURISTIC.count("Hello world")
    calls = [("get_weather", '{"location":"Lyon, France"}'), ("get_time", "{}")]
    expected = sum(usage.PER_TOOL_CALL + HEURISTIC.count(n) + HEURISTIC.count(a) for n, a in calls)
    assert output_tokens(None, calls, HEURISTIC) == expected


def test_wire_form_validates_and_adds_up() -> None:
    wire = Usage(prompt_tokens=12, completion_tokens=30, cached_tokens=4, reasoning_tokens=20).to_wire()
    parsed = CompletionUsage.model_validate(wire)
    assert parsed.total_tokens == 42
    assert parsed.prompt_tokens_details is not None
    assert parsed.prompt_tokens_details.cached_tokens == 4
    assert parsed.completion_tokens_details is not None
    assert parsed.completion_tokens_details.reasoning_tokens == 20


def test_override_merges_field_by_field() -> None:
    computed = Usage(prompt_tokens=10, completion_tokens=20, reasoning_tokens=5, method="o200k_base")
    assert computed.overridden(None) == computed
    merged = computed.overridden(UsageOverride(prompt_tokens=100, cached_tokens=40))
    assert merged.prompt_tokens == 100
    assert merged.cached_tokens == 40
    assert merged.completion_tokens == 20
    assert merged.reasoning_tokens == 5
    assert merged.total_tokens == 120
    assert merged.method == "o200k_base"
    assert merged.to_wire()["total_tokens"] == 120


def test_reasoning_budget_is_deterministic_and_grows() -> None:
    assert reasoning_budget(7, 100) == reasoning_budget(7, 100)
    assert reasoning_budget(7, 1000) > reasoning_budget(7, 100)
    assert all(reasoning_budget(seed, 0) > 0 for seed in range(50))
    assert len({reasoning_budget(seed, 100) for seed in range(50)}) > 10


def test_heuristic_counter_truncates_to_a_prefix() -> None:
    text = "Deterministic replies keep tests honest, even when they are long."
    for limit in range(HEURISTIC.count(text) + 2):
        cut = HEURISTIC.truncate(text, limit)
        assert text.startswith(cut)
        assert HEURISTIC.count(cut) <= limit
    assert HEURISTIC.truncate(text, 10_000) == text
    assert HEURISTIC.truncate(text, 0) == ""


MULTIBYTE = [
    "Bogotá São Paulo 東京 🌦️ emoji 💥 naïve façade",
    "東京都の天気は晴れです。🌦️🌦️",
    '{"location":"Bogotá, Colombia","unit":"celsius"}',
]


@pytest.mark.parametrize("counter", COUNTERS, ids=lambda c: c.method)
@pytest.mark.parametrize("text", MULTIBYTE)
def test_truncate_never_splits_a_character(counter: TokenCounter, text: str) -> None:
    for limit in range(counter.count(text) + 1):
        cut = counter.truncate(text, limit)
        assert text.startswith(cut), (limit, cut)
        assert "\ufffd" not in cut
        assert counter.count(cut) <= limit
    assert counter.truncate(text, counter.count(text)) == text
