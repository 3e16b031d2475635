"""The short way in for model requests and what it remembers: the app's own dispatch (mounted apps included), the
per-body memo of turn, model and hash, the completions reused for a body sent again, and the shared body deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletion
from starlette.testclient import TestClient

from mockserver import Fixture, Settings, create_app, middleware as middleware_module
from mockserver.context import AppContext
from mockserver.errors import ApiError
from mockserver.middleware import RequestGuard, _BodyReader, _Deadlines
from mockserver.turn.pipeline import PREPARED_BODY

AppClient = Callable[..., TestClient]
GPT4O = "openai/chat-completion/models/gpt-4o"
CHAT = "/v2/ext/openai/v1/chat/completions"
AUTH = {"Authorization": "Bearer test-pat"}


def body(text: str, **extra: Any) -> bytes:
    return json.dumps({"model": GPT4O, "messages": [{"role": "user", "content": text}], **extra}).encode()


def context(client: Any) -> AppContext:
    ctx: AppContext = client.app.state.mock
    return ctx


def test_an_app_mounted_under_a_root_path_still_answers_model_requests_and_405s() -> None:
    async def run() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(Settings()), root_path="/mock")
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            answered = await http.post(f"/mock{CHAT}", content=body("hi"), headers=AUTH)
            refused = await http.get(f"/mock{CHAT}", headers=AUTH)
            return answered, refused

    answered, refused = asyncio.run(run())
    assert answered.status_code == 200
    ChatCompletion.model_validate(answered.json())
    assert answered.headers["x-request-id"] == answered.headers["x-clarifai-request-id"]
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"


def test_a_body_sent_again_reuses_its_turn_but_the_journal_keeps_its_own_copy(
    app_client: AppClient,
) -> None:
    client = app_client()
    sent = body("remember me")
    first = client.post(CHAT, content=sent, headers=AUTH)
    second = client.post(CHAT, content=sent, headers=AUTH)
    ctx = context(client)
    prepared = ctx.prepared.get(("chat.completions", sent))
    assert prepared is not None
    assert prepared.model.canonical == GPT4O
    one, two = ctx.journal.entries()[-2:]
    assert one.request == two.request == json.loads(sent)
    assert one.request is not two.request
    assert first.json()["choices"] == second.json()["choices"]
    assert first.json()["id"] != second.json()["id"]


def test_the_journal_keeps_the_bytes_and_a_reader_changing_its_copy_changes_no_later_answer(
    app_client: AppClient,
) -> None:
    client = app_client()
    context(client).store.add(Fixture.model_validate({"match": {"user": "exact words"}, "reply": {"content": "hit"}}))
    sent = body("exact words")
    assert client.post(CHAT, content=sent, headers=AUTH).json()["choices"][0]["message"]["content"] == "hit"
    entry = context(client).journal.entries()[-1]
    assert entry.request_body == sent
    assert vars(entry).get("_request") is None  # not decoded until someone reads it
    entry.request["messages"][0]["content"] = "something else"  # type: ignore[index]
    again = client.post(CHAT, content=sent, headers=AUTH).json()
    assert again["choices"][0]["message"]["content"] == "hit"
    assert context(client).journal.entries()[-1].request == json.loads(sent)
    assert entry.to_json()["request"]["messages"][0]["content"] == "something else"


def test_a_refused_key_is_never_remembered_as_a_caller(app_client: AppClient) -> None:
    client = app_client(pat_scenarios={"gone": "revoked"})
    for _ in range(2):
        refused = client.post(CHAT, content=body("hi"), headers={"Authorization": "Bearer gone"})
        assert refused.status_code == 401
    assert context(client).callers.get("Bearer gone") is None
    assert client.post(CHAT, content=body("hi"), headers=AUTH).status_code == 200
    remembered = context(client).callers.get(AUTH["Authorization"])
    assert remembered is not None
    assert remembered.pat == "test-pat"


def test_large_and_invalid_bodies_are_not_remembered(app_client: AppClient) -> None:
    client = app_client()
    large = body("x" * PREPARED_BODY)
    invalid = json.dumps({"model": GPT4O, "messages": "not a list"}).encode()
    assert client.post(CHAT, content=large, headers=AUTH).status_code == 200
    assert client.post(CHAT, content=invalid, headers=AUTH).status_code == 400
    ctx = context(client)
    assert ctx.prepared.get(("chat.completions", large)) is None
    assert ctx.prepared.get(("chat.completions", invalid)) is None


def test_a_sequence_answers_in_order_when_the_same_body_comes_back(app_client: AppClient) -> None:
    client = app_client()
    fixture = {"match": {"user": "count"}, "sequence": [{"content": "one"}, {"content": "two"}]}
    context(client).store.add(Fixture.model_validate(fixture))
    sent = body("count")
    answers = [client.post(CHAT, content=sent, headers=AUTH).json() for _ in range(3)]
    assert [a["choices"][0]["message"]["content"] for a in answers] == ["one", "two", "two"]
    assert len({a["id"] for a in answers}) == 3


def test_a_templated_reply_is_filled_for_each_request_and_never_reused(app_client: AppClient) -> None:
    client = app_client()
    fixture = {"match": {"user": {"regex": "say (?P<word>\\w+)"}}, "reply": {"content": "{{ match.word }}!"}}
    context(client).store.add(Fixture.model_validate(fixture))
    for word in ("yes", "no", "yes"):
        answer = client.post(CHAT, content=body(f"say {word}"), headers=AUTH).json()
        assert answer["choices"][0]["message"]["content"] == f"{word}!"
    prepared = context(client).prepared.get(("chat.completions", body("say yes")))
    assert prepared is not None
    assert prepared.completions == {}


def test_generated_replies_for_a_repeated_body_match_the_sdk_types(app_client: AppClient) -> None:
    client = app_client()
    sent = body("nothing matches this")
    answers = [ChatCompletion.model_validate(client.post(CHAT, content=sent, headers=AUTH).json()) for _ in range(2)]
    assert answers[0].choices == answers[1].choices
    assert answers[0].usage == answers[1].usage
    assert answers[0].id != answers[1].id


def test_pinned_ids_stay_pinned_when_a_completion_is_reused(app_client: AppClient) -> None:
    client = app_client(seed=7)
    sent = body("pin me")
    first, second = (client.post(CHAT, content=sent, headers=AUTH).json() for _ in range(2))
    assert first == second


def test_one_timer_ends_only_the_body_that_is_late(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middleware_module, "BODY_TIMEOUT_S", 0.01)

    async def arrives() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def never() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def run() -> tuple[object, object, _Deadlines]:
        deadlines = _Deadlines()
        loop = asyncio.get_running_loop()
        late = asyncio.ensure_future(_BodyReader(never, 100, loop, deadlines)())
        on_time = await _BodyReader(arrives, 100, loop, deadlines)()
        outcome: object
        try:
            outcome = await late
        except ApiError as error:
            outcome = error.status
        return on_time, outcome, deadlines

    on_time, outcome, deadlines = asyncio.run(run())
    assert on_time == {"type": "http.request", "body": b"{}", "more_body": False}
    assert outcome == 408
    assert deadlines._reading == {}
    assert deadlines._expired == set()
    assert deadlines._timer is None


def test_the_sdk_sees_the_same_answer_twice_on_the_session_server(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": "twice through the short way"}]
    first = client.chat.completions.create(model=GPT4O, messages=messages)
    second = client.chat.completions.create(model=GPT4O, messages=messages)
    assert first.choices == second.choices
    assert first.usage == second.usage
    assert first.id != second.id


def test_a_guard_used_from_a_second_event_loop_still_ends_late_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first loop ends with its timer still armed for a read that was abandoned; the second loop gets its own.
    monkeypatch.setattr(middleware_module, "BODY_TIMEOUT_S", 0.01)
    guard = RequestGuard(Settings())

    async def never() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def abandoned() -> None:
        reading = asyncio.ensure_future(guard._reader(never)())
        await asyncio.sleep(0)  # the read starts and registers its deadline
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading

    async def late() -> int:
        try:
            # A failing guard would leave this read waiting for ever: the wait_for bound turns that into a failure.
            await asyncio.wait_for(guard._reader(never)(), timeout=30)
        except ApiError as error:
            return error.status
        return 200

    asyncio.run(abandoned())
    assert asyncio.run(late()) == 408


def test_big_header_lists_and_paths_are_answered_but_never_remembered(app_client: AppClient) -> None:
    from mockserver.api import turns

    client = app_client()
    big = {**AUTH, "x-trace": "t" * turns.REMEMBERED_BYTES}
    for _ in range(2):
        assert client.post(CHAT, content=body("hi"), headers=big).status_code == 200
    small = ((b"host", b"127.0.0.1"), (b"authorization", b"Bearer test-pat"))
    large = (*small, (b"x-trace", b"t" * turns.REMEMBERED_BYTES))
    assert turns._headers(list(large))["x-trace"] == "t" * turns.REMEMBERED_BYTES
    assert turns._HEADERS.get(large) is None
    assert turns._headers(list(small)) is turns._headers(list(small))  # remembered: the same dict again
    assert turns._headers([[b"Host", b"x"]]) == {"host": "x"}  # pairs as lists: decoded, never remembered
    scope = {"type": "http", "scheme": "http", "server": ("127.0.0.1", 80), "root_path": "", "headers": []}
    long_path = CHAT + "/" + "p" * turns.REMEMBERED_BYTES
    assert turns._urls({**scope, "path": long_path}, "127.0.0.1")[0] == long_path
    assert turns._URLS.get(("http", "127.0.0.1", ("127.0.0.1", 80), "", None, long_path)) is None
    answer = {"content-type": "application/json", "X-Big": "b" * turns.REMEMBERED_BYTES}
    assert turns._encoded(answer)[1] == (b"x-big", b"b" * turns.REMEMBERED_BYTES)
    assert turns._HEADS.get(tuple(answer.items())) is None
    plain = {"content-type": "application/json"}
    assert turns._encoded(plain) is turns._encoded(plain)  # remembered: the same list again


def test_a_body_refused_by_validation_is_still_journaled_as_sent(app_client: AppClient) -> None:
    client = app_client()
    sent = json.dumps({"model": "openai/chat-completion/models/gpt-4o", "messages": "not a list"}).encode()
    for _ in range(2):  # a refused body is never remembered: the second is read afresh, and journaled the same
        assert client.post(CHAT, content=sent, headers=AUTH).status_code == 400
    entries = context(client).journal.entries()
    assert [(entry.status, entry.request_body, entry.request) for entry in entries] == [
        (400, sent, json.loads(sent))
    ] * 2
