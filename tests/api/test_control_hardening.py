"""The control API refuses cross-origin browser writes and foreign Host names, and never runs open by accident."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from starlette.testclient import TestClient

from mockserver import Settings, cli, create_app

CHAT = "/v2/ext/openai/v1/chat/completions"
FIXTURES = "/__mock__/fixtures"
GPT4O = "openai/chat-completion/models/gpt-4o"
AUTH = {"Authorization": "Bearer hardening-pat"}
PLANTED = json.dumps({"name": "planted", "match": {"user": "hello"}, "reply": {"content": "pwned"}})
AppClient = Callable[..., TestClient]


def chat_reply(client: TestClient) -> str:
    body = {"model": GPT4O, "messages": [{"role": "user", "content": "hello"}]}
    answer = client.post(CHAT, json=body, headers=AUTH)
    assert answer.status_code == 200
    return str(answer.json()["choices"][0]["message"]["content"])


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),  # what a page's no-preflight fetch() sends
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),  # what an HTML form sends
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, 403),
        ({"Content-Type": "application/json", "Origin": "null"}, 403),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, 403),
    ],
)
def test_a_cross_origin_fixture_is_refused(app_client: AppClient, headers: dict[str, str], status: int) -> None:
    client = app_client()
    answer = client.post(FIXTURES, content=PLANTED, headers=headers)
    assert answer.status_code == status
    assert "control API" in answer.json()["status"]["details"]
    assert "pwned" not in chat_reply(client)
    assert client.get(FIXTURES).json()["fixtures"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},  # curl, SDK helpers, the pytest plugin
        {"Content-Type": "application/json; charset=utf-8", "Origin": "http://testserver"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "none"},
    ],
)
def test_tools_and_same_origin_pages_may_write(app_client: AppClient, headers: dict[str, str]) -> None:
    client = app_client()
    assert client.post(FIXTURES, content=PLANTED, headers=headers).status_code == 201
    assert chat_reply(client) == "pwned"


def test_bodiless_writes_need_no_content_type(app_client: AppClient) -> None:
    client = app_client()
    assert client.post("/__mock__/reset").status_code == 200  # curl -X POST
    assert client.delete(FIXTURES).status_code == 200
    refused = client.post("/__mock__/reset", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403


@pytest.mark.parametrize("host", ["evil.example.com", "evil.example.com:8080", "127.0.0.1.nip.io", "attacker.lan."])
def test_a_foreign_host_is_refused_everywhere(app_client: AppClient, host: str) -> None:
    client = app_client()
    for method, path in [("GET", "/__mock__/journal"), ("GET", FIXTURES), ("POST", CHAT)]:
        answer = client.request(method, path, headers={**AUTH, "Host": host}, json={})
        assert answer.status_code == 403, (method, path)
        assert "CLARIFAI_MOCK_ALLOWED_HOSTS" in answer.json()["status"]["details"]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8080", "localhost", "localhost:8080", "[::1]:8080", "clarifai-mock:8080", "app.localhost", "10.0.0.7"],
)
def test_local_hosts_pass(app_client: AppClient, host: str) -> None:
    assert app_client().get("/__mock__/journal", headers={"Host": host}).status_code == 200


def test_the_allow_list_adds_names(app_client: AppClient) -> None:
    client = app_client(allowed_hosts=["mock.example.com"])
    assert client.get("/__mock__/health", headers={"Host": "Mock.Example.com:8080"}).status_code == 200
    assert client.get("/__mock__/health", headers={"Host": "other.example.com"}).status_code == 403
    anything = app_client(allowed_hosts="*")
    assert anything.get("/__mock__/health", headers={"Host": "other.example.com"}).status_code == 200


def test_the_allow_list_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_ALLOWED_HOSTS", "mock.internal, api.mock.internal")
    assert Settings().allowed_hosts == ["mock.internal", "api.mock.internal"]


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_control_token_is_an_error(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    with pytest.raises(ValidationError, match="is empty"):
        Settings(control_token=token)
    monkeypatch.setattr(cli, "run_server", lambda settings: None)
    monkeypatch.setenv("CLARIFAI_MOCK_CONTROL_TOKEN", token)
    result = CliRunner().invoke(cli.main, ["serve"], prog_name="clarifai-mock")
    assert result.exit_code == 2
    assert "is empty" in result.output


@pytest.mark.parametrize(
    ("host", "token", "warned"),
    [
        ("0.0.0.0", None, True),
        ("0.0.0.0", "t", False),
        ("192.168.1.5", None, True),
        ("127.0.0.1", None, False),
        ("::1", None, False),
        ("localhost", None, False),
    ],
)
def test_binding_beyond_loopback_without_a_token_warns(
    caplog: pytest.LogCaptureFixture, host: str, token: str | None, warned: bool
) -> None:
    caplog.set_level(logging.WARNING, logger="mockserver")
    create_app(Settings(host=host, control_token=token))
    warnings = [r.getMessage() for r in caplog.records if "NO control token" in r.getMessage()]
    assert bool(warnings) is warned


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", CHAT, "POST"), ("PUT", FIXTURES, "DELETE, GET, HEAD, POST"), ("POST", "/__mock__/health", "GET, HEAD")],
)
def test_405_names_the_allowed_methods(app_client: AppClient, method: str, path: str, allow: str) -> None:
    answer = app_client().request(method, path, headers=AUTH)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
