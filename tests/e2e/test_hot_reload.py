"""Hot reload of fixture files on a running server: changes are picked up, a broken file keeps the last good set and
says why, ``POST /__mock__/reload`` reports problems, and an invalid file stops the server from starting.

Tests wait on the reloader's attempt counter (``Reloader.wait_for_attempt``), never on the clock. Files are
replaced atomically (write a temp file, rename it over), as editors do, so the watcher never sees a half-written file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from mockserver import FixtureFileError, MockServer, NoMatch, Settings, create_app
from mockserver.fixtures.reload import Reloader
from mockserver.fixtures.store import FixtureStore

GPT4O = "openai/chat-completion/models/gpt-4o"
WAIT = 10.0


def fixture_file(reply: str, match: str = "status") -> str:
    return (
        "version: 1\n"
        "fixtures:\n"
        "  - name: status-check\n"
        f"    match: {{user: {match}}}\n"
        f'    reply: {{content: "{reply}"}}\n'
    )


BROKEN = "version: 1\nfixtures:\n  - name: status-check\n    match: {usr: status}\n    reply: {content: C}\n"


def replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temp file the watcher ignores, renamed over the target)."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


def reloader_of(server: MockServer) -> Reloader:
    reloader = server.app.state.mock.reloader
    assert isinstance(reloader, Reloader)
    return reloader


def answer(client: openai.OpenAI, text: str = "What is the status?") -> str | None:
    raw = client.chat.completions.with_raw_response.create(model=GPT4O, messages=[{"role": "user", "content": text}])
    assert raw.headers["x-mock-fixture"] == "status-check"
    return raw.parse().choices[0].message.content


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[MockServer, Path]]:
    """A strict server watching one fixture file in ``tmp_path`` that answers "A"."""
    path = tmp_path / "status.yaml"
    path.write_text(fixture_file("A"), "utf-8")
    settings = Settings(port=0, fixtures=[path], no_match=NoMatch.STRICT, reload=True)
    with MockServer(settings) as server:
        yield server, path


@pytest.fixture
def reload_client(watched: tuple[MockServer, Path]) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=watched[0].base_url, api_key="reload-pat", max_retries=0) as client:
        yield client


def test_changes_are_picked_up_and_a_broken_file_keeps_the_last_good_set(
    watched: tuple[MockServer, Path], reload_client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server, path = watched
    reloader = reloader_of(server)
    caplog.set_level(logging.INFO, logger="mockserver.fixtures")
    assert answer(reload_client) == "A"
    assert reloader.attempts == 0

    replace(path, fixture_file("B"))
    assert reloader.wait_for_attempt(1, timeout=WAIT)
    assert reloader.last_error is None
    assert answer(reload_client) == "B"
    assert server.app.state.mock.store.generation == 2  # the start-up load, then this reload

    replace(path, BROKEN)
    assert reloader.wait_for_attempt(2, timeout=WAIT)
    assert answer(reload_client) == "B"
    assert reloader.last_error is not None
    assert f"{path}:4: fixtures[0] (status-check): match.usr: Extra inputs are not permitted" in reloader.last_error
    failures = [r for r in caplog.records if r.name == "mockserver.fixtures" and r.levelno == logging.ERROR]
    assert failures, "the failed reload was not logged"
    logged = failures[-1].getMessage()
    assert "fixture reload failed, keeping the last good fixtures" in logged
    assert f"{path}:4" in logged
    assert "match.usr" in logged

    replace(path, fixture_file("D"))
    assert reloader.wait_for_attempt(3, timeout=WAIT)
    assert reloader.last_error is None
    assert answer(reload_client) == "D"


def test_a_new_file_in_a_watched_folder_is_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    (folder / "a.yaml").write_text(fixture_file("A"), "utf-8")
    settings = Settings(port=0, fixtures=[folder], no_match=NoMatch.STRICT, reload=True)
    with MockServer(settings) as server:
        reloader = reloader_of(server)
        replace(folder / "b.yaml", fixture_file("other", match="elsewhere").replace("status-check", "other-check"))
        assert reloader.wait_for_attempt(1, timeout=WAIT)
        names = [e.name for e in server.app.state.mock.store.entries()]
        assert names == ["status-check", "other-check"]
        (folder / "notes.txt").write_text("not a fixture file", "utf-8")
        replace(folder / "a.yaml", fixture_file("A2"))
        assert reloader.wait_for_attempt(2, timeout=WAIT)
        assert reloader.attempts == 2  # the .txt file did not trigger a reload of its own


def test_reload_endpoint_reports_problems_and_keeps_the_last_good_set(tmp_path: Path) -> None:
    path = tmp_path / "status.yaml"
    path.write_text(fixture_file("A"), "utf-8")
    settings = Settings(port=0, fixtures=[path], no_match=NoMatch.STRICT, reload=False)
    with (
        MockServer(settings) as server,
        httpx.Client(base_url=server.url) as http,
        openai.OpenAI(base_url=server.base_url, api_key="reload-pat", max_retries=0) as client,
    ):
        path.write_text(BROKEN, "utf-8")
        response = http.post("/__mock__/reload")
        assert response.status_code == 400
        details = response.json()["status"]["details"]
        assert f"{path}:4: fixtures[0] (status-check): match.usr: Extra inputs are not permitted" in details
        assert answer(client) == "A"

        path.write_text(fixture_file("B"), "utf-8")
        response = http.post("/__mock__/reload")
        assert response.status_code == 200
        assert response.json() == {"status": "reloaded", "generation": 2}
        assert answer(client) == "B"


def test_the_server_refuses_to_start_on_an_invalid_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(fixture_file("A"), "utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, "utf-8")
    with pytest.raises(FixtureFileError) as caught:
        create_app(Settings(port=0, fixtures=[good, bad]))
    assert caught.value.problems == [f"{bad}:4: fixtures[0] (status-check): match.usr: Extra inputs are not permitted"]
    with pytest.raises(FixtureFileError):
        MockServer(Settings(port=0, fixtures=[tmp_path]))


def test_a_relative_fixtures_path_is_watched_and_errors_show_in_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--fixtures fixtures`` (what ``make serve`` passes): edits are picked up without ``POST /__mock__/reload``."""
    monkeypatch.chdir(tmp_path)
    folder = Path("fixtures")
    folder.mkdir()
    replace(folder / "status.yaml", fixture_file("A"))
    settings = Settings(port=0, fixtures=[folder], no_match=NoMatch.STRICT, reload=True)
    with (
        MockServer(settings) as server,
        httpx.Client(base_url=server.url) as http,
        openai.OpenAI(base_url=server.base_url, api_key="reload-pat", max_retries=0) as client,
    ):
        store, reloader = server.app.state.mock.store, reloader_of(server)
        assert answer(client) == "A"
        assert http.get("/__mock__/health").json()["reload_error"] is None

        (folder / "node_modules").mkdir()
        replace(folder / "node_modules" / "x.yaml", BROKEN)  # ignored: neither loaded nor a reason to reload
        replace(folder / "status.yaml", fixture_file("B"))
        assert store.wait_for_generation(2, timeout=WAIT)
        assert answer(client) == "B"
        assert reloader.attempts == 1

        replace(folder / "status.yaml", BROKEN)
        assert reloader.wait_for_attempt(2, timeout=WAIT)
        health = http.get("/__mock__/health").json()
        assert f"{Path('fixtures', 'status.yaml')}:4: fixtures[0] (status-check): match.usr" in health["reload_error"]
        assert health["generation"] == 2
        assert answer(client) == "B"

        replace(folder / "status.yaml", fixture_file("C"))
        assert store.wait_for_generation(3, timeout=WAIT)
        assert http.get("/__mock__/health").json()["reload_error"] is None
        assert answer(client) == "C"


def test_which_changes_are_relevant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fixtures").mkdir()
    reloader = Reloader(FixtureStore(), [Path("fixtures"), Path("extra.yaml")])
    assert reloader.relevant(str(tmp_path / "fixtures" / "a.yaml"))
    assert reloader.relevant(str(tmp_path / "fixtures" / "deep" / "b.json"))
    assert reloader.relevant(str(tmp_path / "extra.yaml"))
    assert not reloader.relevant(str(tmp_path / "other.yaml"))
    assert not reloader.relevant(str(tmp_path / "fixtures" / "notes.txt"))
    assert not reloader.relevant(str(tmp_path / "fixtures" / ".a.yaml.swp.yaml"))
    assert not reloader.relevant(str(tmp_path / "fixtures" / "node_modules" / "a.yaml"))
    assert not reloader.relevant(str(tmp_path / "fixtures" / ".git" / "a.yaml"))
