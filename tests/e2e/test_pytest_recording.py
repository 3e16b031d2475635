"""Recording in pytest: ``@pytest.mark.clarifai_mock(record=True)`` records a test's traffic next to the test file
and replays it afterwards, driven by ``--clarifai-mock-record-mode``.

One generated project goes through the workflow a user follows, in three subprocess runs: record (``once``) against
an upstream that is a second, seeded ``MockServer``; replay (the default ``none``) with that upstream not started;
add a new request (``new_episodes``). Which runs start the upstream and which tests ask more is set by environment
variables the generated conftest and tests read.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path

import pytest

from mockserver import MockServer, Recorder, RecordMode, TextMatch
from mockserver.fixtures.files import load_file, load_fixture_files
from mockserver.journal import JournalEntry
from mockserver.pytest_plugin import RECORD_MODES
from mockserver.testing.recording import (
    default_recording,
    recording_path,
    recording_problems,
    sanitize,
    start_recording,
)

pytest_plugins = ["pytester"]

UPSTREAM_PAT = secrets.token_hex(16)  # shaped like a Clarifai PAT; the upstream accepts only it

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
"""

UPSTREAM_FIXTURES = """
version: 1
fixtures:
  - {name: hello, match: {user: {equals: Say hello}}, reply: {content: Hello from upstream!}}
  - {name: again, match: {user: {equals: Say hello again}}, reply: {content: Hello again from upstream!}}
  - {name: count, match: {user: {equals: Count to three}}, reply: {content: one two three}}
  - {name: echo, match: {user: echo}, reply: {content: "You said: {{ last_user }}"}}
"""

CONFTEST = """
import os
from pathlib import Path

import pytest

from mockserver.config import Settings
from mockserver.server import MockServer


@pytest.fixture(scope="session")
def upstream_url():
    if os.environ.get("UPSTREAM") == "off":
        yield "http://127.0.0.1:1/v2/ext/openai/v1"  # nothing listens here: a forwarded request would fail
        return
    fixtures = [Path(__file__).parent / "upstream.yaml"]
    settings = Settings(port=0, reload=False, seed=1, fixtures=fixtures, pats=[os.environ["CLARIFAI_PAT"]])
    with MockServer(settings) as upstream:
        yield upstream.base_url


@pytest.fixture(scope="session")
def clarifai_mock_settings(clarifai_mock_settings, upstream_url):
    return clarifai_mock_settings.model_copy(update={"upstream": upstream_url})
"""

RECORDED = """
import json
import os
from pathlib import Path

import pytest

GPT4O = "openai/chat-completion/models/gpt-4o"
HERE = Path(__file__).parent


def ask(client, text, **extra):
    return client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": text}], **extra)


def recorder_path(clarifai_mock):
    recorder = clarifai_mock.server.context.recorder
    return recorder.path if recorder is not None else None


def same_as_first_run(name, value):
    seen = HERE / "seen" / f"{name}.json"
    if seen.exists():
        assert json.loads(seen.read_text("utf-8")) == value
    else:
        seen.parent.mkdir(exist_ok=True)
        seen.write_text(json.dumps(value), "utf-8")


def test_replays_need_no_delays(clarifai_mock_settings):
    assert clarifai_mock_settings.replay_speed == 0


@pytest.mark.clarifai_mock(record=True)
def test_plain_and_streamed(clarifai_mock):
    assert recorder_path(clarifai_mock) == HERE / "recordings" / "test_recorded" / "test_plain_and_streamed.yaml"
    client = clarifai_mock.client()
    plain = ask(client, "Say hello")
    chunks = [chunk.model_dump(mode="json") for chunk in ask(client, "Count to three", stream=True)]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert (plain.choices[0].message.content, text) == ("Hello from upstream!", "one two three")
    assert [(e.status, e.stream) for e in clarifai_mock.journal] == [(200, False), (200, True)]
    # A replayed stream is the recorded one byte for byte: ids, created, usage chunk and all.
    same_as_first_run("plain", [plain.choices[0].message.content, plain.usage.total_tokens])
    same_as_first_run("stream", chunks)


@pytest.mark.clarifai_mock(record=True)
@pytest.mark.parametrize("city", ["Paris", "New York"])
def test_parametrised(clarifai_mock, city):
    assert recorder_path(clarifai_mock).name == f"test_parametrised_{city.replace(' ', '_')}_.yaml"
    assert ask(clarifai_mock.client(), f"echo {city}").choices[0].message.content == f"You said: echo {city}"


class TestGroup:
    @pytest.mark.clarifai_mock(record=True)
    def test_in_a_class(self, clarifai_mock):
        assert recorder_path(clarifai_mock).name == "TestGroup.test_in_a_class.yaml"
        assert ask(clarifai_mock.client(), "echo class").choices[0].message.content == "You said: echo class"


@pytest.mark.clarifai_mock(record="chosen/file.json")
def test_a_chosen_file(clarifai_mock):
    assert recorder_path(clarifai_mock) == HERE / "chosen" / "file.json"
    assert ask(clarifai_mock.client(), "echo json").choices[0].message.content == "You said: echo json"


def test_unmarked_tests_neither_record_nor_replay(clarifai_mock):
    assert recorder_path(clarifai_mock) is None
    clarifai_mock.add_fixture(match={"user": "Say hello"}, reply={"content": "from this test"})
    assert ask(clarifai_mock.client(), "Say hello").choices[0].message.content == "from this test"


@pytest.mark.clarifai_mock(record=True)
def test_grows(clarifai_mock):
    client = clarifai_mock.client()
    assert ask(client, "Say hello").choices[0].message.content == "Hello from upstream!"
    if os.environ.get("ASK_MORE"):
        assert ask(client, "Say hello again").choices[0].message.content == "Hello again from upstream!"
"""

PROBLEMS = """
import pytest

GPT4O = "openai/chat-completion/models/gpt-4o"


@pytest.mark.clarifai_mock(record="blocker/cannot.yaml")
def test_an_unwritable_recording_fails_at_teardown(clarifai_mock):
    messages = [{"role": "user", "content": "Say hello"}]
    reply = clarifai_mock.client().chat.completions.create(model=GPT4O, messages=messages)
    assert reply.choices[0].message.content == "Hello from upstream!"  # the client still gets its answer


@pytest.mark.clarifai_mock(record=42)
def test_a_bad_record_value_is_reported(clarifai_mock):
    pass
"""


def recordings(root: Path) -> dict[str, str]:
    """Every recording file under ``root`` (relative path → text)."""
    files = [*root.glob("recordings/**/*.yaml"), *root.glob("chosen/*.json")]
    return {path.relative_to(root).as_posix(): path.read_text("utf-8") for path in files}


def record(project: pytest.Pytester) -> dict[str, str]:
    """Run 1: no recording exists, so ``once`` forwards everything upstream and writes it next to the tests."""
    result = project.runpytest_subprocess("--clarifai-mock-record-mode=once", "-rE")
    result.assert_outcomes(passed=9, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_an_unwritable_recording_fails_at_teardown*",
            "1 exchange(s) of this test were not recorded in */blocker/cannot.yaml:",
            "  cannot.say-hello-*: not recorded: *",
            "*ERROR at setup of test_a_bad_record_value_is_reported*",
            "@pytest.mark.clarifai_mock on test_problems.py::test_a_bad_record_value_is_reported: "
            "record must be True, False or a recording file path, not 42",
        ]
    )
    files = recordings(project.path)
    assert sorted(files) == [
        "chosen/file.json",
        "recordings/test_recorded/TestGroup.test_in_a_class.yaml",
        "recordings/test_recorded/test_grows.yaml",
        "recordings/test_recorded/test_parametrised_New_York_.yaml",
        "recordings/test_recorded/test_parametrised_Paris_.yaml",
        "recordings/test_recorded/test_plain_and_streamed.yaml",
    ]
    assert not any(UPSTREAM_PAT in text for text in files.values())
    loaded = load_fixture_files([project.path / "recordings", project.path / "chosen"])
    assert len(loaded.entries) == 7  # test_plain_and_streamed holds two
    both = load_file(project.path / "recordings/test_recorded/test_plain_and_streamed.yaml")
    assert [(e.fixture.match.user, e.fixture.reply and bool(e.fixture.reply.frames)) for e in both] == [
        (TextMatch(equals="Say hello"), False),
        (TextMatch(equals="Count to three"), True),
    ]
    return files


def replay_offline(project: pytest.Pytester) -> None:
    """Run 2: the default mode ``none`` with no upstream; test_grows now asks something that was not recorded."""
    result = project.runpytest_subprocess("test_recorded.py", "-rE")
    result.assert_outcomes(passed=7, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_grows*",
            "1 request(s) of this test matched no fixture (strict mode):",
            "*last user message 'Say hello again'",
            "    No fixture matched this request. Closest:",
            "      - 'test_grows.say-hello-*' (*test_grows.yaml): user: wants equals 'Say hello', got 'Say hello *",
            "This test replays */recordings/test_recorded/test_grows.yaml (record mode none), which lacks the "
            "request(s) above. Add them with --clarifai-mock-record-mode=new_episodes, *",
            "*_ test_grows _*",
            "E * openai.NotFoundError: Error code: 404*",
        ]
    )


def test_record_replay_and_append_in_a_user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_PAT", UPSTREAM_PAT)
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makefile(".yaml", upstream=UPSTREAM_FIXTURES)
    pytester.makepyfile(test_recorded=RECORDED, test_problems=PROBLEMS)
    (pytester.path / "blocker").write_text("a file where the recording's folder should be", "utf-8")
    first = record(pytester)

    # Every recorded test passes on its recording alone (streams byte for byte: the tests compare with run 1).
    monkeypatch.setenv("UPSTREAM", "off")
    monkeypatch.setenv("ASK_MORE", "1")
    replay_offline(pytester)
    assert recordings(pytester.path) == first

    # Run 3: `new_episodes` replays what is recorded and appends only the new request to test_grows's recording.
    monkeypatch.delenv("UPSTREAM")
    pytester.runpytest_subprocess("test_recorded.py", "--clarifai-mock-record-mode", "new_episodes").assert_outcomes(
        passed=8
    )
    after = recordings(pytester.path)
    grows = "recordings/test_recorded/test_grows.yaml"
    assert after[grows].startswith(first[grows])
    assert [entry.fixture.match.user for entry in load_file(pytester.path / grows)] == [
        TextMatch(equals="Say hello"),
        TextMatch(equals="Say hello again"),
    ]
    assert {name: text for name, text in after.items() if name != grows} == {
        name: text for name, text in first.items() if name != grows
    }


def test_recording_file_names() -> None:
    test_file = Path("/project/tests/test_chat.py")
    assert sanitize("test_x[a-1/b c:ü]") == "test_x_a-1_b_c___"
    assert sanitize("TestGroup.test_ok.v2") == "TestGroup.test_ok.v2"
    assert default_recording(test_file, "test_x[gpt-4o]") == Path(
        "/project/tests/recordings/test_chat/test_x_gpt-4o_.yaml"
    )
    assert default_recording(test_file, "test_y", "TestGroup") == Path(
        "/project/tests/recordings/test_chat/TestGroup.test_y.yaml"
    )
    assert recording_path(True, test_file, "test_z") == Path("/project/tests/recordings/test_chat/test_z.yaml")
    assert recording_path("data/z.json", test_file, "test_z") == Path("/project/tests/data/z.json")
    assert recording_path(Path("/elsewhere/z.yml"), test_file, "test_z") == Path("/elsewhere/z.yml")
    assert recording_path(False, test_file, "test_z") is None
    assert recording_path(None, test_file, "test_z") is None


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (1, "record must be True, False or a recording file path, not 1"),
        ("", "record must be True, False or a recording file path, not ''"),
        ("notes.txt", "record='notes.txt': a recording file name ends in .yaml, .yml, .json"),
    ],
)
def test_bad_record_values(record: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        recording_path(record, Path("/project/test_a.py"), "test_a")


def test_record_mode_choices_are_the_record_modes() -> None:
    assert tuple(mode.value for mode in RecordMode) == RECORD_MODES


def test_a_recorder_is_installed_for_the_block_only(server: MockServer, tmp_path: Path) -> None:
    before = server.context.recorder
    with contextlib.ExitStack() as stack:
        recorder = start_recording(stack, server, tmp_path / "r.yaml", RecordMode.ONCE, "http://127.0.0.1:1/v1/")
        assert server.context.recorder is recorder
        assert (recorder.upstream, recorder.mode) == ("http://127.0.0.1:1/v1", RecordMode.NEW_EPISODES)
    assert server.context.recorder is before
    with contextlib.ExitStack() as stack:
        assert start_recording(stack, server, tmp_path / "r.yaml", RecordMode.NONE).upstream == server.settings.upstream


def test_teardown_problems_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    miss = JournalEntry(endpoint="chat.completions", near_miss="No fixture matched this request.", status=404)
    not_chat = JournalEntry(endpoint="embeddings", near_miss="No fixture matched this request.", status=404)
    replaying = Recorder(path, RecordMode.NONE)
    assert recording_problems(replaying, [not_chat]) == []
    assert recording_problems(replaying, [miss]) == [
        f"The recording {path} does not exist (record mode none). Record it against the upstream with "
        "--clarifai-mock-record-mode=once (the PAT sent upstream comes from CLARIFAI_PAT), then commit it."
    ]
    forwarding = Recorder(path, RecordMode.NEW_EPISODES)
    forwarding.problems.append("r.x-1a2b3c4d: not recorded: disk full")
    assert recording_problems(forwarding, [miss]) == [
        f"1 exchange(s) of this test were not recorded in {path}:\n  r.x-1a2b3c4d: not recorded: disk full"
    ]


def test_the_options_are_listed_and_checked(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help").stdout.str()
    assert "--clarifai-mock-record-mode={none,once,new_episodes,all}" in help_text
    assert "--clarifai-mock-upstream=URL" in help_text
    result = pytester.runpytest("--clarifai-mock-upstream=api.clarifai.com")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--clarifai-mock-upstream: expected an http(s) URL, got 'api.clarifai.com'"])
