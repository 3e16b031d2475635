"""``clarifai-mock validate`` and ``schema``, and ``serve`` refusing invalid fixture files."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import uvicorn
import yaml
from click.testing import CliRunner, Result
from pydantic import BaseModel

from mockserver import schema
from mockserver.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
SHIPPED = Path(__file__).resolve().parents[2] / "fixtures"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="clarifai-mock")


def lines(text: str, prefix: str) -> list[str]:
    return [line.removeprefix(prefix) for line in text.splitlines() if line.startswith(prefix)]


def fixture_schema() -> dict[str, Any]:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


# --- validate ------------------------------------------------------------------------------------------------------


def test_every_mistake_is_reported_with_line_and_field() -> None:
    path = DATA / "invalid.yaml"
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert lines(result.stderr, "error: ") == [
        f"{path}:6: fixtures[0] (typo-in-match): match.usr: Extra inputs are not permitted",
        f"{path}:16: fixtures[2] (error-with-ok-status): reply.error.status: Input should be greater than or equal "
        "to 400",
        f"{path}:19: fixtures[3] (reply-and-sequence): (fixture): Value error, give exactly one of reply, sequence",
        f"{path}:26: fixtures[4] (bad-regex): match.user: Value error, invalid regex '(unclosed': missing ), "
        "unterminated subpattern at position 0",
    ]
    assert "Traceback" not in result.output


def test_json_files_are_validated_too() -> None:
    path = DATA / "invalid.json"
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    assert lines(result.stderr, "error: ") == [
        f"{path}:11: fixtures[1] (json-bad-turn): match.turn: Input should be greater than or equal to 0",
        f"{path}:16: fixtures[2] (json-bad-tool-call): reply.tool_calls[0].name: Field required",
    ]
    ok = invoke("validate", str(DATA / "valid.json"))
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "ok: 1 fixtures in 1 files\n", "")


def test_problems_of_all_files_are_reported_in_one_run() -> None:
    result = invoke("validate", str(DATA / "valid.json"), str(DATA / "invalid.yaml"), str(DATA / "invalid.json"))
    assert result.exit_code == 1
    errors = lines(result.stderr, "error: ")
    assert len(errors) == 6
    assert [e.split(":")[0] for e in errors] == [str(DATA / "invalid.yaml")] * 4 + [str(DATA / "invalid.json")] * 2


def test_warnings_do_not_fail_validation() -> None:
    path = DATA / "warnings.yaml"
    result = invoke("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout == "ok: 4 fixtures in 1 files\n"
    warnings = lines(result.stderr, "warning: ")
    assert len(warnings) == 3
    assert warnings[0].startswith(f"{path}:12: fixtures[2]: 'anything' is a catch-all")
    assert (
        warnings[1] == f"{path}:8: fixtures[1]: 'greeting-streamed' is shadowed by 'greeting' ({path}:4: fixtures[0])"
    )
    assert warnings[2].startswith(f"{path}:15: fixtures[3]: 'farewell' is shadowed by 'anything'")


def test_the_shipped_library_and_test_data_are_valid() -> None:
    result = invoke("validate", str(SHIPPED), str(DATA / "replies.yaml"), str(DATA / "valid.json"))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("ok: ")
    assert result.stdout.endswith(" fixtures in 7 files\n")


def test_missing_path_is_an_error() -> None:
    result = invoke("validate", str(DATA / "no-such-file.yaml"))
    assert result.exit_code == 1
    assert lines(result.stderr, "error: ") == [f"{DATA / 'no-such-file.yaml'}: no such file or folder"]


def test_validate_needs_a_path() -> None:
    assert invoke("validate").exit_code == 2


# --- schema --------------------------------------------------------------------------------------------------------


def all_errors(errors: Iterable[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """Errors with the ones nested in ``anyOf`` branches."""
    for error in errors:
        yield error
        yield from all_errors(error.context or [])


def test_schema_is_a_json_schema_that_rejects_mistakes() -> None:
    schema = fixture_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    invalid = yaml.safe_load((DATA / "invalid.yaml").read_text("utf-8"))
    found = {(tuple(e.absolute_path), e.validator) for e in all_errors(validator.iter_errors(invalid))}
    assert (("fixtures", 0, "match"), "additionalProperties") in found  # the `usr` typo
    assert (("fixtures", 2, "reply", "error", "status"), "minimum") in found  # 200 is not an error status
    valid = json.loads((DATA / "valid.json").read_text("utf-8"))
    assert list(validator.iter_errors(valid)) == []


@pytest.mark.parametrize("name", [p.name for p in sorted(SHIPPED.glob("*.yaml"))])
def test_schema_validates_the_shipped_fixture_files(name: str) -> None:
    validator = jsonschema.Draft202012Validator(fixture_schema())
    document = yaml.safe_load((SHIPPED / name).read_text("utf-8"))
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert problems == []


def test_schema_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "fixtures.schema.json"
    result = invoke("schema", "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(target.read_text("utf-8")) == fixture_schema()


# --- serve refuses invalid files -----------------------------------------------------------------------------------


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Calls to ``uvicorn.Server.run`` as (app, {"port": …}) (patched: the port is bound, nothing is served)."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        uvicorn.Server,
        "run",
        lambda server, sockets=None: calls.append((server.config.app, {"port": server.config.port})),
    )
    for name in ("CLARIFAI_MOCK_FIXTURES", "CLARIFAI_MOCK_PORT", "CLARIFAI_MOCK_HOST"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_serve_refuses_invalid_fixtures(uvicorn_runs: list[tuple[Any, dict[str, Any]]]) -> None:
    path = DATA / "invalid.yaml"
    result = invoke("serve", "--fixtures", str(path), "--port", "0")
    assert result.exit_code != 0
    assert "invalid fixtures, not starting" in result.stderr
    assert f"{path}:6: fixtures[0] (typo-in-match): match.usr: Extra inputs are not permitted" in result.stderr
    assert f"{path}:26: fixtures[4] (bad-regex)" in result.stderr
    assert "Traceback" not in result.output
    assert uvicorn_runs == []


def test_serve_starts_on_valid_fixtures(uvicorn_runs: list[tuple[Any, dict[str, Any]]]) -> None:
    result = invoke("serve", "--fixtures", str(SHIPPED), "--port", "0", "--no-reload")
    assert result.exit_code == 0, result.output
    [(app, kwargs)] = uvicorn_runs
    assert kwargs["port"] == 0
    assert {e.name for e in app.state.mock.store.entries()} >= {"weather-tool-call", "weather-answer"}


def test_schema_covers_every_field_of_every_fixture_model() -> None:
    definitions = fixture_schema()["$defs"]
    models: list[type[BaseModel]] = [
        schema.Match,
        schema.BodyMatch,
        schema.TextMatch,
        schema.ToolResultMatch,
        schema.Reply,
    ]
    models += [schema.ToolCallSpec, schema.ErrorSpec, schema.StreamScript, schema.Fixture]
    for model in models:
        [definition] = list(_objects(definitions[model.__name__]))
        assert set(definition["properties"]) == set(model.model_fields), model.__name__


def _objects(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The object schema(s) of a definition, also behind a string/value shorthand ``anyOf``."""
    if "properties" in definition:
        yield definition
    for branch in definition.get("anyOf", []):
        yield from _objects(branch)


def test_schema_knows_body_matches_and_their_shorthand() -> None:
    validator = jsonschema.Draft202012Validator(fixture_schema())

    def problems(body: Any) -> list[str]:
        document = {"fixtures": [{"match": {"body": body}, "reply": {"content": "x"}}]}
        return [e.message for e in validator.iter_errors(document)]

    assert problems({"metadata.user_id": "u1", "temperature": 0.2, "tools.0.function.name": {"regex": "^get_"}}) == []
    assert problems({"metadata.tier": {"exists": True}, "n": {"equals": None}, "o": {"k": 1}}) == []
    assert problems({"a": {"regex": 1}}) != []
    assert problems({"a": {"exists": "yes"}}) != []
    assert problems(["not", "a", "mapping"]) != []
