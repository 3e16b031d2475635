"""Settings precedence (init kwargs > ``CLARIFAI_MOCK_*`` env > defaults) and the env forms of list/map settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from mockserver.config import ErrorStyle, Scenario, Settings, StreamUsage, parse_scenario


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CLARIFAI_MOCK_* variable from the outer environment leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("CLARIFAI_MOCK_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.prefix) == ("127.0.0.1", 8080, "/v2/ext/openai/v1")
    assert settings.error_style is ErrorStyle.CLARIFAI
    assert settings.stream_usage is StreamUsage.ALWAYS
    assert settings.pats == []
    assert settings.pat_scenarios == {}
    assert settings.fixtures == []
    assert settings.seed is None
    assert settings.rate_limit is None
    assert settings.max_body_bytes > 1_000_000


def test_env_beats_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PORT", "9191")
    monkeypatch.setenv("CLARIFAI_MOCK_ERROR_STYLE", "openai")
    monkeypatch.setenv("CLARIFAI_MOCK_STREAM_USAGE", "requested")
    monkeypatch.setenv("CLARIFAI_MOCK_SEED", "7")
    monkeypatch.setenv("CLARIFAI_MOCK_RATE_LIMIT", "2.5")
    settings = Settings()
    assert settings.port == 9191
    assert settings.error_style is ErrorStyle.OPENAI
    assert settings.stream_usage is StreamUsage.REQUESTED
    assert settings.seed == 7
    assert settings.rate_limit == 2.5


def test_kwargs_beat_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PORT", "9191")
    monkeypatch.setenv("CLARIFAI_MOCK_ERROR_STYLE", "openai")
    monkeypatch.setenv("CLARIFAI_MOCK_PATS", "from-env")
    settings = Settings(port=0, error_style="clarifai", pats=["from-kwargs"])
    assert settings.port == 0
    assert settings.error_style is ErrorStyle.CLARIFAI
    assert [p.get_secret_value() for p in settings.pats] == ["from-kwargs"]


def test_env_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("clarifai_mock_error_style", "openai")
    assert Settings().error_style is ErrorStyle.OPENAI


@pytest.mark.parametrize("value", ["k1,k2, k3", '["k1", "k2", "k3"]', " k1 ,, k2,k3 ,"])
def test_pats_from_env(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PATS", value)
    settings = Settings()
    assert [p.get_secret_value() for p in settings.pats] == ["k1", "k2", "k3"]
    assert "k1" not in repr(settings), "PATs are secrets and stay out of reprs and logs"


@pytest.mark.parametrize("value", ["fixtures/, extra/more.yaml", '["fixtures/", "extra/more.yaml"]'])
def test_fixtures_from_env(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_FIXTURES", value)
    assert Settings().fixtures == [Path("fixtures"), Path("extra/more.yaml")]


@pytest.mark.parametrize(
    "value", ["p1=revoked, p2=rate_limit:5,p3=no_scopes", '{"p1": "revoked", "p2": "rate_limit:5", "p3": "no_scopes"}']
)
def test_pat_scenarios_from_env(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PAT_SCENARIOS", value)
    assert Settings().pat_scenarios == {"p1": "revoked", "p2": "rate_limit:5", "p3": "no_scopes"}


def test_pat_scenarios_from_kwargs_list() -> None:
    assert Settings(pat_scenarios=["a=out_of_credit"]).pat_scenarios == {"a": "out_of_credit"}


@pytest.mark.parametrize(
    "value", ["p=teapot", "p=rate_limit", "p=rate_limit:fast", "p=rate_limit:0", "p=rate_limit:-1", "no-equals-sign"]
)
def test_invalid_scenario_is_rejected_from_env(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLARIFAI_MOCK_PAT_SCENARIOS", value)
    with pytest.raises(ValidationError):
        Settings()


def test_invalid_scenario_is_rejected_from_kwargs() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(pat_scenarios={"p": "teapot"})
    assert "teapot" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("port", "70000"), ("port", "-1"), ("error_style", "xml"), ("stream_usage", "never"), ("rate_limit", "0")],
)
def test_invalid_env_values_are_rejected(monkeypatch: pytest.MonkeyPatch, field: str, value: str) -> None:
    monkeypatch.setenv(f"CLARIFAI_MOCK_{field.upper()}", value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("ok", (Scenario.OK, None)),
        ("revoked", (Scenario.REVOKED, None)),
        ("no_scopes", (Scenario.NO_SCOPES, None)),
        ("out_of_credit", (Scenario.OUT_OF_CREDIT, None)),
        ("rate_limit:5", (None, 5.0)),
        ("rate_limit:0.25", (None, 0.25)),
    ],
)
def test_parse_scenario(text: str, parsed: tuple[Scenario | None, float | None]) -> None:
    assert parse_scenario(text) == parsed


@pytest.mark.parametrize(("given", "normalised"), [("v1/", "/v1"), ("/a/b/", "/a/b"), ("/", ""), ("", "")])
def test_prefix_is_normalised(given: str, normalised: str) -> None:
    assert Settings(prefix=given).prefix == normalised


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
