"""What the inspector page reads, in process: the page and its assets (guarded by the control token, ``?token=``
included), replies and timed stream frames kept in the journal, fixture hit counts and the last reload error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from mockserver import NoMatch, Settings, create_app

GPT4O = "openai/chat-completion/models/gpt-4o"
CHAT = "/v2/ext/openai/v1/chat/completions"
TOKEN = "inspector-control-token"
FIXTURES = """
version: 1
fixtures:
  - name: hello
    match: {user: hello}
    reply: {content: "Hi there."}
  - name: unused
    match: {user: "never asked"}
    reply: {content: "unused"}
"""


@pytest.fixture
def fixture_file(tmp_path: Path) -> Path:
    path = tmp_path / "inspector.yaml"
    path.write_text(FIXTURES, "utf-8")
    return path


@pytest.fixture
def app(fixture_file: Path) -> Iterator[TestClient]:
    settings = Settings(fixtures=[fixture_file], no_match=NoMatch.STRICT, reload=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def chat(client: TestClient, text: str, namespace: str | None = None, **extra: Any) -> Any:
    headers = {"Authorization": "Key inspector-pat", **({"x-mock-namespace": namespace} if namespace else {})}
    body = {"model": GPT4O, "messages": [{"role": "user", "content": text}], **extra}
    return client.post(CHAT, json=body, headers=headers)


def entries(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/__mock__/journal").json()["entries"]
    return found


def test_the_page_and_its_assets_ship_in_the_package(app: TestClient) -> None:
    page = app.get("/__mock__/ui")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self': no CDN, no inline code
    assert '<script type="module" src="/__mock__/ui/app.js"' in page.text
    script, style = app.get("/__mock__/ui/app.js"), app.get("/__mock__/ui/style.css")
    assert script.status_code == style.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'from "./transcript.js"' in script.text
    for module in ("transcript.js", "util.js", "views.js"):
        assert app.get(f"/__mock__/ui/{module}").headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for other in ("index.html", "__init__.py", "metrics.py", "index.js"):  # only the page's own assets
        assert app.get(f"/__mock__/ui/{other}").status_code == 404


def test_with_a_control_token_the_page_and_metrics_need_it(fixture_file: Path) -> None:
    settings = Settings(fixtures=[fixture_file], reload=False, control_token=SecretStr(TOKEN))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        asked = client.get("/__mock__/ui")
        assert asked.status_code == 401
        assert '<input name="token"' in asked.text
        assert "/__mock__/journal" not in asked.text
        refused = client.get("/__mock__/ui", params={"token": "wrong"})
        assert refused.status_code == 401
        assert "refused" in refused.text
        assert client.get("/__mock__/ui", params={"token": TOKEN}).status_code == 200
        assert client.get("/__mock__/ui", headers={"x-mock-control-token": TOKEN}).status_code == 200
        assert client.get("/__mock__/metrics").status_code == 401
        assert client.get("/__mock__/metrics", params={"token": TOKEN}).status_code == 401  # header only, as the API
        assert client.get("/__mock__/metrics", headers={"x-mock-control-token": TOKEN}).status_code == 200


def test_the_journal_keeps_the_reply_and_the_error(app: TestClient) -> None:
    assert chat(app, "hello").status_code == 200
    assert chat(app, "something else").status_code == 404
    hit, miss = entries(app)
    assert hit["response"]["choices"][0]["message"]["content"] == "Hi there."
    assert hit["frames"] == []
    assert "body" not in hit
    assert miss["response"] is None
    assert miss["error"] is not None
    assert miss["error"].startswith("No fixture matched")


def test_the_journal_keeps_a_streams_frames_with_their_times(app: TestClient) -> None:
    with app.stream("POST", CHAT, json=_streamed("hello"), headers={"Authorization": "Key p"}) as response:
        body = b"".join(response.iter_bytes())
    [entry] = entries(app)
    frames = entry["frames"]
    assert "".join(f["data"] for f in frames).encode() == body
    assert frames[-1]["data"].strip() == "data: [DONE]"
    times = [f["ms"] for f in frames]
    assert times == sorted(times)
    assert times[0] > 0
    assert entry["response"] is None


def _streamed(text: str) -> dict[str, Any]:
    return {"model": GPT4O, "messages": [{"role": "user", "content": text}], "stream": True}


def test_fixtures_list_their_hits_per_namespace_and_a_full_reset_forgets_them(app: TestClient) -> None:
    chat(app, "hello")
    chat(app, "hello", namespace="a")
    chat(app, "hello", namespace="a")

    def hits(**params: str) -> dict[str, int]:
        return {f["name"]: f["hits"] for f in app.get("/__mock__/fixtures", params=params).json()["fixtures"]}

    assert hits() == {"hello": 3, "unused": 0}
    assert hits(namespace="a") == {"hello": 2, "unused": 0}
    app.post("/__mock__/reset", params={"namespace": "a"})  # what ending a pytest test does: the run's hits stay
    assert hits() == {"hello": 3, "unused": 0}
    app.post("/__mock__/reset")
    assert hits() == {"hello": 0, "unused": 0}


def test_fixtures_show_the_last_reload_error(app: TestClient, fixture_file: Path) -> None:
    assert app.get("/__mock__/fixtures").json()["reload_error"] is None
    fixture_file.write_text("version: 1\nfixtures:\n  - match: {user: [not, a, string]}\n", "utf-8")
    assert app.post("/__mock__/reload").status_code == 400
    listing = app.get("/__mock__/fixtures").json()
    assert "inspector.yaml" in listing["reload_error"]
    assert [f["name"] for f in listing["fixtures"]] == ["hello", "unused"]  # the last good set still answers
    fixture_file.write_text(FIXTURES, "utf-8")
    assert app.post("/__mock__/reload").status_code == 200
    assert app.get("/__mock__/fixtures").json()["reload_error"] is None


def test_a_fixture_names_its_file_and_line(app: TestClient, fixture_file: Path) -> None:
    def source(name: str, **params: str) -> Any:
        return app.get("/__mock__/fixtures/source", params={"name": name, **params})

    assert source("unused").json() == {"name": "unused", "source": str(fixture_file), "line": 7}
    assert source("hello").json()["line"] == 4
    extra = {"name": "extra", "match": {"user": "x"}, "reply": {}}
    added = app.post("/__mock__/fixtures", json=extra, params={"namespace": "a"})
    assert added.status_code == 201
    assert source("extra", namespace="a").json() == {"name": "extra", "source": "runtime", "line": None}
    assert source("extra").status_code == 404  # another namespace's fixture
    assert source("nope").status_code == 404


def test_the_journal_tail_sends_what_is_new_and_streams_still_being_written(app: TestClient) -> None:
    chat(app, "hello")
    chat(app, "hello")
    tail = app.get("/__mock__/journal/tail", params={"after": 1}).json()
    assert tail["last_seq"] == 2
    assert [e["seq"] for e in tail["entries"]] == [2]
    assert app.get("/__mock__/journal/tail", params={"after": 2}).json()["entries"] == []
    assert [e["seq"] for e in app.get("/__mock__/journal/tail", params={"limit": 1}).json()["entries"]] == [2]
    app.post("/__mock__/reset")
    assert app.get("/__mock__/journal/tail").json() == {"last_seq": 2, "entries": []}  # numbers are not reused
    for bad in ("-1", "x", "9" * 40):
        refused = app.get("/__mock__/journal/tail", params={"after": bad})
        assert refused.status_code == 400
        assert "after" in refused.text
