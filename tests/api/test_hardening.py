"""Inputs found by review that used to answer 500, hang, or echo a PAT: each now gets a clear answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from mockserver import Fixture
from mockserver.fixtures.files import dump_fixture_file
from mockserver.fixtures.reload import Reloader
from mockserver.fixtures.store import FixtureStore

CHAT = "/v2/ext/openai/v1/chat/completions"
GPT4O = "openai/chat-completion/models/gpt-4o"
AUTH = {"Authorization": "Bearer hardening-pat"}
AppClient = Callable[..., TestClient]


def ask(text: str) -> dict[str, object]:
    return {"model": GPT4O, "messages": [{"role": "user", "content": text}]}


def journal_is_readable(client: TestClient) -> None:
    assert client.get("/__mock__/journal").status_code == 200


def test_a_fixture_named_in_any_script_answers_with_an_encoded_header(app_client: AppClient) -> None:
    client = app_client()
    client.post("/__mock__/fixtures", json={"name": "天気 ☀", "match": {"user": "weather"}, "reply": {"content": "ok"}})
    reply = client.post(CHAT, json=ask("weather?"), headers=AUTH)
    assert reply.status_code == 200
    assert unquote(reply.headers["x-mock-fixture"]) == "天気 ☀"


def test_a_message_of_a_million_characters_is_counted(app_client: AppClient) -> None:
    reply = app_client().post(CHAT, json=ask("word " * 250_000), headers=AUTH)
    assert reply.status_code == 200
    assert reply.json()["usage"]["prompt_tokens"] > 250_000


@pytest.mark.parametrize(
    "body",
    [
        b'{"model": "m", "messages": [], "temperature": NaN}',
        b'{"model": "m", "messages": [], "temperature": Infinity}',
        b'{"model": "m", "messages": [{"role": "user", "content": "hi \\ud800"}]}',
        b'{"model": "m", "messages": [], "seed": 1' + b"1" * 5000 + b"}",
    ],
    ids=["nan", "infinity", "lone-surrogate", "5000-digit-int"],
)
def test_bodies_json_cannot_carry_are_bad_requests_and_the_journal_survives(app_client: AppClient, body: bytes) -> None:
    client = app_client()
    reply = client.post(CHAT, content=body, headers=AUTH | {"content-type": "application/json"})
    assert reply.status_code == 400
    assert reply.json()["status"]["code"] == 11100
    journal_is_readable(client)


def test_an_escaped_emoji_is_not_a_lone_surrogate(app_client: AppClient) -> None:
    body = b'{"model": "' + GPT4O.encode() + b'", "messages": [{"role": "user", "content": "hi \\ud83d\\ude00"}]}'
    client = app_client()
    assert client.post(CHAT, content=body, headers=AUTH).status_code == 200
    journal_is_readable(client)


def test_odd_digits_in_headers_and_queries_are_ignored_not_fatal(app_client: AppClient) -> None:
    client = app_client()
    raw_headers = {key.encode(): value.encode() for key, value in AUTH.items()}
    raw_headers[b"x-stainless-retry-count"] = "²".encode("latin-1")
    assert client.post(CHAT, json=ask("hi"), headers=raw_headers).status_code == 200
    for limit in ("²", "9" * 5000, "0002"):
        assert client.get("/__mock__/journal", params={"limit": limit}).status_code == 200
    assert len(client.get("/__mock__/journal", params={"limit": "0002"}).json()["entries"]) == 1


def test_a_near_miss_on_an_authorization_header_never_echoes_the_pat(app_client: AppClient) -> None:
    client = app_client(no_match="strict")
    client.post(
        "/__mock__/fixtures",
        json={"match": {"headers": {"Authorization": "Bearer team-a"}}, "reply": {"content": "for team a"}},
    )
    secret = "Bearer REAL-SECRET-PAT-0123456789"
    miss = client.post(CHAT, json=ask("hi"), headers={"Authorization": secret})
    assert miss.status_code == 404
    assert "REAL-SECRET" not in miss.text
    assert "REAL-SECRET" not in client.get("/__mock__/journal").text


@pytest.mark.parametrize(
    "reply",
    [
        {"content": "x", "headers": {"x-a": "a\r\nx-b: c"}},
        {"content": "x", "headers": {"bad name": "x"}},
        {"content": "x", "headers": {"content-length": "5"}},
        {"content": "x", "headers": {"x-a": "天気"}},
        {"content": "x", "delay_ms": float("inf")},
        {"tool_calls": [{"name": "f", "arguments": {"a": float("nan")}}]},
    ],
    ids=["crlf", "bad-name", "framing", "non-latin1", "infinite-delay", "nan-arguments"],
)
def test_fixtures_the_mock_could_not_serve_are_rejected(reply: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Fixture.model_validate({"match": {}, "reply": reply})


def test_a_recorded_error_body_keeps_its_request_id_and_the_header_follows(app_client: AppClient) -> None:
    client = app_client()
    body = {"status": {"code": 11008, "description": "Invalid key", "details": "", "req_id": "a" * 32}}
    client.post(
        "/__mock__/fixtures", json={"match": {}, "reply": {"error": {"status": 401, "message": "x", "body": body}}}
    )
    reply = client.post(CHAT, json=ask("hi"), headers=AUTH)
    assert reply.status_code == 401
    assert reply.json() == body
    assert reply.headers["x-clarifai-request-id"] == "a" * 32


def test_model_routes_are_journaled(app_client: AppClient) -> None:
    client = app_client()
    client.get("/v2/ext/openai/v1/models", headers=AUTH)
    client.get(f"/v2/ext/openai/v1/models/{GPT4O}", headers=AUTH)
    entries = client.get("/__mock__/journal").json()["entries"]
    assert [(e["endpoint"], e["status"]) for e in entries] == [("models", 200), ("models.retrieve", 200)]
    assert entries[1]["model"] == GPT4O


def test_a_reload_that_raises_anything_keeps_the_last_good_set(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    dump_fixture_file(path, [Fixture.model_validate({"name": "good", "reply": {"content": "v1"}})])
    store = FixtureStore()
    reloader = Reloader(store, [path])
    reloader.load()
    path.write_text('{"version": 1, "fixtures": [{"match": {"turn": 1' + "1" * 5000 + "}}]}", "utf-8")
    assert reloader.reload() is False
    assert reloader.last_error is not None
    assert "f.json" in reloader.last_error
    assert [e.name for e in store.entries()] == ["good"]
