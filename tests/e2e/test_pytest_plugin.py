"""The pytest plugin seen from a user's project: generated test suites run by pytester in a subprocess.

A subprocess is used because a run starts real mock servers and configures uvicorn's logging, which an in-process
run would share with this suite. Each run holds several generated tests, so there are only a few runs. The example
project of docs/pytest.md is extracted and run too, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PYTEST_PAGE = Path(__file__).resolve().parents[2] / "docs" / "pytest.md"
FILE_HEADER = re.compile(r"^# ([\w./-]+\.(?:py|ya?ml|json))\n")

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
"""

COMMON = """
GPT4O = "openai/chat-completion/models/gpt-4o"
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = [{"type": "function", "function": {"name": "get_weather", "parameters": CITY}}]


def ask(client, text="hello", **extra):
    return client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": text}], **extra)
"""

SHARED_FIXTURES = """
version: 1
fixtures:
  - name: shared-ping
    match: {user: ping}
    sequence: [{content: pong}, {content: pong again}]
"""

MARKER_FIXTURES = """
version: 1
fixtures:
  - name: marker-weather
    match: {user: weather}
    reply: {tool_calls: [{name: get_weather, arguments: {city: Quito}}]}
  - name: marker-unused
    match: {user: never asked}
    reply: {content: unused}
"""

BEHAVIOUR = f"""
import asyncio
import os

import openai
import pytest
{COMMON}

def test_option_fixtures_are_shared_and_count_per_test(clarifai_mock):
    assert ask(clarifai_mock.client(), "ping").choices[0].message.content == "pong"
    clarifai_mock.assert_called("shared-ping", times=1)


def test_code_reading_the_environment_lands_in_this_test(clarifai_mock, monkeypatch):
    for name, value in clarifai_mock.env().items():
        monkeypatch.setenv(name, value)
    clarifai_mock.add_fixture(match={{"user": "hello"}}, reply={{"content": "Hi!"}})
    # No namespace header and SDK defaults (retries on): only the PAT ties this client to the test.
    with openai.OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["CLARIFAI_PAT"]) as own:
        assert ask(own).choices[0].message.content == "Hi!"
    assert [(e.namespace, e.status) for e in clarifai_mock.journal] == [(clarifai_mock.namespace, 200)]
    assert os.environ["CLARIFAI_API_BASE"] + "/v2/ext/openai/v1" == os.environ["OPENAI_BASE_URL"]


def test_async_streaming(clarifai_mock):
    clarifai_mock.add_fixture(match={{}}, reply={{"content": "one two three"}})

    async def main():
        async with clarifai_mock.async_client() as client:
            stream = await ask(client, stream=True)
            return [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]

    assert "".join(asyncio.run(main())) == "one two three"
    assert clarifai_mock.streamed()


@pytest.mark.clarifai_mock(fixtures=["data/marker.yaml"])
def test_marker_fixtures_load_relative_to_the_test_file(clarifai_mock):
    reply = ask(clarifai_mock.client(), "weather", tools=WEATHER)
    assert reply.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert clarifai_mock.tool_calls() == ["get_weather"]


@pytest.mark.clarifai_mock(error_style="openai")
def test_error_style_per_test(clarifai_mock):
    clarifai_mock.add_fixture(match={{}}, reply={{"error": {{"status": 401, "message": "bad key"}}}})
    with pytest.raises(openai.AuthenticationError) as caught:
        ask(clarifai_mock.client())
    assert caught.value.body == {{"message": "bad key", "type": "authentication_error", "param": None, "code": None}}


def test_an_unscripted_request_fails_at_teardown(clarifai_mock):
    clarifai_mock.add_fixture(name="greeting", match={{"user": "hello"}}, reply={{"content": "Hi!"}})
    with pytest.raises(openai.NotFoundError):
        ask(clarifai_mock.client(), "what is the capital of France")


@pytest.mark.clarifai_mock(fixtures=["data/marker.yaml"], strict=True)
def test_a_strict_marker_lists_unused_fixtures(clarifai_mock):
    ask(clarifai_mock.client(), "weather", tools=WEATHER)


@pytest.mark.clarifai_mock(fixtures="data/marker.yaml", strct=True)
def test_a_misspelt_marker_keyword_is_reported(clarifai_mock):
    pass


@pytest.mark.clarifai_mock(fixtures="data/bad.yaml")
def test_an_invalid_marker_fixture_file_is_reported(clarifai_mock):
    pass
"""

NOT_STRICT = f"""
import openai
import pytest
{COMMON}

def test_an_unscripted_request_gets_a_generated_reply(clarifai_mock):
    assert ask(clarifai_mock.client(), "tell me a story").choices[0].message.content
    assert [(e.generated, e.status) for e in clarifai_mock.journal] == [(True, 200)]


@pytest.mark.clarifai_mock(strict=True)
def test_the_marker_beats_the_option(clarifai_mock):
    with pytest.raises(openai.NotFoundError):
        ask(clarifai_mock.client(), "tell me a story")
"""

ISOLATION = f"""
import os

import pytest
{COMMON}

@pytest.mark.parametrize("n", range(8))
def test_isolated(clarifai_mock, n):
    clarifai_mock.add_fixture(name="counter", match={{"user": "count"}}, sequence=[{{"content": "first"}}, {{}}])
    client = clarifai_mock.client()
    # Same fixture names and the same requests in every test: any shared state would show as a "second" reply.
    assert ask(client, "count").choices[0].message.content == "first"
    assert ask(client, "ping").choices[0].message.content == "pong"
    assert [e.fixture for e in clarifai_mock.journal] == ["counter", "shared-ping"]
    assert {{e.namespace for e in clarifai_mock.journal}} == {{clarifai_mock.namespace}}
    assert (clarifai_mock.calls("counter"), clarifai_mock.calls("shared-ping")) == (1, 1)
    assert clarifai_mock.usage.requests == 2
    with open(os.environ["PORTS_FILE"], "a") as out:
        out.write(f"{{os.environ.get('PYTEST_XDIST_WORKER', 'main')}} {{clarifai_mock.server.port}}\\n")
"""


def readme_files() -> dict[str, str]:
    """The example project of docs/pytest.md: fenced blocks whose first line is ``# <path>``."""
    text = PYTEST_PAGE.read_text("utf-8")
    files = {}
    for block in re.findall(r"```\w*\n(.*?)```", text, flags=re.DOTALL):
        header = FILE_HEADER.match(block)
        if header:
            files[header.group(1)] = block
    return files


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user project: an ini with ``filterwarnings = error`` and the shared fixture file."""
    pytester.makeini(INI)
    pytester.makefile(".yaml", shared=SHARED_FIXTURES)
    return pytester


def test_readme_example_and_plugin_behaviour(project: pytest.Pytester) -> None:
    files = readme_files()
    assert {"app.py", "test_app.py", "test_files.py", "fixtures/weather.yaml", "conftest.py"} <= set(files)
    for name, text in files.items():
        path = project.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    # Listing the plugin again, though its entry point already loaded it, must not crash.
    with (project.path / "conftest.py").open("a", encoding="utf-8") as conftest:
        conftest.write('\npytest_plugins = ["mockserver.pytest_plugin"]\n')
    (project.path / "data").mkdir()
    (project.path / "data" / "marker.yaml").write_text(MARKER_FIXTURES, "utf-8")
    (project.path / "data" / "bad.yaml").write_text("version: 1\nfixtures:\n  - match: {usr: x}\n    reply: {}\n")
    project.makepyfile(test_behaviour=BEHAVIOUR)

    result = project.runpytest_subprocess("--clarifai-mock-fixtures", "shared.yaml", "-rE")

    # A test that errors at teardown has passed its call, so it counts in both.
    result.assert_outcomes(passed=12, errors=4)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_an_unscripted_request_fails_at_teardown*",
            "1 request(s) of this test matched no fixture (strict mode):",
            "  POST /v2/ext/openai/v1/chat/completions model=openai/chat-completion/models/gpt-4o, "
            "last user message 'what is the capital of France'",
            "    No fixture matched this request. Closest:",
            "      - 'greeting' (runtime): user: *",
            "Script a reply with clarifai_mock.add_fixture(*",
            "*ERROR at teardown of test_a_strict_marker_lists_unused_fixtures*",
            "1 fixture(s) from @pytest.mark.clarifai_mock(strict=True) never answered a request: 'marker-unused'",
            "*ERROR at setup of test_a_misspelt_marker_keyword_is_reported*",
            "*@pytest.mark.clarifai_mock on test_behaviour.py::test_a_misspelt_marker_keyword_is_reported: "
            "unknown keyword(s) strct; it takes keywords fixtures, strict, error_style, record",
            "*ERROR at setup of test_an_invalid_marker_fixture_file_is_reported*",
            "@pytest.mark.clarifai_mock on test_behaviour.py::test_an_invalid_marker_fixture_file_is_reported: "
            "invalid fixtures:",
            "*/data/bad.yaml:3: fixtures[[]0[]]: match.usr: Extra inputs are not permitted",
        ]
    )


def test_no_strict_option_gives_generated_replies(project: pytest.Pytester) -> None:
    project.makepyfile(test_not_strict=NOT_STRICT)
    result = project.runpytest_subprocess("--no-clarifai-mock-strict")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_the_marker_beats_the_option*", "1 request(s) *"])


def test_suite_under_xdist_is_isolated(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    ports_file = project.path / "ports.txt"
    monkeypatch.setenv("PORTS_FILE", str(ports_file))
    project.makepyfile(test_isolation=ISOLATION)

    result = project.runpytest_subprocess("--clarifai-mock-fixtures", "shared.yaml", "-n", "4")

    result.assert_outcomes(passed=8)
    ports_by_worker: dict[str, set[str]] = defaultdict(set)
    for line in ports_file.read_text("utf-8").splitlines():
        worker, port = line.split()
        ports_by_worker[worker].add(port)
    assert sum(1 for _ in ports_file.read_text("utf-8").splitlines()) == 8
    assert len(ports_by_worker) > 1
    assert set(ports_by_worker) <= {"gw0", "gw1", "gw2", "gw3"}
    # One server per worker, and no two workers on the same port.
    assert all(len(ports) == 1 for ports in ports_by_worker.values())
    assert len(set().union(*ports_by_worker.values())) == len(ports_by_worker)


def test_fixtures_are_listed_with_their_docstrings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_empty="def test_nothing():\n    pass\n")
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*fixtures defined from mockserver.pytest_plugin*",
            "clarifai_mock_settings [[]session scope[]] -- *pytest_plugin.py:*",
            "    Settings of the session's mock server, from the --clarifai-mock-* options; override it in conftest*",
            "clarifai_mock_server [[]session scope[]] -- *pytest_plugin.py:*",
            "    The session's mock server (one per xdist worker), on a free 127.0.0.1 port; stopped at the end.",
            "clarifai_mock -- *pytest_plugin.py:*",
            "    This test's isolated view of the mock: clients, inline fixtures, journal, usage; fails on unmatched*",
        ]
    )
    assert "_clarifai_mock_pool" not in result.stdout.str()


def test_help_lists_the_options_and_the_marker(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help").stdout.str()
    assert "Clarifai mock server (clarifai-mockserver):\n  --clarifai-mock-fixtures=PATH" in help_text
    for option in ("--clarifai-mock-fixtures=PATH", "--clarifai-mock-strict", "--no-clarifai-mock-strict"):
        assert option in help_text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.clarifai_mock(fixtures=[...], strict=None, error_style=None, record=False)" in markers
