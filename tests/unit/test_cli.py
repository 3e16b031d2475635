"""The ``clarifai-mock`` command line: flags and env become ``Settings``; bad input is a usage error, never a crash."""

from __future__ import annotations

import os
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mockserver import __version__, cli
from mockserver.config import (
    ErrorStyle,
    NoMatch,
    ResponseModel,
    Scenario,
    Settings,
    StreamUsage,
    parse_scenario,
)

ENV_PREFIX = "CLARIFAI_MOCK_"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``CLARIFAI_MOCK_*`` variables leak in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The ``Settings`` each ``serve`` run hands to the server; no server starts."""
    calls: list[Settings] = []
    monkeypatch.setattr(cli, "run_server", calls.append)
    return calls


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), prog_name="clarifai-mock")


def serve(served: list[Settings], *args: str) -> Settings:
    """Run ``clarifai-mock serve ARGS`` and return the settings it would serve with."""
    result = invoke("serve", *args)
    assert result.exit_code == 0, result.output
    [settings] = served
    return settings


def assert_usage_error(result: Result, served: list[Settings], message: str) -> None:
    """Exit code 2, click's usage banner, the message, no traceback, and no server started."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Usage: clarifai-mock serve" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert served == []


def serve_flags() -> set[str]:
    return {opt for param in cli.serve.params for opt in [*param.opts, *param.secondary_opts]}


# --- flags → Settings -----------------------------------------------------------------------------------------------


def test_no_flags_no_env_gives_the_defaults(served: list[Settings]) -> None:
    assert serve(served).model_dump() == Settings().model_dump()
    assert (served[0].host, served[0].port) == ("127.0.0.1", 8080)


FLAG_CASES: list[tuple[list[str], str, Any]] = [
    (["--host", "0.0.0.0"], "host", "0.0.0.0"),
    (["--port", "9001"], "port", 9001),
    (["--port", "0"], "port", 0),
    (["--prefix", "/custom/v1/"], "prefix", "/custom/v1"),
    (["--fixtures", "a.yaml", "--fixtures", "more/"], "fixtures", [Path("a.yaml"), Path("more")]),
    (["--error-style", "openai"], "error_style", ErrorStyle.OPENAI),
    (["--no-match", "strict"], "no_match", NoMatch.STRICT),
    (["--pat-scenario", "p=revoked"], "pat_scenarios", {"p": "revoked"}),
    (["--seed", "42"], "seed", 42),
    (["--stream-usage", "requested"], "stream_usage", StreamUsage.REQUESTED),
    (["--response-model", "backend"], "response_model", ResponseModel.BACKEND),
    (["--rate-limit", "2.5"], "rate_limit", 2.5),
    (["--max-body-bytes", "1024"], "max_body_bytes", 1024),
    (["--no-reload"], "reload", False),
    (["--reload"], "reload", True),
    (["--log-level", "debug"], "log_level", "debug"),
]


@pytest.mark.parametrize(("args", "field", "expected"), FLAG_CASES, ids=[" ".join(c[0]) for c in FLAG_CASES])
def test_flag_sets_its_settings_field(served: list[Settings], args: list[str], field: str, expected: Any) -> None:
    assert getattr(serve(served, *args), field) == expected


def test_pat_flags_build_the_allow_list(served: list[Settings]) -> None:
    settings = serve(served, "--pat", "alpha", "--pat", "beta")
    assert [pat.get_secret_value() for pat in settings.pats] == ["alpha", "beta"]
    assert "alpha" not in repr(settings), "PATs stay secret in reprs and logs"


def test_catalog_flag_takes_an_existing_file(served: list[Settings], tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("models: []\n", "utf-8")
    assert serve(served, "--catalog", str(extra)).catalog == extra


def test_every_serve_option_is_a_settings_field() -> None:
    for param in cli.serve.params:
        assert param.name in Settings.model_fields, f"{param.opts} does not reach Settings"


def test_serve_says_where_it_listens(served: list[Settings]) -> None:
    result = invoke("serve", "--port", "9002")
    assert result.exit_code == 0
    assert "http://127.0.0.1:9002/v2/ext/openai/v1" in result.stderr


# --- precedence: flags > env > defaults -----------------------------------------------------------------------------


def test_flag_beats_env(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PORT", "9000")
    assert serve(served, "--port", "9100").port == 9100


def test_list_flag_replaces_the_env_list(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_FIXTURES", "from-env")
    assert serve(served, "--fixtures", "from-flag").fixtures == [Path("from-flag")]


ENV_CASES: list[tuple[str, str, str, Any]] = [
    ("PORT", "9000", "port", 9000),
    ("HOST", "0.0.0.0", "host", "0.0.0.0"),
    ("FIXTURES", "a.yaml,more/", "fixtures", [Path("a.yaml"), Path("more")]),
    ("FIXTURES", '["a.yaml"]', "fixtures", [Path("a.yaml")]),
    ("PAT_SCENARIOS", "p=revoked,q=rate_limit:5", "pat_scenarios", {"p": "revoked", "q": "rate_limit:5"}),
    ("PAT_SCENARIOS", '{"p": "no_scopes"}', "pat_scenarios", {"p": "no_scopes"}),
    ("ERROR_STYLE", "openai", "error_style", ErrorStyle.OPENAI),
    ("RELOAD", "false", "reload", False),
    ("SEED", "7", "seed", 7),
    ("JOURNAL_SIZE", "50", "journal_size", 50),  # env only: no flag
]


@pytest.mark.parametrize(("name", "value", "field", "expected"), ENV_CASES, ids=[f"{c[0]}={c[1]}" for c in ENV_CASES])
def test_env_beats_default(
    served: list[Settings], monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str, expected: Any
) -> None:
    monkeypatch.setenv(ENV_PREFIX + name, value)
    assert getattr(serve(served), field) == expected


def test_control_token_comes_from_env(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_CONTROL_TOKEN", "s3cret")
    token = serve(served).control_token
    assert token is not None
    assert token.get_secret_value() == "s3cret"


# --- PAT scenarios --------------------------------------------------------------------------------------------------


def test_pat_scenarios_parse(served: list[Settings]) -> None:
    settings = serve(served, "--pat-scenario", "p=revoked", "--pat-scenario", "q=rate_limit:2.5")
    assert settings.pat_scenarios == {"p": "revoked", "q": "rate_limit:2.5"}
    assert parse_scenario(settings.pat_scenarios["p"]) == (Scenario.REVOKED, None)
    assert parse_scenario(settings.pat_scenarios["q"]) == (None, 2.5)


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("p=bogus", "unknown PAT scenario 'bogus'; choose from ok, revoked, no_scopes, out_of_credit, rate_limit:N"),
        ("p", "expected PAT=SCENARIO, got 'p'"),
        ("p=rate_limit:0", "rate_limit must be positive"),
        ("p=rate_limit:fast", "rate_limit needs a number of requests per second"),
    ],
)
def test_invalid_pat_scenario_is_a_usage_error(served: list[Settings], scenario: str, message: str) -> None:
    assert_usage_error(invoke("serve", "--pat-scenario", scenario), served, message)


# --- other bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "choices"),
    [
        ("--error-style", "'clarifai', 'openai'"),
        ("--no-match", "'generate', 'strict'"),
        ("--stream-usage", "'always', 'requested'"),
        ("--response-model", "'request', 'canonical', 'backend'"),
    ],
)
def test_invalid_choice_is_a_usage_error(served: list[Settings], flag: str, choices: str) -> None:
    result = invoke("serve", flag, "nonsense")
    assert_usage_error(result, served, f"Invalid value for '{flag}': 'nonsense' is not one of {choices}.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "port: Input should be less than or equal to 65535"),
        (["--port", "http"], "Invalid value for '--port': 'http' is not a valid integer."),
        (["--rate-limit", "0"], "rate_limit: Input should be greater than 0"),
        (["--max-body-bytes", "0"], "max_body_bytes: Input should be greater than or equal to 1"),
        (["--catalog", "/no/such/catalog.yaml"], "'/no/such/catalog.yaml' does not exist"),
    ],
)
def test_out_of_range_values_are_usage_errors(served: list[Settings], args: list[str], message: str) -> None:
    assert_usage_error(invoke("serve", *args), served, message)


def test_bad_env_value_is_a_usage_error(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PORT", "eighty")
    assert_usage_error(invoke("serve"), served, "port: Input should be a valid integer")


def test_bad_log_level_from_env_is_a_usage_error(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_LOG_LEVEL", "verbose")
    assert_usage_error(invoke("serve"), served, "log_level")


# --- help and version -----------------------------------------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert re.search(r"^\s+serve\s+Run the mock server\.", result.output, re.MULTILINE)
    assert "--version" in result.output


def test_serve_help_lists_every_option() -> None:
    result = invoke("serve", "-h")
    assert result.exit_code == 0
    for flag in serve_flags() | {"--host", "--port", "--fixtures", "--pat-scenario", "--error-style", "--help"}:
        assert flag in result.output, f"serve --help does not mention {flag}"


def test_version_prints_the_package_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"clarifai-mock, version {__version__}\n"
    assert version("clarifai-mockserver") == __version__


# --- the README's configuration table stays complete ----------------------------------------------------------------


def test_readme_documents_every_setting_and_flag() -> None:
    # The README's table, or a page under docs/ (docs/security.md documents the security settings).
    readme = "\n".join(p.read_text("utf-8") for p in [README, *sorted((README.parent / "docs").glob("*.md"))])
    for field in Settings.model_fields:
        assert f"`{ENV_PREFIX}{field.upper()}`" in readme, f"README.md does not document {ENV_PREFIX}{field.upper()}"
    for flag in serve_flags() - {"-h", "--help"}:
        assert f"`{flag}" in readme, f"README.md does not document serve {flag}"
