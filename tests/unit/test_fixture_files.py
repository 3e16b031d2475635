"""Fixture files (YAML and JSON): loading, every problem with file:line, fixture and field path, warnings for
fixtures that can never answer, and atomic, stable writing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver import Fixture, FixtureFileError
from mockserver.fixtures.files import (
    dump_fixture_file,
    expand,
    fixture_to_data,
    load_file,
    load_fixture_files,
)
from mockserver.fixtures.lint import shadow_warnings
from mockserver.fixtures.store import Entry

DATA = Path(__file__).resolve().parents[1] / "data"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(FixtureFileError) as caught:
        load_file(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def entry(name: str, match: dict[str, Any], reply: dict[str, Any] | None = None) -> Entry:
    fixture = Fixture.model_validate({"match": match, "reply": reply or {"content": name}})
    return Entry.of(fixture, name, "mem.yaml")


# --- loading -------------------------------------------------------------------------------------------------------


def test_load_yaml_in_order_with_default_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "greetings.yaml",
        "version: 1\nfixtures:\n  - {name: hello, match: {user: hello}, reply: {content: Hi}}\n"
        "  - reply: {content: anything}\n",
    )
    entries = load_file(path)
    assert [(e.name, e.source) for e in entries] == [("hello", str(path)), ("greetings#1", str(path))]
    assert entries[0].fixture.match.user is not None
    assert entries[0].fixture.match.user.contains == "hello"


def test_load_json() -> None:
    [only] = load_file(DATA / "valid.json")
    assert only.name == "json-greeting"
    assert only.fixture.match.user is not None
    assert only.fixture.match.user.equals == "hello from json"


def test_version_and_fixtures_may_be_left_out(tmp_path: Path) -> None:
    assert load_file(write(tmp_path, "empty.yaml", "version: 1\n")) == []
    assert len(load_file(write(tmp_path, "bare.yaml", "fixtures:\n  - reply: {content: x}\n"))) == 1


def test_every_problem_of_a_yaml_file_with_line_fixture_and_field() -> None:
    path = DATA / "invalid.yaml"
    assert problems_of(path) == [
        f"{path}:6: fixtures[0] (typo-in-match): match.usr: Extra inputs are not permitted",
        f"{path}:16: fixtures[2] (error-with-ok-status): reply.error.status: Input should be greater than or equal "
        "to 400",
        f"{path}:19: fixtures[3] (reply-and-sequence): (fixture): Value error, give exactly one of reply, sequence",
        f"{path}:26: fixtures[4] (bad-regex): match.user: Value error, invalid regex '(unclosed': missing ), "
        "unterminated subpattern at position 0",
    ]


def test_every_problem_of_a_json_file_with_line_fixture_and_field() -> None:
    path = DATA / "invalid.json"
    assert problems_of(path) == [
        f"{path}:11: fixtures[1] (json-bad-turn): match.turn: Input should be greater than or equal to 0",
        f"{path}:16: fixtures[2] (json-bad-tool-call): reply.tool_calls[0].name: Field required",
    ]


def test_top_level_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "top.yaml", "version: 2\nfixtures:\n  - reply: {content: x}\nfixturez: []\n")
    assert problems_of(path) == [
        f"{path}:1: version: Input should be 1",
        f"{path}:4: fixturez: Extra inputs are not permitted",
    ]
    path = write(tmp_path, "mapping.yaml", "version: 1\nfixtures:\n  weather: {reply: {content: x}}\n")
    assert problems_of(path) == [f"{path}:3: fixtures: Input should be a valid list"]


@pytest.mark.parametrize("text", ["- a\n- b\n", "", "just text\n"])
def test_a_file_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "odd.yaml", text)
    assert problems_of(path) == [f"{path}: a fixture file is a mapping with `version: 1` and `fixtures: [...]`"]


def test_a_fixture_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.yaml", "fixtures:\n  - reply: {content: x}\n  - just a string\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:3: fixtures[1]: (fixture): Input should be a valid dictionary")


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.yaml", 'version: 1\nfixtures:\n  - reply: {content: "x"\n  - reply: {}\n')
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4: invalid YAML: ")
    path = write(tmp_path, "broken.json", '{\n  "version": 1,\n  "fixtures": [\n    {"reply": {},}\n  ]\n}\n')
    assert problems_of(path) == [f"{path}:4: invalid JSON: Expecting property name enclosed in double quotes"]


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}: cannot read: ")


# --- several files -------------------------------------------------------------------------------------------------


def test_expand_folders_recursively_in_sorted_order(tmp_path: Path) -> None:
    b = write(tmp_path, "b.yaml", "")
    a = write(tmp_path, "sub/a.json", "")
    c = write(tmp_path, "c.yml", "")
    write(tmp_path, "notes.txt", "")
    files, problems = expand([tmp_path, tmp_path / "missing.yaml"])
    assert files == [b, c, a]
    assert problems == [f"{tmp_path / 'missing.yaml'}: no such file or folder"]


def test_a_file_named_twice_is_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path, "one.yaml", "fixtures:\n  - {name: only, reply: {content: x}}\n")
    assert [e.name for e in load_fixture_files([path, tmp_path, path]).entries] == ["only"]


def test_problems_of_every_file_are_reported_together(tmp_path: Path) -> None:
    first = write(tmp_path, "1.yaml", "fixtures:\n  - {match: {turn: -1}, reply: {content: x}}\n")
    second = write(tmp_path, "2.json", '{"fixtures": [{"reply": {"content": 1}}]}')
    with pytest.raises(FixtureFileError) as caught:
        load_fixture_files([tmp_path, tmp_path / "nope"])
    assert [p.split(":")[0] for p in caught.value.problems] == [str(tmp_path / "nope"), str(first), str(second)]
    assert "match.turn" in caught.value.problems[1]
    assert "reply.content: Input should be a valid string" in caught.value.problems[2]


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "fixtures:\n  - {name: twin, reply: {content: x}}\n")
    second = write(
        tmp_path, "b.yaml", "fixtures:\n  - {name: other, reply: {content: y}}\n  - {name: twin, reply: {}}\n"
    )
    with pytest.raises(FixtureFileError) as caught:
        load_fixture_files([first, second])
    assert caught.value.problems == [
        f"{second}:3: fixtures[1]: duplicate fixture name 'twin' (also {first}:2: fixtures[0])"
    ]


# --- warnings ------------------------------------------------------------------------------------------------------


def test_warnings_for_a_shadowed_fixture_and_a_catch_all_that_is_not_last() -> None:
    path = DATA / "warnings.yaml"
    result = load_fixture_files([path])
    assert [e.name for e in result.entries] == ["greeting", "greeting-streamed", "anything", "farewell"]
    assert result.warnings == [
        f"{path}:12: fixtures[2]: 'anything' is a catch-all (it matches every request) but is not last; "
        "1 fixture(s) after it never answer ('farewell'); move it to the end",
        f"{path}:8: fixtures[1]: 'greeting-streamed' is shadowed by 'greeting' ({path}:4: fixtures[0])",
        f"{path}:15: fixtures[3]: 'farewell' is shadowed by 'anything' ({path}:12: fixtures[2])",
    ]


def test_a_last_catch_all_is_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ok.yaml", "fixtures:\n  - {match: {user: a}, reply: {content: a}}\n  - reply: {content: b}\n"
    )
    assert load_fixture_files([path]).warnings == []


def test_unknown_template_values_warn(tmp_path: Path) -> None:
    text = 'fixtures:\n  - name: t\n    reply: {content: "{{ usr }} / {{ last_user }}"}\n'
    path = write(tmp_path, "t.yaml", text)
    assert load_fixture_files([path]).warnings == [
        f"{path}:2: fixtures[0]: 't': unknown template value {{{{ usr }}}} (known: last_user, system, model, turn, "
        "tool_result, tool_results, tool_call, tool_calls, match)"
    ]


def names_shadowed(entries: list[Entry]) -> list[str]:
    return [w.split(": ")[1].split(" ")[0].strip("'") for w in shadow_warnings(entries, where=lambda e: e.source)]


def test_shadowing_needs_an_earlier_subset_of_the_conditions() -> None:
    entries = [
        entry("a", {"user": "hello"}),
        entry("b", {"stream": True, "user": "hello"}),
        entry("c", {"user": {"contains": "hello", "case_sensitive": True}}),
        entry("d", {"user": "hello", "endpoint": "responses"}),
        entry("e", {"stream": True, "user": "hello", "turn": 0}),
        entry("f", {"user": "bye"}),
    ]
    assert names_shadowed(entries) == ["b", "e"]


TOOL_REPLY = {"tool_calls": [{"name": "lookup", "arguments": {}}]}


def test_a_tool_calling_fixture_does_not_shadow_what_answers_tool_results() -> None:
    entries = [
        entry("call", {"user": "look"}, TOOL_REPLY),
        entry("answer", {"user": "look", "has_tool_result": True}),
        entry("plain", {"user": "look", "turn": 1}),
        entry("call-again", {"user": "look", "tools": ["lookup"]}, TOOL_REPLY),
        entry("no-results", {"user": "look", "has_tool_result": False}),
    ]
    assert names_shadowed(entries) == ["call-again", "no-results"]


def test_the_shipped_library_has_no_warnings() -> None:
    shipped = Path(__file__).resolve().parents[2] / "fixtures"
    result = load_fixture_files([shipped])
    assert result.entries
    assert result.warnings == []


# --- writing -------------------------------------------------------------------------------------------------------

ROUND_TRIP = [
    {"name": "one", "match": {"user": "hi", "turn": 0}, "reply": {"content": "Hello, ünïcode!"}},
    {
        "name": "two",
        "match": {"tools": ["lookup"]},
        "sequence": [
            {"error": {"status": 429, "message": "later", "retry_after_ms": 5}},
            {"tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}], "stream": {"chunk_tokens": 2}},
        ],
    },
]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_dump_and_load_round_trip(tmp_path: Path, suffix: str) -> None:
    fixtures = [Fixture.model_validate(data) for data in ROUND_TRIP]
    path = tmp_path / "deep" / f"recorded{suffix}"
    dump_fixture_file(path, fixtures)
    assert [e.fixture for e in load_file(path)] == fixtures
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left behind
    text = path.read_text("utf-8")
    assert "ünïcode" in text
    data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    assert list(data) == ["version", "fixtures"]
    assert list(data["fixtures"][0]) == ["name", "match", "reply"]
    first = path.read_bytes()
    dump_fixture_file(path, fixtures)
    assert path.read_bytes() == first


def test_fixture_to_data_leaves_defaults_out() -> None:
    fixture = Fixture.model_validate({"match": {"user": "hi"}, "reply": {"content": "x", "stream": {"ttft_ms": 5}}})
    assert fixture_to_data(fixture) == {
        "match": {"user": {"contains": "hi"}},
        "reply": {"content": "x", "stream": {"ttft_ms": 5.0}},
    }


# --- what a folder load reads ------------------------------------------------------------------------------------

FIXTURE = "version: 1\nfixtures:\n  - {name: NAME, reply: {content: x}}\n"


def fixture_named(name: str) -> str:
    return FIXTURE.replace("NAME", name)


def test_folders_skip_hidden_folders_node_modules_virtualenvs_and_caches(tmp_path: Path) -> None:
    kept = write(tmp_path, "a/kept.yaml", fixture_named("kept"))
    for skipped in [".git/x.yaml", "node_modules/pkg/x.yaml", "__pycache__/x.yaml", "venv/x.yaml", ".hidden.yaml"]:
        write(tmp_path, skipped, fixture_named(skipped.replace("/", "-")))
    write(tmp_path, "env/pyvenv.cfg", "home = /usr/bin\n")  # a virtualenv by any name
    write(tmp_path, "env/lib/site.yaml", fixture_named("in-venv"))
    files, problems = expand([tmp_path])
    assert files == [kept]
    assert problems == []
    assert [e.name for e in load_fixture_files([tmp_path]).entries] == ["kept"]


def test_a_folder_named_explicitly_is_read_even_when_hidden(tmp_path: Path) -> None:
    write(tmp_path, ".fixtures/a.yaml", fixture_named("a"))
    assert [e.name for e in load_fixture_files([tmp_path / ".fixtures"]).entries] == ["a"]


def test_other_json_and_yaml_in_a_folder_are_skipped_with_a_note(tmp_path: Path) -> None:
    write(tmp_path, "fixtures.yaml", fixture_named("one"))
    package = write(tmp_path, "package.json", '{"name": "app", "version": "1.0.0"}')
    compose = write(tmp_path, "compose.yml", 'version: "3.8"\nservices: {}\n')
    empty = write(tmp_path, "empty.yaml", "")
    result = load_fixture_files([tmp_path])
    assert [e.name for e in result.entries] == ["one"]
    assert result.files == 1
    note = "skipped, not a fixture file (no `fixtures:` key and no `version: 1`)"
    assert result.notes == [f"{compose}: {note}", f"{empty}: {note}", f"{package}: {note}"]
    assert result.warnings == []


def test_a_file_named_explicitly_must_be_a_fixture_file(tmp_path: Path) -> None:
    package = write(tmp_path, "package.json", '{"name": "app", "private": true}')
    with pytest.raises(FixtureFileError) as caught:
        load_fixture_files([package])
    assert caught.value.problems == [
        f"{package}: not a fixture file (no `fixtures:` key and no `version: 1`; it has name, private)"
    ]


def test_a_broken_fixture_file_in_a_folder_is_still_an_error(tmp_path: Path) -> None:
    """Only files that are clearly not fixture files are skipped: a typo in a fixture file is reported."""
    typo = write(tmp_path, "typo.yaml", "version: 1\nfixture: []\n")
    with pytest.raises(FixtureFileError) as caught:
        load_fixture_files([tmp_path])
    assert caught.value.problems == [f"{typo}:2: fixture: Extra inputs are not permitted"]


# --- templates that can never be filled ---------------------------------------------------------------------------


def test_template_paths_that_cannot_exist_warn_with_file_and_line(tmp_path: Path) -> None:
    text = """fixtures:
  - name: ask
    match: {user: {regex: "weather in (?P<city>\\\\w+)"}}
    reply:
      tool_calls: [{name: get_weather, arguments: {location: "{{ match.town }}", at: "{{ tool_result.time }}"}}]
  - name: answer
    match: {tool_result: {name: get_weather}}
    reply: {content: "{{ tool_result.temperature | unit('°C') }} in {{ match.city }}, turn {{ turn.n }}"}
  - name: failing
    reply: {error: {status: 500, message: "{{ tool_result | shout }}"}}
"""
    path = write(tmp_path, "t.yaml", text)
    assert load_fixture_files([path]).warnings == [
        f"{path}:2: fixtures[0]: 'ask': {{{{ match.town }}}}: no regex of this fixture's match captures it "
        "(named: city)",
        f"{path}:2: fixtures[0]: 'ask': {{{{ tool_result.time }}}}: this fixture never answers a request with "
        "tool results",
        f"{path}:6: fixtures[1]: 'answer': {{{{ match.city }}}}: no regex of this fixture's match captures it "
        "(named: none)",
        f"{path}:6: fixtures[1]: 'answer': {{{{ turn.n }}}}: turn is a plain value with nothing below it",
        f"{path}:9: fixtures[2]: 'failing': {{{{ tool_result | shout }}}}: unknown filter 'shout' (known: default, "
        "unit, prefix, suffix, string)",
    ]


def test_the_shipped_templates_are_clean() -> None:
    shipped = Path(__file__).resolve().parents[2] / "fixtures"
    assert load_fixture_files([shipped]).warnings == []
