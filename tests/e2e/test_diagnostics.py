"""Diagnostics where people look: the SDK's ``str(exc)`` of the mock's own errors, one log line per error, and
near-miss reports that rank fixtures of the request's shape first."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from mockserver import ErrorStyle, MockServer, NoMatch, Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MODEL = "openai/chat-completion/models/gpt-oss-120b"
HELLO: Any = [{"role": "user", "content": "Hello!"}]
WEATHER_QUESTION: Any = [{"role": "user", "content": "What's the weather?"}]


@pytest.fixture(scope="module", params=[ErrorStyle.CLARIFAI, ErrorStyle.OPENAI])
def strict_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """The shipped fixtures, strict, in each error style."""
    settings = Settings(port=0, fixtures=[FIXTURES], no_match=NoMatch.STRICT, error_style=request.param, reload=False)
    with MockServer(settings) as running:
        yield running


@pytest.fixture
def sdk(strict_server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=strict_server.base_url, api_key="any-pat", max_retries=0) as client:
        yield client


def test_str_of_a_strict_miss_names_the_miss_and_the_closest_fixture(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=MODEL, messages=HELLO, tools=[WEATHER_TOOL])
    text = str(caught.value)
    assert text.startswith("Error code: 404 - No fixture matched this request. Closest:\n  - 'compare-weather-calls' (")
    assert "parallel-tools.yaml): user: wants matches /compare the weather/, got 'Hello!'" in text


def test_the_clarifai_style_keeps_status_next_to_the_message(sdk: openai.OpenAI, strict_server: MockServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=MODEL, messages=HELLO)
    body = caught.value.body
    assert isinstance(body, dict)
    if strict_server.settings.error_style is ErrorStyle.CLARIFAI:
        assert set(body) == {"status", "message"}
        assert body["status"]["details"] == body["message"]
        assert body["status"]["req_id"] == caught.value.request_id
    else:
        assert caught.value.code == "no_fixture_matched"


def test_a_miss_for_hello_does_not_rank_scenario_fixtures_first(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model=MODEL, messages=HELLO)
    closest = [line for line in str(caught.value).splitlines() if line.startswith("  - ")]
    assert len(closest) == 3
    assert not any("x-mock-scenario" in line for line in closest), closest


def test_emulated_clarifai_errors_keep_their_shape(sdk: openai.OpenAI, strict_server: MockServer) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk.chat.completions.create(model=MODEL, messages=HELLO, extra_headers={"x-mock-scenario": "invalid-key"})
    body = caught.value.body
    assert isinstance(body, dict)
    assert set(body) == (
        {"status"}
        if strict_server.settings.error_style is ErrorStyle.CLARIFAI
        else {"message", "type", "param", "code"}
    )


def test_control_api_refusals_carry_a_message(strict_server: MockServer) -> None:
    refused = httpx.post(f"{strict_server.url}/__mock__/fixtures", json={"fixtures": [{"match": {"usr": "x"}}]})
    assert refused.status_code == 400
    body = refused.json()
    message = body["message"] if "status" in body else body["error"]["message"]
    assert "usr" in message


def test_one_log_line_per_miss_and_per_emulated_error(sdk: openai.OpenAI, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mockserver")
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model=MODEL, messages=WEATHER_QUESTION)
    with pytest.raises(openai.RateLimitError):
        sdk.chat.completions.create(model=MODEL, messages=HELLO, extra_headers={"x-mock-scenario": "rate-limited"})
    lines = [
        r.getMessage() for r in caplog.records if r.name == "mockserver" and r.getMessage().startswith(("404", "429"))
    ]
    assert len(lines) == 2
    miss, throttled = lines
    assert miss.startswith("404 POST /v2/ext/openai/v1/chat/completions: No fixture matched this request. Closest: '")
    assert "\n" not in miss
    assert "wants" in miss
    assert throttled == (
        "429 POST /v2/ext/openai/v1/chat/completions: Clarifai 11005 Making too many requests: "
        "exceeded limit of 15 requests per second"
    )


WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
    },
}
