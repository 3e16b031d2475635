"""``MockHandle`` and its LLM-speaking helpers, driven directly against the session server (no plugin involved)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from pydantic import ValidationError

from mockserver import ErrorStyle, Fixture, MockServer
from mockserver.testing import FixtureWarning, MockHandle, ServerPool, as_fixture, namespace_for
from mockserver.wire.headers import NAMESPACE_HEADER

GPT4O = "openai/chat-completion/models/gpt-4o"
WEATHER: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


def ask(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def handle(server: MockServer, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MockHandle]:
    """A handle on the shared session server, in this test's namespace, with relative paths from ``tmp_path``."""
    mock = MockHandle(server, namespace_for(request.node.nodeid), root=tmp_path).begin()
    yield mock
    mock.finish()


def write(path: Path, fixtures: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"version": 1, "fixtures": fixtures}), "utf-8")
    return path


def test_namespace_is_short_stable_and_distinct() -> None:
    first = namespace_for("tests/test_a.py::test_one")
    assert first == namespace_for("tests/test_a.py::test_one")
    assert first != namespace_for("tests/test_a.py::test_two")
    assert first.startswith("t-")
    assert len(first) == 14


def test_a_fixture_comes_from_an_object_a_dict_or_keywords() -> None:
    data = {"name": "hi", "match": {"user": "hello"}, "reply": {"content": "Hi!"}}
    from_dict = as_fixture(data, {})
    assert as_fixture(None, data) == from_dict
    assert as_fixture(from_dict, {}) is from_dict
    with pytest.raises(TypeError, match="not both"):
        as_fixture(from_dict, {"name": "x"})
    with pytest.raises(ValidationError, match=r"match\.usr"):
        as_fixture(None, {"match": {"usr": "typo"}, "reply": {"content": "x"}})


def test_begin_binds_the_namespace_and_finish_releases_it(server: MockServer) -> None:
    ctx = server.context
    mock = MockHandle(server, "t-begin-finish", strict=True).begin()
    assert ctx.pat_namespaces[mock.pat] == mock.namespace
    assert mock.pat == "mock-pat-t-begin-finish"
    assert ctx.namespaces[mock.namespace].no_match == "strict"
    mock.add_fixture(match={}, reply={"content": "ok"})
    mock.client().chat.completions.create(model=GPT4O, messages=ask("hello"))
    assert len(mock.journal) == 1
    assert mock.finish() == []
    assert mock.pat not in ctx.pat_namespaces
    assert mock.namespace not in ctx.namespaces
    assert ctx.journal.entries(mock.namespace) == []
    assert ctx.store.entries(mock.namespace) == ctx.store.entries()


def test_clients_carry_the_namespace_and_do_not_retry_unless_asked(handle: MockHandle) -> None:
    client = handle.client(default_headers={"x-extra": "1"})
    assert client.base_url == handle.base_url + "/"
    assert client.api_key == handle.pat
    assert client.max_retries == 0
    assert client.default_headers[NAMESPACE_HEADER] == handle.namespace
    assert client.default_headers["x-extra"] == "1"
    assert handle.client(max_retries=3).max_retries == 3
    assert handle.async_client().default_headers[NAMESPACE_HEADER] == handle.namespace
    assert handle.headers == {NAMESPACE_HEADER: handle.namespace, "Authorization": f"Bearer {handle.pat}"}


def test_env_points_a_self_built_client_at_this_test(handle: MockHandle) -> None:
    env = handle.env()
    assert env == {
        "OPENAI_BASE_URL": handle.url + "/v2/ext/openai/v1",
        "OPENAI_API_KEY": handle.pat,
        "CLARIFAI_PAT": handle.pat,
        "CLARIFAI_API_BASE": handle.url,
    }
    handle.add_fixture(match={}, reply={"content": "ok"})
    # No namespace header: the PAT alone routes the request to this test.
    with openai.OpenAI(base_url=env["OPENAI_BASE_URL"], api_key=env["CLARIFAI_PAT"], max_retries=0) as own:
        own.chat.completions.create(model=GPT4O, messages=ask("hello"))
    assert [entry.namespace for entry in handle.journal] == [handle.namespace]


def test_a_scripted_tool_flow_reads_like_a_conversation(handle: MockHandle) -> None:
    handle.add_fixture(
        name="ask-tool",
        match={"tools": ["get_weather"]},
        reply={"tool_calls": [{"name": "get_weather", "arguments": {"location": "Paris"}}]},
    )
    handle.add_fixture(name="answer", match={"tool_result": {"name": "get_weather"}}, reply={"content": "Sunny."})
    client = handle.client()
    messages = ask("Weather in Paris?")
    first = client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 21}'},
    ]
    client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER], stream=True).close()

    assert handle.turns == 2
    assert handle.tools_offered(0) == ["get_weather"]
    assert handle.tool_calls(0) == ["get_weather"]
    assert handle.tool_calls(-1) == []
    assert [(r.name, r.value()) for r in handle.tool_results()] == [("get_weather", {"temperature": 21})]
    assert handle.tool_results(0) == []
    assert [handle.streamed(0), handle.streamed(1)] == [False, True]
    assert [m["role"] for m in handle.messages()] == ["user", "assistant", "tool"]
    handle.assert_called("ask-tool", times=1)
    handle.assert_called("answer")
    handle.assert_tool_called("get_weather")
    assert handle.usage.requests == 2


def test_tool_calls_of_generated_replies_come_from_the_next_request(handle: MockHandle) -> None:
    client = handle.client()
    messages = ask("Weather?")
    first = client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER], tool_choice="required")
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert handle.tool_calls(0) == []  # nothing followed yet, so nothing to read it from
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": call.id, "content": "cloudy"},
    ]
    client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER])
    assert handle.journal[0].generated
    assert handle.tool_calls(0) == ["get_weather"]
    handle.assert_tool_called("get_weather")


def test_sequences_count_per_test_and_retries_are_not_turns(handle: MockHandle) -> None:
    limited = {"status": 429, "message": "slow down", "retry_after_ms": 1, "retryable": True}
    handle.add_fixture(name="flaky", sequence=[{"error": limited}, {"content": "done"}])
    reply = handle.client(max_retries=1).chat.completions.create(model=GPT4O, messages=ask("hi"))
    assert reply.choices[0].message.content == "done"
    assert [(e.status, e.retry_count) for e in handle.requests] == [(429, 0), (200, 1)]
    assert (handle.turns, handle.retries, handle.calls("flaky")) == (1, 1, 2)
    assert handle.tool_calls(0) == []


def test_assertion_messages_say_what_happened(handle: MockHandle) -> None:
    handle.add_fixture(name="greet", match={"user": "hello"}, reply={"content": "Hi!"})
    handle.client().chat.completions.create(model=GPT4O, messages=ask("hello"), tools=[WEATHER])
    with pytest.raises(AssertionError) as called:
        handle.assert_called("greet", times=2)
    assert str(called.value).splitlines() == [
        "fixture 'greet' answered 1 request(s) of this test, expected 2 time(s).",
        "  fixtures that answered: 'greet' x1",
    ]
    with pytest.raises(AssertionError, match="no fixture of that name is loaded; known: greet"):
        handle.assert_called("gret")
    with pytest.raises(AssertionError) as tool:
        handle.assert_tool_called("get_weather")
    assert str(tool.value).splitlines() == [
        "the mock never called tool 'get_weather' in this test.",
        "  tool calls it made: none",
        "  tools the client offered: get_weather",
        "  chat requests: 1",
    ]
    spent = handle.usage
    assert spent.total_tokens > 0
    assert spent.cost_usd > 0
    handle.assert_tokens_below(spent.total_tokens + 1)
    handle.assert_cost_below(spent.cost_usd * 2)
    with pytest.raises(
        AssertionError, match=rf"(?s)used {spent.total_tokens} tokens, not below 1: .*request #0 {GPT4O}"
    ):
        handle.assert_tokens_below(1)
    with pytest.raises(AssertionError, match=r"cost \$0\.\d{6}, not below \$0\.000000"):
        handle.assert_cost_below(0)
    with pytest.raises(IndexError, match="no chat request #5: this test made 1 chat request"):
        handle.streamed(5)


def test_problems_report_unmatched_requests_and_unused_pinned_fixtures(server: MockServer, tmp_path: Path) -> None:
    write(tmp_path / "pinned.json", [{"match": {"user": "bye"}, "reply": {"content": "Bye!"}}])
    mock = MockHandle(server, "t-problems", root=tmp_path, strict=True).begin()
    assert mock.pin_fixtures(["pinned.json", {"name": "inline", "match": {"user": "hello"}, "reply": {}}]) == [
        "pinned#0",
        "inline",
    ]
    with pytest.raises(openai.NotFoundError):
        mock.client().chat.completions.create(model=GPT4O, messages=ask("good morning"))
    first, second = mock.finish()
    assert first.splitlines()[:3] == [
        "1 request(s) of this test matched no fixture (strict mode):",
        f"  POST /v2/ext/openai/v1/chat/completions model={GPT4O}, last user message 'good morning'",
        "    No fixture matched this request. Closest:",
    ]
    assert "'inline' (runtime): user:" in first
    assert second == (
        "2 fixture(s) from @pytest.mark.clarifai_mock(strict=True) never answered a request: 'pinned#0', 'inline'"
    )


def test_reset_keeps_pinned_fixtures_and_forgets_the_rest(handle: MockHandle) -> None:
    handle.pin_fixtures([Fixture.model_validate({"name": "pinned", "match": {"user": "a"}, "reply": {}})])
    handle.add_fixture(name="added", match={"user": "b"}, reply={})
    handle.client().chat.completions.create(model=GPT4O, messages=ask("a"))
    handle.reset()
    assert (handle.journal, handle.calls("pinned"), handle.usage.requests) == ([], 0, 0)
    assert handle.fixture("pinned") is not None
    assert handle.fixture("added") is None


def test_load_fixtures_is_relative_to_root_keeps_names_and_warns_on_shadowing(handle: MockHandle) -> None:
    shadowing = {"match": {"user": "x"}, "reply": {}}
    write(handle.root / "a.json", [shadowing, {"match": {"user": "x", "stream": True}, "reply": {}}])
    with pytest.warns(FixtureWarning, match="'a#1' is shadowed by 'a#0'"):
        assert handle.load_fixtures("a.json") == ["a#0", "a#1"]
    assert handle.fixture_names()[:2] == ["a#0", "a#1"]


def test_namespaces_on_one_server_never_share_state(server: MockServer) -> None:
    one, two = (MockHandle(server, f"t-iso-{n}").begin() for n in (1, 2))
    for mock in (one, two):
        mock.add_fixture(name="seq", sequence=[{"content": "first"}, {"content": "second"}])
    assert one.client().chat.completions.create(model=GPT4O, messages=ask("x")).choices[0].message.content == "first"
    assert two.client().chat.completions.create(model=GPT4O, messages=ask("x")).choices[0].message.content == "first"
    assert (one.calls("seq"), two.calls("seq"), len(one.journal), len(two.journal)) == (1, 1, 1, 1)
    one.finish()
    assert two.calls("seq") == 1
    two.finish()


def test_the_pool_starts_one_extra_server_per_error_style(server: MockServer) -> None:
    pool = ServerPool(server)
    assert pool.get() is server
    assert pool.get(ErrorStyle.CLARIFAI) is server
    openai_style = pool.get(ErrorStyle.OPENAI)
    assert openai_style is pool.get(ErrorStyle.OPENAI)
    assert openai_style.settings.error_style is ErrorStyle.OPENAI
    assert openai_style.port != server.port
    health = openai_style.url + "/__mock__/health"
    assert httpx.get(health).status_code == 200
    pool.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(health)
