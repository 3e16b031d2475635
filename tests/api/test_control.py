"""The ``/__mock__/`` control API in process: run-time fixtures (same schema as files), namespaces, reset, the
journal (PAT fingerprints only), the usage ledger (tokens and cost add up) and the control token."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from mockserver import ErrorStyle, NoMatch, Settings, create_app
from mockserver.clarifai.auth import fingerprint

DATA = Path(__file__).resolve().parents[1] / "data"
GPT4O = "openai/chat-completion/models/gpt-4o"
CLAUDE = "anthropic/completion/models/claude-sonnet-4"
CHAT = "/v2/ext/openai/v1/chat/completions"
PAT = "sk-clarifai-very-secret-pat-0123456789"
OTHER_PAT = "another-secret-pat-9876543210"
FIXTURES = "/__mock__/fixtures"

AppFactory = Callable[..., TestClient]


@pytest.fixture
def control_app() -> Iterator[AppFactory]:
    """Build in-process apps (strict, no file watching) with extra settings; closed after the test."""
    made: list[TestClient] = []

    def build(**settings: Any) -> TestClient:
        chosen: dict[str, Any] = {"no_match": NoMatch.STRICT, "reload": False, **settings}
        client = TestClient(create_app(Settings(**chosen)), raise_server_exceptions=False)
        client.__enter__()
        made.append(client)
        return client

    yield build
    for client in made:
        client.__exit__(None, None, None)


@pytest.fixture
def api(control_app: AppFactory) -> TestClient:
    """An app with ``tests/data/warnings.yaml`` loaded from file."""
    return control_app(fixtures=[DATA / "warnings.yaml"])


def chat(
    client: TestClient,
    text: str,
    *,
    pat: str = PAT,
    model: str = GPT4O,
    namespace: str | None = None,
    **extra: Any,
) -> Any:
    headers = {"Authorization": f"Bearer {pat}", **({"x-mock-namespace": namespace} if namespace else {})}
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return client.post(CHAT, json=body, headers=headers)


def names(client: TestClient, namespace: str | None = None) -> list[str]:
    response = client.get(FIXTURES, params={"namespace": namespace} if namespace else None)
    assert response.status_code == 200
    return [f["name"] for f in response.json()["fixtures"]]


def journal(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/__mock__/journal", params=params)
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


# --- fixtures ------------------------------------------------------------------------------------------------------


def test_list_shows_file_fixtures_in_load_order(api: TestClient) -> None:
    listed = api.get(FIXTURES).json()["fixtures"]
    assert [f["name"] for f in listed] == ["greeting", "greeting-streamed", "anything", "farewell"]
    assert listed[0] == {
        "name": "greeting",
        "source": str(DATA / "warnings.yaml"),
        "hits": 0,
        "match": {"user": {"contains": "hello"}},
        "reply": {"content": "Hi!"},
    }


def test_post_one_fixture_answers_before_file_fixtures(api: TestClient) -> None:
    fixture = {"name": "live", "match": {"user": "hello"}, "reply": {"content": "Added at run time."}}
    response = api.post(FIXTURES, json=fixture)
    assert (response.status_code, response.json()) == (201, {"added": ["live"]})
    listed = api.get(FIXTURES).json()["fixtures"]
    assert listed[0] == {
        "name": "live",
        "source": "runtime",
        "hits": 0,
        "match": {"user": {"contains": "hello"}},
        "reply": {"content": "Added at run time."},
    }
    answer = chat(api, "hello there")
    assert answer.headers["x-mock-fixture"] == "live"
    assert answer.json()["choices"][0]["message"]["content"] == "Added at run time."


def test_post_a_file_shaped_body(api: TestClient) -> None:
    body = {
        "version": 1,
        "fixtures": [
            {"name": "one", "match": {"user": "first"}, "reply": {"content": "1"}},
            {"match": {"user": "second"}, "sequence": [{"content": "2a"}, {"content": "2b"}]},
        ],
    }
    response = api.post(FIXTURES, json=body)
    assert response.status_code == 201
    assert response.json() == {"added": ["one", "runtime#1"]}
    assert names(api)[:2] == ["one", "runtime#1"]
    assert [chat(api, "second").json()["choices"][0]["message"]["content"] for _ in range(3)] == ["2a", "2b", "2b"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"match": {"usr": "hi"}, "reply": {"content": "x"}}, "match.usr"),
        ({"reply": {"error": {"status": 200, "message": "fine"}}}, "reply.error.status"),
        ({"match": {"user": {"regex": "(oops"}}, "reply": {"content": "x"}}, "match.user"),
        ({"match": {"turn": "first"}, "reply": {"content": "x"}}, "match.turn"),
        ({"fixtures": [{"reply": {"content": "ok"}}, {"match": {"turn": -1}, "reply": {}}]}, "fixtures.1.match.turn"),
        ({"reply": {"content": "x"}, "sequence": [{"content": "y"}]}, "body"),
    ],
)
def test_post_an_invalid_fixture_is_a_400_naming_the_field(api: TestClient, body: dict[str, Any], field: str) -> None:
    before = names(api)
    response = api.post(FIXTURES, json=body)
    assert response.status_code == 400
    status = response.json()["status"]
    assert status["details"].startswith(f"Invalid '{field}': ")
    assert names(api) == before  # nothing of a rejected body is added


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]"])
def test_post_a_body_that_is_not_a_json_object(api: TestClient, raw: bytes) -> None:
    response = api.post(FIXTURES, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["status"]["code"] == 11100


def test_namespaces_keep_run_time_fixtures_apart(api: TestClient) -> None:
    fixture = {"name": "scoped", "match": {"user": "secret word"}, "reply": {"content": "only for test-a"}}
    assert api.post(FIXTURES, params={"namespace": "test-a"}, json=fixture).status_code == 201
    assert names(api, "test-a")[0] == "scoped"
    assert "scoped" not in names(api)
    assert "scoped" not in names(api, "test-b")
    assert chat(api, "the secret word", namespace="test-a").headers["x-mock-fixture"] == "scoped"
    assert chat(api, "the secret word", namespace="test-b").headers["x-mock-fixture"] == "anything"


def test_delete_by_name_and_all_of_a_namespace(api: TestClient) -> None:
    for name in ("a", "b"):
        api.post(FIXTURES, params={"namespace": "ns"}, json={"name": name, "reply": {"content": name}})
    api.post(FIXTURES, json={"name": "shared", "reply": {"content": "shared"}})

    response = api.delete(FIXTURES, params={"namespace": "ns", "name": "a"})
    assert (response.status_code, response.json()) == (200, {"removed": "a"})
    assert names(api, "ns")[:2] == ["b", "shared"]
    assert api.delete(FIXTURES, params={"namespace": "ns", "name": "a"}).status_code == 404
    assert api.delete(FIXTURES, params={"name": "greeting"}).status_code == 404  # file fixtures stay

    assert api.delete(FIXTURES, params={"namespace": "ns"}).json() == {"removed": "all"}
    assert names(api, "ns")[0] == "shared"
    assert api.delete(FIXTURES).json() == {"removed": "all"}
    assert names(api) == ["greeting", "greeting-streamed", "anything", "farewell"]


# --- reset ---------------------------------------------------------------------------------------------------------


def test_reset_forgets_run_time_fixtures_counters_journal_and_usage(api: TestClient) -> None:
    sequence = {"name": "seq", "match": {"user": "count"}, "sequence": [{"content": "1"}, {"content": "2"}]}
    for namespace in (None, "kept"):
        api.post(FIXTURES, params={"namespace": namespace} if namespace else None, json=sequence)
        assert chat(api, "count", namespace=namespace).json()["choices"][0]["message"]["content"] == "1"
    assert api.get("/__mock__/usage").json()["requests"] == 2

    assert api.post("/__mock__/reset", params={"namespace": "other"}).json() == {"status": "reset"}
    assert len(journal(api)) == 2

    assert api.post("/__mock__/reset").json() == {"status": "reset"}
    assert journal(api) == []
    assert api.get("/__mock__/usage").json()["requests"] == 0
    assert "seq" not in names(api)
    assert "seq" not in names(api, "kept")
    api.post(FIXTURES, json=sequence)
    assert chat(api, "count").json()["choices"][0]["message"]["content"] == "1"


def test_reset_of_one_namespace(api: TestClient) -> None:
    sequence = {"name": "seq", "match": {"user": "count"}, "sequence": [{"content": "1"}, {"content": "2"}]}
    api.post(FIXTURES, json=sequence)
    for namespace in ("a", "b"):
        chat(api, "count", namespace=namespace)
    api.post("/__mock__/reset", params={"namespace": "a"})
    assert [e["namespace"] for e in journal(api)] == ["b"]
    assert chat(api, "count", namespace="a").json()["choices"][0]["message"]["content"] == "1"
    assert chat(api, "count", namespace="b").json()["choices"][0]["message"]["content"] == "2"


# --- journal -------------------------------------------------------------------------------------------------------


def test_journal_records_hits_and_misses_without_the_pat(api: TestClient) -> None:
    api.post(FIXTURES, json={"name": "pat-bound", "match": {"pat": PAT, "user": "mine"}, "reply": {"content": "ok"}})
    hit = chat(api, "hello", stream=False)
    assert hit.status_code == 200
    assert chat(api, "this is mine", pat=OTHER_PAT).headers["x-mock-fixture"] == "anything"

    entries = journal(api)
    assert [e["seq"] for e in entries] == [1, 2]
    first = entries[0]
    assert first["pat"] == fingerprint(PAT)
    assert first["pat"].startswith("pat_")
    assert len(first["pat"]) == len("pat_") + 12
    assert first["fixture"] == "greeting"
    assert first["status"] == 200
    assert first["model"] == GPT4O
    assert first["endpoint"] == "chat.completions"
    assert first["path"] == CHAT
    assert first["stream"] is False
    assert first["near_miss"] is None
    assert first["usage"]["total_tokens"] == first["usage"]["prompt_tokens"] + first["usage"]["completion_tokens"]
    assert first["latency_ms"] >= 0
    assert first["request"]["messages"] == [{"role": "user", "content": "hello"}]
    assert entries[1]["pat"] == fingerprint(OTHER_PAT)

    dumped = json.dumps(api.get("/__mock__/journal").json())
    assert PAT not in dumped
    assert OTHER_PAT not in dumped

    assert [e["seq"] for e in journal(api, limit=1)] == [2]
    assert journal(api, limit=0) == []


def test_a_generated_replys_journal_entry_has_its_near_miss_report_built_when_read(control_app: AppFactory) -> None:
    api = control_app(fixtures=[DATA / "valid.json"], no_match="generate")
    api.post(FIXTURES, json={"name": "pat-bound", "match": {"pat": PAT, "user": "mine"}, "reply": {"content": "ok"}})
    assert chat(api, "this is mine", pat=OTHER_PAT, namespace="t2").status_code == 200
    [entry] = journal(api, namespace="t2")
    assert entry["generated"] is True
    assert entry["fixture"] is None
    assert entry["near_miss"].splitlines()[1] == "  - 'pat-bound' (runtime): pat: the caller's PAT differs"
    assert journal(api, namespace="t2")[0]["near_miss"] == entry["near_miss"]  # read again: the same report


def test_journal_keeps_the_near_miss_report(control_app: AppFactory) -> None:
    api = control_app(fixtures=[DATA / "valid.json"])
    api.post(FIXTURES, json={"name": "pat-bound", "match": {"pat": PAT, "user": "mine"}, "reply": {"content": "ok"}})
    miss = chat(api, "this is mine", pat=OTHER_PAT, namespace="t1")
    assert miss.status_code == 404
    assert miss.headers["x-should-retry"] == "false"
    [entry] = journal(api, namespace="t1")
    assert entry["status"] == 404
    assert entry["fixture"] is None
    assert entry["near_miss"] == miss.json()["status"]["details"]
    assert entry["near_miss"].splitlines()[1] == "  - 'pat-bound' (runtime): pat: the caller's PAT differs"
    assert PAT not in json.dumps(entry)
    assert OTHER_PAT not in json.dumps(entry)


def test_strict_miss_in_openai_style_puts_the_report_in_the_message(control_app: AppFactory) -> None:
    api = control_app(fixtures=[DATA / "valid.json"], error_style=ErrorStyle.OPENAI)
    miss = chat(api, "hello from yaml")
    assert miss.status_code == 404
    error = miss.json()["error"]
    assert error["code"] == "no_fixture_matched"
    assert error["message"].startswith("No fixture matched this request. Closest:\n  - 'json-greeting'")
    assert "user: wants equals 'hello from json', got 'hello from yaml'" in error["message"]


# --- usage ---------------------------------------------------------------------------------------------------------


def test_usage_tokens_and_cost_add_up(api: TestClient) -> None:
    catalog = api.app.state.mock.catalog  # type: ignore[attr-defined]
    for pat, model, text in [
        (PAT, GPT4O, "hello"),
        (PAT, GPT4O, "hello again, a longer message this time"),
        (PAT, CLAUDE, "hello"),
        (OTHER_PAT, GPT4O, "bye"),
    ]:
        assert chat(api, text, pat=pat, model=model).status_code == 200
    entries = journal(api)
    summary = api.get("/__mock__/usage").json()
    assert summary["requests"] == 4
    assert summary["prompt_tokens"] == sum(e["usage"]["prompt_tokens"] for e in entries)
    assert summary["completion_tokens"] == sum(e["usage"]["completion_tokens"] for e in entries)
    assert summary["total_tokens"] == summary["prompt_tokens"] + summary["completion_tokens"]

    lines = {(line["pat"], line["model"]): line for line in summary["lines"]}
    assert set(lines) == {(fingerprint(PAT), GPT4O), (fingerprint(PAT), CLAUDE), (fingerprint(OTHER_PAT), GPT4O)}
    assert lines[(fingerprint(PAT), GPT4O)]["requests"] == 2
    for (pat, model), line in lines.items():
        price = catalog.resolve(model).info.price
        assert price.input > 0
        mine = [e for e in entries if e["pat"] == pat and e["model"] == model]
        assert line["prompt_tokens"] == sum(e["usage"]["prompt_tokens"] for e in mine)
        assert line["completion_tokens"] == sum(e["usage"]["completion_tokens"] for e in mine)
        expected = line["prompt_tokens"] * price.input / 1e6 + line["completion_tokens"] * price.output / 1e6
        assert line["cost_usd"] == pytest.approx(expected)
        assert sum(e["cost_usd"] for e in mine) == pytest.approx(expected)
    assert summary["cost_usd"] == pytest.approx(sum(line["cost_usd"] for line in lines.values()))
    assert PAT not in json.dumps(summary)


def test_usage_of_one_namespace(api: TestClient) -> None:
    chat(api, "hello", namespace="n1")
    chat(api, "hello", namespace="n2")
    chat(api, "hello", namespace="n2")
    assert api.get("/__mock__/usage", params={"namespace": "n2"}).json()["requests"] == 2
    assert api.get("/__mock__/usage").json()["requests"] == 3


def test_usage_override_is_what_gets_billed(api: TestClient) -> None:
    api.post(FIXTURES, json={"reply": {"content": "x", "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0}}})
    chat(api, "anything")
    [line] = api.get("/__mock__/usage").json()["lines"]
    assert (line["prompt_tokens"], line["completion_tokens"]) == (1_000_000, 0)
    assert line["cost_usd"] == pytest.approx(2.5)  # gpt-4o input: $2.50 per 1M tokens


# --- control token -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/__mock__/journal"),
        ("POST", "/__mock__/reset"),
        ("GET", FIXTURES),
        ("POST", FIXTURES),
        ("DELETE", FIXTURES),
        ("GET", "/__mock__/usage"),
        ("POST", "/__mock__/reload"),
    ],
)
def test_control_token_guards_the_control_api(control_app: AppFactory, method: str, path: str) -> None:
    api = control_app(control_token=SecretStr("s3cret"))
    body = {"reply": {"content": "x"}} if method == "POST" and path == FIXTURES else None
    for headers in ({}, {"x-mock-control-token": "wrong"}):
        refused = api.request(method, path, headers=headers, json=body)
        assert refused.status_code == 401
        assert "x-mock-control-token" in refused.json()["status"]["details"]
    allowed = api.request(method, path, headers={"x-mock-control-token": "s3cret"}, json=body)
    assert allowed.status_code in (200, 201)


def test_health_and_the_api_stay_open_with_a_control_token(control_app: AppFactory) -> None:
    api = control_app(control_token=SecretStr("s3cret"), no_match=NoMatch.GENERATE)
    health = api.get("/__mock__/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert chat(api, "hello").status_code == 200


def test_reload_without_fixture_files(control_app: AppFactory) -> None:
    response = control_app().post("/__mock__/reload")
    assert response.status_code == 200
    assert response.json()["status"] == "reloaded"
