"""Record real sessions through the mock and replay them offline.

The "real Clarifai" here is a second ``MockServer`` (seeded, so its answers are byte-stable); the recorder is a
mock with a record mode; replay is a third mock that reads the recording with the upstream stopped or unused.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from click.testing import CliRunner
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)

from mockserver import ApiError, MockServer, RecordMode, Settings, cli
from mockserver.fixtures.files import load_file, load_fixture_files
from mockserver.fixtures.secrets import PLACEHOLDER
from mockserver.record.collapse import collapse_chunks
from mockserver.record.recorder import DEFAULT_FILE, Exchange, Recorder
from mockserver.record.upstream import DUMMY_PAT_PREFIX, pat_for_upstream
from mockserver.wire.headers import RECORDED_HEADER

GPT4O = "openai/chat-completion/models/gpt-4o"
REAL_PAT = secrets.token_hex(16)  # shaped like a Clarifai PAT; must never reach disk
WRONG_PAT = "wrong-but-long-pat-value"
SK = "sk-proj-AbCdEfGhIjKlMnOpQrStUv12"
WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}
ASK_WEATHER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is the weather in Paris?"}]
PLAIN: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello"}]
UPSTREAM_FIXTURES: dict[str, Any] = {
    "version": 1,
    "fixtures": [
        {
            "name": "weather-ask",
            "match": {"user": "weather", "tools": ["get_weather"]},
            "reply": {"tool_calls": [{"name": "get_weather", "arguments": {"location": "Paris, France"}}]},
        },
        {
            "name": "weather-answer",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": {"content": "It is 18 degrees and sunny in Paris."},
        },
        {"name": "hello", "match": {"user": {"equals": "Say hello"}}, "reply": {"content": "Hello there, friend!"}},
        {
            "name": "paced",
            "match": {"user": {"equals": "Count slowly"}},
            "reply": {"content": "one two three four five six", "stream": {"ttft_ms": 30, "tokens_per_second": 50}},
        },
        {"name": "echo", "match": {"user": "echo"}, "reply": {"content": f"Key {SK}; you said: {{{{ last_user }}}}"}},
        {
            "name": "limited",
            "match": {"user": {"equals": "Too fast"}},
            "reply": {"error": {"status": 429, "message": "Making too many requests", "retry_after": 2}},
        },
        {
            "name": "slow",
            "match": {"user": {"equals": "Take your time"}},
            "reply": {"content": "a b c d e f g h i j k l", "stream": {"tokens_per_second": 2}},
        },
        {
            "name": "questions",
            "match": {"user": {"regex": "^question"}},
            "reply": {"stream": {"tokens_per_second": 300}},
        },
    ],
}


# --- servers and clients ----------------------------------------------------------------------------------------------


@contextmanager
def serving(**settings: Any) -> Iterator[MockServer]:
    """A mock on a free port that never watches files; ``settings`` override the defaults."""
    with MockServer(Settings(**{"port": 0, "reload": False, **settings})) as server:
        yield server


def new_upstream(folder: Path) -> MockServer:
    """The stand-in for real Clarifai: seeded, scripted, and accepting only ``REAL_PAT``."""
    path = folder / "upstream.json"
    path.write_text(json.dumps(UPSTREAM_FIXTURES), "utf-8")
    return MockServer(Settings(port=0, reload=False, seed=1, fixtures=[path], pats=[REAL_PAT]))


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    with new_upstream(tmp_path_factory.mktemp("upstream")) as server:
        yield server


def recorder_server(upstream: MockServer, folder: Path, mode: RecordMode = RecordMode.ALL) -> MockServer:
    return MockServer(
        Settings(
            port=0, reload=False, record_mode=mode, upstream=upstream.base_url, record_dir=folder, upstream_pat=REAL_PAT
        )
    )


def sdk(server: MockServer, pat: str = f"{DUMMY_PAT_PREFIX}-tests") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=pat, max_retries=0)


def raw_http(server: MockServer, pat: str = DUMMY_PAT_PREFIX) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/", headers={"Authorization": f"Bearer {pat}"}, timeout=10)


def ask(text: str, stream: bool = False) -> dict[str, Any]:
    return {"model": GPT4O, "messages": [{"role": "user", "content": text}], "stream": stream}


# --- the session that is recorded and replayed ------------------------------------------------------------------------


@dataclass
class Session:
    """What a client saw: every chunk of both tool-flow turns, and the plain completion."""

    ask_chunks: list[dict[str, Any]]
    answer_chunks: list[dict[str, Any]]
    plain: dict[str, Any]


def _chunks(client: openai.OpenAI, messages: list[ChatCompletionMessageParam]) -> list[ChatCompletionChunk]:
    with client.chat.completions.create(model=GPT4O, messages=messages, tools=[WEATHER_TOOL], stream=True) as stream:
        return list(stream)


def _tool_turn(chunks: list[ChatCompletionChunk]) -> list[ChatCompletionMessageParam]:
    """The assistant tool-call message the chunks add up to, plus a tool result for each call."""
    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for piece in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(
                piece.index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}}
            )
            call["id"] = call["id"] or piece.id or ""
            if piece.function is not None:
                call["function"]["name"] += piece.function.name or ""
                call["function"]["arguments"] += piece.function.arguments or ""
    assistant: Any = {"role": "assistant", "content": None, "tool_calls": list(calls.values())}
    results: list[Any] = [
        {"role": "tool", "tool_call_id": c["id"], "content": '{"celsius": 18}'} for c in calls.values()
    ]
    return [assistant, *results]


def run_session(client: openai.OpenAI) -> Session:
    ask_chunks = _chunks(client, ASK_WEATHER)
    answer_chunks = _chunks(client, [*ASK_WEATHER, *_tool_turn(ask_chunks)])
    plain = client.chat.completions.create(model=GPT4O, messages=PLAIN)
    return Session(
        [c.model_dump() for c in ask_chunks],
        [c.model_dump() for c in answer_chunks],
        plain.model_dump(exclude={"id", "created"}),
    )


def text_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


def arguments_of(chunks: list[dict[str, Any]]) -> str:
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    return "".join(call["function"]["arguments"] or "" for d in deltas for call in d.get("tool_calls") or [])


# --- 1. record a session, replay it with the upstream stopped ---------------------------------------------------------


def test_replay_with_the_upstream_stopped_gives_the_sdk_the_same_session(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    with new_upstream(tmp_path) as upstream, recorder_server(upstream, recordings) as recorder, sdk(recorder) as client:
        recorded = run_session(client)
    assert json.loads(arguments_of(recorded.ask_chunks)) == {"location": "Paris, France"}
    assert text_of(recorded.answer_chunks) == "It is 18 degrees and sunny in Paris."
    assert len(load_fixture_files([recordings]).entries) == 3, "an ordinary fixture folder"

    with serving(record_dir=recordings, replay_speed=0) as replay, sdk(replay) as client:
        replayed = run_session(client)
        with client.chat.completions.create(model=GPT4O, messages=PLAIN, stream=True) as streamed_plain:
            plain_text = "".join(c.choices[0].delta.content or "" for c in streamed_plain if c.choices)
        first = client.chat.completions.create(model=GPT4O, messages=ASK_WEATHER, tools=[WEATHER_TOOL])
        with pytest.raises(openai.NotFoundError) as missed:
            client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "Say hello!"}])

    assert replayed.ask_chunks == recorded.ask_chunks, "same chunks: boundaries, deltas, ids, usage"
    assert replayed.answer_chunks == recorded.answer_chunks
    assert replayed.plain == recorded.plain, "same content, finish reason and usage"
    assert plain_text == recorded.plain["choices"][0]["message"]["content"], "stream-agnostic: replayed as a stream"
    [call] = first.choices[0].message.tool_calls or []
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    streamed_call = recorded.ask_chunks[0]["choices"][0]["delta"]["tool_calls"][0]
    assert (call.id, call.function.name) == (streamed_call["id"], "get_weather")
    assert json.loads(call.function.arguments) == {"location": "Paris, France"}
    assert first.usage is not None
    assert first.usage.model_dump() == recorded.ask_chunks[-1]["usage"]
    body: Any = missed.value.body
    details = body["status"]["details"]
    assert re.search(
        r"'recording\.say-hello-[0-9a-f]{8}' \(.*recording\.yaml\): user: wants equals 'Say hello'", details
    )


# --- 2. re-recording gives a clean diff -------------------------------------------------------------------------------


def strip_timing(text: str) -> str:
    return re.sub(r"t_ms: [0-9.]+", "t_ms: _", text)


def test_recording_the_same_session_twice_writes_the_same_file(upstream: MockServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    texts = []
    for _ in range(2):
        with recorder_server(upstream, recordings) as recorder, sdk(recorder) as client:
            run_session(client)
        texts.append((recordings / DEFAULT_FILE).read_text("utf-8"))
    assert "t_ms: " in texts[0]
    assert strip_timing(texts[0]) == strip_timing(texts[1])
    names = [entry.name for entry in load_file(recordings / DEFAULT_FILE)]
    assert names == [n for n in names if re.fullmatch(r"recording\.[a-z0-9-]+-[0-9a-f]{8}", n)]


# --- 3. timing: recorded gaps replayed at speed 1, none at speed 0 ----------------------------------------------------


def frame_times(server: MockServer, body: dict[str, Any]) -> list[tuple[float, str]]:
    """Each SSE payload with its arrival time (ms since the request was sent), read raw as it streams in."""
    pieces = []
    with raw_http(server) as http:
        started = time.perf_counter()
        with http.stream("POST", "chat/completions", json=body) as response:
            for chunk in response.iter_raw():
                pieces.append(((time.perf_counter() - started) * 1000, chunk))
    return Exchange(200, {}, pieces).timed_payloads()


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_replay_speed_1_reproduces_the_recorded_gaps_and_0_removes_them(upstream: MockServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    with recorder_server(upstream, recordings) as recorder:
        live = frame_times(recorder, ask("Count slowly", stream=True))
    assert live[-1][0] - live[0][0] > 60, "frames reach the client as the upstream sends them, not at the end"
    [entry] = load_file(recordings / DEFAULT_FILE)
    frames = entry.fixture.reply_for(0).frames or []
    recorded = [frame.t_ms for frame in frames]
    assert [data for _, data in live] == [frame.data for frame in frames], "byte-faithful payloads"

    with serving(record_dir=recordings, replay_speed=1) as replay:
        as_recorded = frame_times(replay, ask("Count slowly", stream=True))
    with serving(record_dir=recordings, replay_speed=0) as replay:
        instant = frame_times(replay, ask("Count slowly", stream=True))

    assert [data for _, data in as_recorded] == [frame.data for frame in frames]
    for replayed_gap, recorded_gap in zip(gaps([t for t, _ in as_recorded]), gaps(recorded), strict=True):
        assert abs(replayed_gap - recorded_gap) <= 15, (gaps([t for t, _ in as_recorded]), gaps(recorded))
    assert instant[-1][0] < recorded[-1] / 2, "speed 0: no recorded delays"


# --- 4. errors and secrets --------------------------------------------------------------------------------------------


def all_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_upstream_errors_and_secrets_are_recorded_safely_and_replayed(upstream: MockServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    echo = f"echo my PAT {REAL_PAT} please"
    with recorder_server(upstream, recordings) as recorder, raw_http(recorder, WRONG_PAT) as wrong:
        unauthorized = wrong.post("chat/completions", json=ask("Say hello"))
        with raw_http(recorder) as dummy, raw_http(recorder, REAL_PAT) as real:
            limited = dummy.post("chat/completions", json=ask("Too fast"))
            echoed = real.post("chat/completions", json=ask(echo, stream=True))
            journaled = [entry.status for entry in recorder.context.journal.entries()]
    assert (unauthorized.status_code, limited.status_code, echoed.status_code) == (401, 429, 200)
    assert journaled == [401, 429, 200], "a forwarded answer is journaled with the upstream's status"
    assert limited.headers["retry-after"] == "2"
    assert REAL_PAT in echoed.text, "the live answer is passed through untouched"

    stored = all_bytes(recordings)
    for secret in (REAL_PAT, SK, WRONG_PAT):
        assert secret.encode() not in stored
    [_, _, leaky] = load_file(recordings / DEFAULT_FILE)
    reply = leaky.fixture.reply_for(0)
    assert reply.content == f"Key {PLACEHOLDER}; you said: echo my PAT {PLACEHOLDER} please"
    assert leaky.fixture.match.user is not None
    assert leaky.fixture.match.user.normalize == ["secrets"]

    with serving(record_dir=recordings, replay_speed=0) as replay, raw_http(replay) as http:
        replayed_401 = http.post("chat/completions", json=ask("Say hello"))
        replayed_429 = http.post("chat/completions", json=ask("Too fast"))
        replayed_echo = http.post("chat/completions", json=ask(echo))
    assert (replayed_401.status_code, replayed_401.json()) == (401, unauthorized.json()), "status and body as received"
    assert (replayed_429.status_code, replayed_429.json()) == (429, limited.json())
    assert replayed_429.headers["retry-after"] == "2"
    assert replayed_echo.json()["choices"][0]["message"]["content"] == reply.content, "a live secret still matches"


# --- 5. new_episodes appends what is missing; once replays an existing file -------------------------------------------


def test_new_episodes_records_only_what_is_missing(upstream: MockServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    path = recordings / DEFAULT_FILE
    with recorder_server(upstream, recordings, RecordMode.NEW_EPISODES) as recorder, raw_http(recorder) as http:
        first = http.post("chat/completions", json=ask("Say hello"))
        again = http.post("chat/completions", json=ask("Say hello"))
    assert RECORDED_HEADER in first.headers
    assert RECORDED_HEADER not in again.headers, "recorded once, then replayed"
    [hello] = load_file(path)

    with recorder_server(upstream, recordings, RecordMode.NEW_EPISODES) as recorder, raw_http(recorder) as http:
        replayed = http.post("chat/completions", json=ask("Say hello"))
        added = http.post("chat/completions", json=ask("Count slowly"))
    assert replayed.headers["x-mock-fixture"] == hello.name
    assert RECORDED_HEADER not in replayed.headers
    assert RECORDED_HEADER in added.headers
    entries = load_file(path)
    assert next(e.fixture for e in entries) == hello.fixture, "existing recordings are kept as they were"
    assert len(entries) == 2

    with recorder_server(upstream, recordings, RecordMode.ONCE) as recorder, raw_http(recorder) as http:
        missing = http.post("chat/completions", json=ask("Too fast"))
    assert missing.status_code == 404, "once + an existing file = replay only"
    assert len(load_file(path)) == 2
    assert Recorder(tmp_path / "absent.yaml", RecordMode.ONCE).mode is RecordMode.NEW_EPISODES


# --- 6. concurrency, models, and a crash mid-recording ----------------------------------------------------------------


async def _ask_all(base_url: str, questions: list[str]) -> list[str]:
    headers = {"Authorization": f"Bearer {DUMMY_PAT_PREFIX}"}
    async with httpx.AsyncClient(base_url=base_url + "/", headers=headers, timeout=10) as http:
        replies = await asyncio.gather(*(http.post("chat/completions", json=ask(q, stream=True)) for q in questions))
    payloads = [[data for _, data in Exchange(200, {}, [(0.0, r.content)]).timed_payloads()] for r in replies]
    return [collapse_chunks(each).content or "" for each in payloads]


def test_concurrent_streams_are_recorded_without_interleaving(upstream: MockServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    questions = [f"question {i}" for i in range(6)]
    with recorder_server(upstream, recordings) as recorder:
        answers = asyncio.run(_ask_all(recorder.base_url, questions))
    assert len(set(answers)) == len(questions)
    entries = load_file(recordings / DEFAULT_FILE)
    assert len(entries) == len(questions)
    for entry in entries:
        reply = entry.fixture.reply_for(0)
        assert entry.fixture.match.user is not None
        asked = entry.fixture.match.user.equals
        assert reply.content == answers[questions.index(str(asked))]
        assert collapse_chunks(f.data for f in reply.frames or []).content == reply.content
        assert len({json.loads(f.data)["id"] for f in reply.frames or [] if f.data != "[DONE]"}) == 1


def test_models_pass_through_while_recording(upstream: MockServer, tmp_path: Path) -> None:
    with recorder_server(upstream, tmp_path / "recordings") as recorder, raw_http(recorder) as http:
        models = http.get("models")
        one = http.get("models/gpt-4o")
        encoded = http.get("models/openai%2Fchat-completion%2Fmodels%2Fgpt-4o")
        with raw_http(recorder, WRONG_PAT) as wrong:
            refused = wrong.get("models")
    assert GPT4O in [model["id"] for model in models.json()["data"]]
    assert one.json()["id"] == encoded.json()["id"] == GPT4O
    assert refused.status_code == 401, "the upstream (which only knows REAL_PAT) answered, not the local catalog"
    assert not (tmp_path / "recordings").exists(), "listings are passed through, not recorded"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _wait_until_serving(process: subprocess.Popen[bytes]) -> None:
    assert process.stderr is not None
    watchdog = threading.Timer(15, process.kill)
    watchdog.start()
    try:
        for line in process.stderr:
            if line.startswith(b"clarifai-mock recording on http://"):  # printed once the port is bound
                return
    finally:
        watchdog.cancel()
    pytest.fail(f"the recorder exited with {process.wait()} before serving")


def test_kill_9_mid_stream_leaves_earlier_recordings_intact(upstream: MockServer, tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_")} | {"CLARIFAI_PAT": REAL_PAT}
    argv = [sys.executable, "-m", "mockserver", "serve", "--record-mode", "all", "--upstream", upstream.base_url]
    argv += ["--record-dir", str(recordings), "--port", str(port), "--no-reload", "--log-level", "info"]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_serving(process)
        base = f"http://127.0.0.1:{port}/v2/ext/openai/v1/"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {DUMMY_PAT_PREFIX}"}, timeout=10) as http:
            assert http.post("chat/completions", json=ask("Say hello")).status_code == 200
            assert http.post("chat/completions", json=ask("Count slowly", stream=True)).status_code == 200
            with http.stream("POST", "chat/completions", json=ask("Take your time", stream=True)) as slow:
                next(slow.iter_raw())
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
    entries = load_fixture_files([recordings]).entries
    assert [entry.fixture.match.user.equals for entry in entries if entry.fixture.match.user] == [
        "Say hello",
        "Count slowly",
    ]
    assert REAL_PAT.encode() not in all_bytes(recordings)


# --- 7. the command line ---------------------------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The settings each command would serve with; no server starts and no ``CLARIFAI_*`` env leaks in."""
    for name in [n for n in os.environ if n.startswith("CLARIFAI_")]:
        monkeypatch.delenv(name)
    calls: list[Settings] = []
    monkeypatch.setattr(cli, "run_server", calls.append)
    return calls


def test_record_command_is_serve_in_a_record_mode(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_PAT", REAL_PAT)
    result = CliRunner().invoke(cli.main, ["record", "--out", "recs", "--normalize", r"ORD-\d+"])
    assert result.exit_code == 0, result.output
    [settings] = served
    assert (settings.record_mode, settings.record_dir, settings.upstream) == (
        RecordMode.NEW_EPISODES,
        Path("recs"),
        "https://api.clarifai.com/v2/ext/openai/v1",
    )
    assert settings.normalize_patterns == [r"ORD-\d+"]
    assert settings.upstream_pat is not None
    assert settings.upstream_pat.get_secret_value() == REAL_PAT
    assert REAL_PAT not in result.output + repr(settings)


def test_serve_record_flags(served: list[Settings]) -> None:
    args = ["serve", "--record-mode", "all", "--upstream", "http://up:9/v1/", "--record-dir", "r.yaml"]
    result = CliRunner().invoke(cli.main, [*args, "--replay-speed", "0"])
    assert result.exit_code == 0, result.output
    [settings] = served
    assert (settings.record_mode, settings.upstream, settings.record_dir, settings.replay_speed) == (
        RecordMode.ALL,
        "http://up:9/v1",
        Path("r.yaml"),
        0.0,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--record-mode", "new_episodes"], "needs record_dir"),
        (["--upstream", "api.clarifai.com"], "expected an http(s) URL"),
        (["--replay-speed", "-1"], "replay_speed"),
        (["--normalize", "("], "invalid regex"),
    ],
)
def test_bad_record_settings_are_usage_errors(served: list[Settings], args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli.main, ["serve", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert served == []


def test_the_dummy_pat_needs_clarifai_pat_and_is_never_forwarded() -> None:
    assert pat_for_upstream("caller-own-pat", REAL_PAT) == "caller-own-pat"
    assert pat_for_upstream(f"{DUMMY_PAT_PREFIX}-ci", REAL_PAT) == REAL_PAT
    with pytest.raises(ApiError) as refused:
        pat_for_upstream(DUMMY_PAT_PREFIX, None)
    assert (refused.value.status, refused.value.code) == (401, 11009)
    assert "CLARIFAI_PAT" in refused.value.details
