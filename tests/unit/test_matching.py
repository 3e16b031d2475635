"""Matching semantics, pure: every ``match`` key against requests built the way the server builds them, the implicit
"no re-answer after tool results" rule, the wording of failed keys, and the index keys the store relies on."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver import Fixture, Match, TextMatch
from mockserver.chat_request import parse_chat_request
from mockserver.fixtures import matching
from mockserver.fixtures.facts import RequestFacts, read_conversation
from mockserver.fixtures.matching import CompiledMatch, match_keys
from mockserver.fixtures.text_rules import TextRule, text_keys

GPT4O = "openai/chat-completion/models/gpt-4o"
CLAUDE = "anthropic/completion/models/claude-sonnet-4"
WEATHER_TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}


def tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {}}}}


def facts(
    text: str = "hello",
    *,
    model: str = GPT4O,
    endpoint: str = "chat.completions",
    pat: str | None = None,
    headers: dict[str, str] | None = None,
    messages: list[dict[str, Any]] | None = None,
    **body: Any,
) -> RequestFacts:
    """The facts of a chat request, read exactly as the server reads them; ``model`` is the canonical id."""
    data = {"model": model, "messages": messages or [{"role": "user", "content": text}], **body}
    conversation = read_conversation(parse_chat_request(data))
    return RequestFacts(endpoint, model, conversation, pat, headers or {}, data)


def compiled(match: dict[str, Any], reply: dict[str, Any] | None = None) -> CompiledMatch:
    return CompiledMatch(Fixture.model_validate({"match": match, "reply": reply or {"content": "scripted"}}))


def failures(match: dict[str, Any], request: RequestFacts, reply: dict[str, Any] | None = None) -> list[str]:
    return compiled(match, reply).failures(request)


def holds(match: dict[str, Any], request: RequestFacts) -> bool:
    """``CompiledMatch.holds`` (the lookup's early-exit path), checked against the full ``failures`` report."""
    result = compiled(match).holds(request)
    assert result == (not failures(match, request))
    return result


def tool_round(*results: tuple[str, str, str], named: bool = False) -> list[dict[str, Any]]:
    """A user turn, an assistant turn calling tools, and the tool results ``(call id, tool name, content)``."""
    calls = [
        {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}
        for call_id, name, _ in results
    ]
    answers = [
        {"role": "tool", "tool_call_id": call_id, "content": content, **({"name": name} if named else {})}
        for call_id, name, content in results
    ]
    return [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        *answers,
    ]


# --- last user message ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["this", "history", "whistle", "hit", "chi"])
def test_contains_is_whole_word_by_default(text: str) -> None:
    assert not holds({"user": "hi"}, facts(text))


@pytest.mark.parametrize("text", ["Hi there", "hi", "oh, hi!", "HI.", "well...hi"])
def test_contains_hits_the_whole_word_in_any_case(text: str) -> None:
    assert holds({"user": "hi"}, facts(text))


def test_contains_can_match_inside_words() -> None:
    assert holds({"user": {"contains": "hi", "whole_word": False}}, facts("this"))


def test_multi_word_contains_needs_the_phrase_on_word_boundaries() -> None:
    assert holds({"user": "new york"}, facts("The weather in New York today?"))
    assert not holds({"user": "new york"}, facts("a New Yorker"))
    assert not holds({"user": "new york"}, facts("new, york"))


def test_only_the_last_user_message_counts() -> None:
    messages = [
        {"role": "user", "content": "tell me about weather"},
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": "and now the news"},
    ]
    assert not holds({"user": "weather"}, facts(messages=messages))
    assert holds({"user": "news"}, facts(messages=messages))


def test_case_sensitive_option() -> None:
    rule = {"contains": "Paris", "case_sensitive": True}
    assert holds({"user": rule}, facts("Flights to Paris"))
    assert not holds({"user": rule}, facts("flights to paris"))
    assert holds({"user": {"equals": "Yes", "case_sensitive": True}}, facts("Yes"))
    assert not holds({"user": {"equals": "Yes", "case_sensitive": True}}, facts("yes"))
    assert holds({"user": {"regex": "^PING$", "case_sensitive": True}}, facts("PING"))
    assert not holds({"user": {"regex": "^PING$", "case_sensitive": True}}, facts("ping"))


def test_equals_is_the_whole_message_ignoring_case() -> None:
    assert holds({"user": {"equals": "hello world"}}, facts("Hello World"))
    assert not holds({"user": {"equals": "hello"}}, facts("hello world"))
    assert not holds({"user": {"equals": "hello world"}}, facts("hello world!"))


def test_regex_searches_anywhere_ignoring_case() -> None:
    assert holds({"user": {"regex": r"order #\d+"}}, facts("Where is ORDER #123?"))
    assert not holds({"user": {"regex": r"order #\d+"}}, facts("Where is order #abc?"))
    assert holds({"user": {"regex": r"^where"}}, facts("Where is it"))


def test_multimodal_text_parts_are_matched() -> None:
    content = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    assert holds({"user": "picture"}, facts(messages=[{"role": "user", "content": content}]))


# --- system, tools, tool_choice ------------------------------------------------------------------------------------


def test_system_and_developer_messages() -> None:
    messages = [
        {"role": "system", "content": "You are a pirate."},
        {"role": "developer", "content": "Answer briefly."},
        {"role": "user", "content": "hello"},
    ]
    assert holds({"system": "pirate"}, facts(messages=messages))
    assert holds({"system": "briefly"}, facts(messages=messages))
    assert failures({"system": "pirate"}, facts("hello")) == ["system: wants contains 'pirate' (whole word), got ''"]


def test_tools_must_all_be_offered() -> None:
    request = facts(tools=[tool("get_weather"), tool("get_time")])
    assert holds({"tools": ["get_weather"]}, request)
    assert holds({"tools": ["get_time", "get_weather"]}, request)
    assert failures({"tools": ["get_weather", "book_flight"]}, request) == [
        "tools: wants ['book_flight'] offered, got ['get_time', 'get_weather']"
    ]
    assert not holds({"tools": ["get_weather"]}, facts())


@pytest.mark.parametrize("choice", ["none", "auto", "required"])
def test_tool_choice_strings(choice: str) -> None:
    request = facts(tools=[WEATHER_TOOL], tool_choice=choice)
    assert holds({"tool_choice": choice}, request)
    others = {"none", "auto", "required"} - {choice}
    assert all(not holds({"tool_choice": other}, request) for other in others)


def test_tool_choice_forced_function_name() -> None:
    forced = {"type": "function", "function": {"name": "get_weather"}}
    request = facts(tools=[WEATHER_TOOL], tool_choice=forced)
    assert holds({"tool_choice": "get_weather"}, request)
    assert failures({"tool_choice": "required"}, request) == ["tool_choice: wants 'required', got 'get_weather'"]
    assert failures({"tool_choice": "auto"}, facts()) == ["tool_choice: wants 'auto', got None"]


# --- tool results ----------------------------------------------------------------------------------------------------


def test_has_tool_result_means_the_request_ends_with_results() -> None:
    with_result = facts(messages=tool_round(("call_1", "get_weather", '{"temperature": 21}')))
    assert holds({"has_tool_result": True}, with_result)
    assert holds({"has_tool_result": False}, facts())
    assert failures({"has_tool_result": True}, facts()) == ["has_tool_result: wants True, got False"]
    # Results earlier in the history do not count once the user has spoken again.
    later = [*tool_round(("call_1", "get_weather", "{}")), {"role": "assistant", "content": "It is warm."}]
    later.append({"role": "user", "content": "Thanks! And tomorrow?"})
    assert holds({"has_tool_result": False}, facts(messages=later))


def test_tool_result_name_from_the_call_id_or_the_message_name() -> None:
    by_id = facts(messages=tool_round(("call_1", "get_weather", "{}")))
    by_name = facts(messages=tool_round(("call_1", "get_weather", "{}"), named=True))
    for request in (by_id, by_name):
        assert holds({"tool_result": {"name": "get_weather"}}, request)
    assert failures({"tool_result": {"name": "get_time"}}, by_id) == [
        "tool_result: wants a result for 'get_time', got ['get_weather']"
    ]


def test_tool_result_name_among_parallel_results() -> None:
    request = facts(messages=tool_round(("call_1", "get_weather", "{}"), ("call_2", "get_time", '"noon"')))
    assert holds({"tool_result": {"name": "get_time"}}, request)
    assert holds({"tool_result": {"name": "get_weather"}}, request)


def test_tool_result_contains() -> None:
    request = facts(messages=tool_round(("call_1", "get_weather", '{"conditions": "light rain"}')))
    assert holds({"tool_result": {"contains": "rain"}}, request)
    assert not holds({"tool_result": {"contains": "rai"}}, request)
    assert holds({"tool_result": {"contains": {"regex": "light\\s+rain"}}}, request)
    [problem] = failures({"tool_result": {"contains": "snow"}}, request)
    assert problem.startswith("tool_result.contains: wants contains 'snow' (whole word) in [")


def test_tool_result_name_and_contains_hold_for_the_same_result() -> None:
    request = facts(messages=tool_round(("call_1", "get_weather", "sunny"), ("call_2", "get_time", "noon")))
    assert holds({"tool_result": {"name": "get_weather", "contains": "sunny"}}, request)
    assert not holds({"tool_result": {"name": "get_weather", "contains": "noon"}}, request)


def test_turn_counts_assistant_messages() -> None:
    history = [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "three"},
    ]
    assert holds({"turn": 2}, facts(messages=history))
    assert holds({"turn": 0}, facts())
    assert failures({"turn": 1}, facts()) == ["turn: wants 1, got 0"]


# --- the implicit rule ---------------------------------------------------------------------------------------------

TOOL_REPLY = {"tool_calls": [{"name": "get_weather", "arguments": {"location": "Paris"}}]}


def test_tool_calling_fixture_skips_requests_ending_in_tool_results() -> None:
    results = facts(messages=tool_round(("call_1", "get_weather", "{}")))
    assert failures({"user": "weather"}, results, TOOL_REPLY) == [
        "has_tool_result: this fixture makes tool calls, so it skips requests that return tool results"
    ]
    assert holds({"user": "weather"}, facts("weather?"))
    assert not compiled({}, TOOL_REPLY).failures(facts("weather?"))


@pytest.mark.parametrize("explicit", [{"has_tool_result": True}, {"tool_result": {"name": "get_weather"}}, {"turn": 1}])
def test_explicit_tool_result_keys_turn_the_implicit_rule_off(explicit: dict[str, Any]) -> None:
    results = facts(messages=tool_round(("call_1", "get_weather", "{}")))
    assert holds({"user": "weather", **explicit}, results) is True
    assert not failures({"user": "weather", **explicit}, results, TOOL_REPLY)


def test_implicit_rule_looks_at_every_reply_of_a_sequence() -> None:
    fixture = Fixture.model_validate({"sequence": [{"content": "first"}, TOOL_REPLY]})
    assert CompiledMatch(fixture).implicit_no_tool_result
    assert not CompiledMatch(Fixture.model_validate({"sequence": [{"content": "a"}]})).implicit_no_tool_result


# --- stream, response_format, pat, headers, endpoint ---------------------------------------------------------------


def test_stream() -> None:
    assert holds({"stream": True}, facts(stream=True))
    assert failures({"stream": True}, facts()) == ["stream: wants True, got False"]
    assert holds({"stream": False}, facts(stream=False))


def test_response_format() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    assert holds({"response_format": "json_schema"}, facts(response_format=schema))
    assert holds({"response_format": "json_object"}, facts(response_format={"type": "json_object"}))
    assert holds({"response_format": "text"}, facts())
    assert failures({"response_format": "json_object"}, facts()) == ["response_format: wants 'json_object', got 'text'"]


def test_pat_is_exact_and_never_echoed() -> None:
    assert holds({"pat": "secret-pat-1"}, facts(pat="secret-pat-1"))
    [problem] = failures({"pat": "secret-pat-1"}, facts(pat="secret-pat-2"))
    assert problem == "pat: the caller's PAT differs"
    assert "secret" not in problem


def test_headers_compare_names_without_case_and_values_exactly() -> None:
    request = facts(headers={"x-mock-scenario": "slow", "x-tenant": "acme"})
    assert holds({"headers": {"X-Mock-Scenario": "slow"}}, request)
    assert holds({"headers": {"x-mock-scenario": "slow", "x-tenant": "acme"}}, request)
    assert failures({"headers": {"x-mock-scenario": "Slow"}}, request) == [
        "headers.x-mock-scenario: wants 'Slow', got 'slow'"
    ]
    assert failures({"headers": {"x-other": "1"}}, request) == ["headers.x-other: wants '1', got None"]


def test_an_endpoint_narrows_to_that_surface() -> None:
    assert holds({"endpoint": "chat.completions"}, facts())
    assert failures({"endpoint": "embeddings"}, facts()) == ["endpoint: wants embeddings, got chat.completions"]
    assert holds({"endpoint": "responses"}, facts(endpoint="responses"))
    assert not holds({"endpoint": "responses"}, facts())


@pytest.mark.parametrize(
    ("reply", "answers"),
    [
        ({"content": "hi"}, {"chat.completions", "responses"}),
        ({"tool_calls": [{"name": "f"}]}, {"chat.completions", "responses"}),
        ({"reasoning_content": "hmm"}, {"chat.completions", "responses"}),
        (
            {"error": {"status": 429, "message": "slow down"}},
            {"chat.completions", "responses", "embeddings", "images.generations"},
        ),
        ({"headers": {"x-a": "1"}}, {"chat.completions", "responses", "embeddings", "images.generations"}),
    ],
)
def test_without_an_endpoint_a_fixture_answers_every_surface_that_can_carry_its_reply(
    reply: dict[str, Any], answers: set[str]
) -> None:
    surfaces = {"chat.completions", "responses", "embeddings", "images.generations"}
    held = {endpoint for endpoint in surfaces if holds_with({}, facts(endpoint=endpoint), reply)}
    assert held == answers


def test_a_sequence_with_an_error_answers_every_surface() -> None:
    fixture = Fixture.model_validate({"sequence": [{"error": {"status": 429, "message": "slow"}}, {"content": "ok"}]})
    assert set(CompiledMatch(fixture).endpoints) == {
        "chat.completions",
        "responses",
        "embeddings",
        "images.generations",
    }
    failing = failures({}, facts(endpoint="embeddings"), {"content": "text only"})
    assert failing == ["endpoint: wants chat.completions or responses, got embeddings"]


def holds_with(match: dict[str, Any], request: RequestFacts, reply: dict[str, Any]) -> bool:
    return not failures(match, request, reply)


# --- model ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        GPT4O,
        "https://clarifai.com/openai/chat-completion/models/gpt-4o",
        "https://clarifai.com/openai/chat-completion/models/gpt-4o/versions/0123456789abcdef0123456789abcdef",
        "openai/*",
        "openai/chat-completion/models/gpt-4*",
        "*/models/gpt-4o",
        "gpt-4o",
        "GPT-4o",
        "gpt-4*",
    ],
)
def test_model_forms_that_match(pattern: str) -> None:
    assert holds({"model": pattern}, facts(model=GPT4O))


@pytest.mark.parametrize(
    "pattern", ["anthropic/*", "gpt-4o-mini", "openai/chat-completion/models/gpt-4o-mini", "claude*", "gpt-4"]
)
def test_model_forms_that_do_not_match(pattern: str) -> None:
    assert failures({"model": pattern}, facts(model=GPT4O)) == [f"model: wants {pattern!r}, got {GPT4O!r}"]


def test_bare_model_name_with_a_dot() -> None:
    assert holds({"model": "gpt-4.1"}, facts(model="openai/chat-completion/models/gpt-4_1"))
    assert holds({"model": "gpt-4.1*"}, facts(model="openai/chat-completion/models/gpt-4_1"))
    assert holds({"model": "claude-*"}, facts(model=CLAUDE))


# --- reports and keys ----------------------------------------------------------------------------------------------


def test_every_failing_key_is_reported_in_order() -> None:
    match = {"model": "anthropic/*", "user": "weather", "turn": 2, "stream": True, "headers": {"x-a": "1"}}
    assert failures(match, facts("hello there")) == [
        f"model: wants 'anthropic/*', got {GPT4O!r}",
        "user: wants contains 'weather' (whole word), got 'hello there'",
        "turn: wants 2, got 0",
        "stream: wants True, got False",
        "headers.x-a: wants '1', got None",
    ]


def test_long_texts_are_shortened_in_reports() -> None:
    [problem] = failures({"user": {"equals": "short"}}, facts("word " * 40))
    assert problem.startswith("user: wants equals 'short', got 'word word")
    assert problem.endswith("…'")
    assert len(problem) < 100


@pytest.mark.parametrize(
    ("spec", "wording"),
    [
        ({"equals": "Hi"}, "equals 'Hi'"),
        ({"contains": "hi"}, "contains 'hi' (whole word)"),
        ({"contains": "hi", "whole_word": False}, "contains 'hi'"),
        ({"regex": "h.+"}, "matches /h.+/"),
    ],
)
def test_text_rule_wording(spec: dict[str, Any], wording: str) -> None:
    assert TextRule(TextMatch.model_validate(spec)).describe() == wording


def test_match_keys_counts_the_keys_set() -> None:
    assert match_keys(Match()) == 0
    assert match_keys(Match.model_validate({"user": "a", "turn": 0, "stream": False})) == 3


TRICKY = [
    "hi",
    "Hi there",
    "this history",
    "İstanbul flights",
    "ISTANBUL",
    "\u0131stanbul",
    "Straße",
    "STRASSE",
    "naïve café",
    "NAÏVE CAFÉ",
    "x.y-z",
    "",
    "  spaced   out  ",
    "ǅemal",
]
RULES = [
    {"contains": "hi"},
    {"contains": "istanbul"},
    {"contains": "İstanbul"},
    {"contains": "straße"},
    {"contains": "strasse"},
    {"contains": "naïve café"},
    {"contains": "café", "case_sensitive": True},
    {"contains": ".y-z"},
    {"contains": "spaced out"},
    {"contains": "ǆemal"},
    {"equals": "hi"},
    {"equals": "ISTANBUL", "case_sensitive": True},
    {"equals": "straße"},
]


@pytest.mark.parametrize("spec", RULES, ids=[repr(r) for r in RULES])
def test_index_keys_are_produced_by_every_text_the_rule_accepts(spec: dict[str, Any]) -> None:
    rule = TextRule(TextMatch.model_validate(spec))
    keys = rule.index_keys()
    assert keys
    for text in TRICKY:
        if rule.holds(text):
            assert set(keys) <= text_keys(text), text


def test_index_keys_and_rules_that_have_none() -> None:
    assert TextRule(TextMatch(contains="hi", whole_word=False)).index_keys() == ()
    assert TextRule(TextMatch(regex="hi")).index_keys() == ()
    assert TextRule(TextMatch(contains="...")).index_keys() == ()
    assert TextRule(TextMatch(contains="\u0345")).index_keys() == ()
    assert TextRule(TextMatch(contains="New York, new")).index_keys() == (("word", "new"), ("word", "york"))
    assert TextRule(TextMatch(contains="New York")).index_keys() == (("word", "new"), ("word", "york"))
    assert TextRule(TextMatch(equals="Hi There")).index_keys() == (("eq", "hi there"),)
    assert TextRule(TextMatch(regex="x")).index_keys() == ()
    assert text_keys("Hi, you") == {("eq", "hi, you"), ("word", "hi"), ("word", "you")}


# --- body: any field of the request JSON --------------------------------------------------------------------------


def test_body_equals_on_nested_paths_and_list_indexes() -> None:
    request = facts(metadata={"user_id": "u-1"}, temperature=0.2, tools=[WEATHER_TOOL])
    assert holds({"body": {"metadata.user_id": "u-1", "temperature": 0.2}}, request)
    assert holds({"body": {"tools.0.function.name": {"equals": "get_weather"}}}, request)
    assert failures({"body": {"metadata.user_id": "u-2"}}, request) == [
        'body.metadata.user_id: wants equals "u-2", got "u-1"'
    ]
    assert failures({"body": {"tools.1.function.name": "get_weather"}}, request) == [
        'body.tools.1.function.name: wants equals "get_weather", got nothing (tools has 1 item(s))'
    ]


def test_body_equals_keeps_json_types_apart() -> None:
    request = facts(n=1, flag=True, nothing=None)
    assert holds({"body": {"n": 1.0}}, request)
    assert not holds({"body": {"n": True}}, request)
    assert not holds({"body": {"flag": 1}}, request)
    assert not holds({"body": {"n": "1"}}, request)
    assert holds({"body": {"nothing": {"equals": None}}}, request)
    assert not holds({"body": {"absent": {"equals": None}}}, request)


def test_body_contains_regex_and_exists() -> None:
    request = facts(metadata={"user_id": "team-42", "tags": ["beta", "eu"]}, temperature=0.25)
    assert holds({"body": {"metadata.user_id": {"contains": "team-"}}}, request)
    assert not holds({"body": {"metadata.user_id": {"contains": "TEAM-"}}}, request)  # case-sensitive
    assert holds({"body": {"metadata.tags": {"contains": "eu"}}}, request)
    assert holds({"body": {"metadata": {"contains": {"user_id": "team-42"}}}}, request)
    assert holds({"body": {"metadata.user_id": {"regex": "^team-\\d+$"}}}, request)
    assert holds({"body": {"temperature": {"regex": "^0\\.2"}}}, request)  # a number's JSON text
    assert holds({"body": {"metadata.user_id": {"exists": True}, "stop": {"exists": False}}}, request)
    assert failures({"body": {"stop": {"exists": True}}}, request) == [
        "body.stop: wants a value, got nothing (there is no 'stop')"
    ]
    assert failures({"body": {"metadata.tags": {"regex": "eu"}}}, request) == [
        'body.metadata.tags: wants matches /eu/, got ["beta", "eu"]'
    ]


def test_body_conditions_are_validated() -> None:
    with pytest.raises(ValueError, match="exactly one of equals, contains, regex, exists"):
        Match.model_validate({"body": {"a": {"regex": "x", "exists": True}}})
    with pytest.raises(ValueError, match="invalid regex"):
        Match.model_validate({"body": {"a": {"regex": "("}}})


def test_body_sees_the_request_as_sent_on_any_endpoint() -> None:
    conversation = read_conversation(
        parse_chat_request({"model": GPT4O, "messages": [{"role": "user", "content": "x"}]})
    )
    request = RequestFacts("responses", GPT4O, conversation, body={"input": "x", "metadata": {"run": "7"}})
    assert holds({"body": {"metadata.run": "7"}}, request)


# --- captures -----------------------------------------------------------------------------------------------------


def test_regex_named_groups_are_captured_from_every_text_key() -> None:
    messages = [
        {"role": "system", "content": "You speak French."},
        *tool_round(("c1", "lookup", "order 1234 shipped")),
    ]
    messages[1] = {"role": "user", "content": "Where is order 1234 for Ana?"}
    match = {
        "user": {"regex": "for (?P<name>\\w+)"},
        "system": {"regex": "speak (?P<language>\\w+)"},
        "tool_result": {"name": "lookup", "contains": {"regex": "order (?P<order>\\d+) (?P<status>\\w+)"}},
        "body": {"metadata.region": {"regex": "(?P<region>eu)-"}},
    }
    rule = compiled(match)
    request = facts(messages=messages, metadata={"region": "eu-west"})
    assert rule.failures(request) == []
    assert rule.captures(request) == {
        "name": "Ana",
        "language": "French",
        "order": "1234",
        "status": "shipped",
        "region": "eu",
    }
    assert rule.capture_names() == {"name", "language", "order", "status", "region"}


def test_captures_keep_the_request_s_case_and_skip_groups_that_did_not_take_part() -> None:
    rule = compiled({"user": {"regex": "weather in (?P<city>[^?]+)(?P<when> today)?"}})
    assert rule.captures(facts("WEATHER IN São Paulo?")) == {"city": "São Paulo"}
    assert compiled({"user": "weather"}).captures(facts("weather")) == {}


def test_the_first_key_that_captures_a_name_wins() -> None:
    rule = compiled({"user": {"regex": "(?P<x>u\\w*)"}, "system": {"regex": "(?P<x>s\\w*)"}})
    request = facts(messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": "usr"}])
    assert rule.captures(request) == {"x": "usr"}


@pytest.mark.parametrize(
    "match",
    [
        {"endpoint": "responses"},
        {"model": "gpt-4o"},
        {"model": "claude-*"},
        {"user": "weather"},
        {"user": {"equals": "Hello"}},
        {"user": {"regex": "^hel+o$"}},
        {"system": "terse"},
        {"stream": True},
        {"turn": 1},
        {"user": "hello", "stream": False, "model": GPT4O},
    ],
)
def test_the_lookups_quick_tests_agree_with_every_check_they_stand_for(match: dict[str, Any]) -> None:
    requests = [
        facts("hello"),
        facts("what is the weather", stream=True),
        facts("hello", model=CLAUDE, endpoint="responses"),
        facts(messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "HELLO"}]),
        facts(
            messages=[
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "user", "content": "weather?"},
            ]
        ),
    ]
    rule = compiled(match)
    outcomes = set()
    for request in requests:
        quick = [bool(fails(rule, request)) for fails in rule.fails]
        full = [check(rule, request) is not None for check in rule.tried]
        assert quick == full, request
        outcomes.add(rule.holds(request))
    assert outcomes == {True, False}  # each match both holds and fails for some request here
    assert sorted(map(id, rule.tried)) == sorted(map(id, rule.checks))  # every check, the cheap comparisons first:
    comparisons = [check in matching._COMPARISONS for check in rule.tried]
    assert comparisons == sorted(comparisons, reverse=True)
