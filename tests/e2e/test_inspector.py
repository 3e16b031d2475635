"""The inspector page in a real browser (Debian's chromium via Playwright) against a real mock and the openai SDK:
it lists requests live, shows a request as a chat transcript with the fixture that answered or the near-miss report,
and shows the usage ledger and the fixtures with their hit counts.

Every main view is saved as a screenshot under the test's tmp dir; with ``MOCK_UPDATE_SCREENSHOT=1`` they are also
copied over the ones in ``docs/img/`` (the request view is ``docs/img/inspector.png``).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai.types.chat import ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pydantic import SecretStr

from mockserver import MockServer, NoMatch, Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
GPT4O = "openai/chat-completion/models/gpt-4o"
PAT = "inspector-test-pat"
FIXTURES = """
version: 1
fixtures:
  - name: forecast-tool-call
    match: {user: forecast, tools: [get_forecast]}
    reply:
      tool_calls:
        - name: get_forecast
          arguments: {city: "Lisbon"}
  - name: forecast-answer
    match: {tool_result: {name: get_forecast}}
    reply: {content: "Tomorrow in Lisbon: sunny, 24°C."}
  - name: greeting
    match: {user: hello}
    reply: {content: "Hello from the inspector fixture."}
  - name: never-used
    match: {user: "a question nobody asks"}
    reply: {content: "unused"}
"""
FORECAST_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_forecast",
        "description": "Tomorrow's weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless; ``make test`` installs it with apt where it is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM} (and apt could not install it): run `make browser` as root")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A strict mock with the fixture file above, so misses are 404s with a near-miss report."""
    folder = tmp_path_factory.mktemp("inspector-fixtures")
    (folder / "forecast.yaml").write_text(FIXTURES, "utf-8")
    settings = Settings(port=0, fixtures=[folder], no_match=NoMatch.STRICT, reload=False)
    with MockServer(settings) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page whose scripts must not throw; an auto-wait gives up after 15 s (it returns as soon as the page
    shows what is expected)."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    script_errors: list[str] = []
    opened.on("pageerror", lambda error: script_errors.append(str(error)))
    yield opened
    context.close()
    assert script_errors == [], "the page's scripts failed"


def _sdk(mock: MockServer, namespace: str) -> openai.OpenAI:
    """An SDK client whose requests land in ``namespace`` (one per test, so tests read only their own rows)."""
    headers = {"x-mock-namespace": namespace}
    return openai.OpenAI(base_url=mock.base_url, api_key=PAT, max_retries=0, default_headers=headers)


def _open(page: Page, mock: MockServer, namespace: str, query: str = "") -> None:
    page.goto(f"{mock.url}/__mock__/ui{query}")
    expect(page.locator("#live")).to_contain_text("live")
    page.select_option("select[name=namespace]", namespace)


def _screenshot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 0
    if os.environ.get("MOCK_UPDATE_SCREENSHOT") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / path.name)


def _forecast_conversation(sdk: openai.OpenAI) -> str:
    """Two turns of a tool-calling agent; returns the reply text."""
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You are a terse weather assistant."},
        {"role": "user", "content": "What is the forecast for Lisbon?"},
    ]
    first = sdk.chat.completions.create(model=GPT4O, messages=messages, tools=[FORECAST_TOOL])
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    call = calls[0]
    assert call.type == "function"
    name, arguments = call.function.name, call.function.arguments
    messages.append(
        {
            "role": "assistant",
            "tool_calls": [{"id": call.id, "type": "function", "function": {"name": name, "arguments": arguments}}],
        }
    )
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"sky": "sunny", "high": 24})})
    second = sdk.chat.completions.create(model=GPT4O, messages=messages, tools=[FORECAST_TOOL])
    content = second.choices[0].message.content
    assert content is not None
    return content


def test_the_page_lists_requests_and_shows_one_as_a_transcript_with_its_fixture(
    page: Page, mock: MockServer, tmp_path: Path
) -> None:
    with _sdk(mock, "transcript") as sdk:
        reply = _forecast_conversation(sdk)
    _open(page, mock, "transcript")
    rows = page.locator("#request-list li.request")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("forecast-answer")  # newest first
    expect(rows.nth(1)).to_contain_text("forecast-tool-call")
    rows.first.click()
    transcript = page.get_by_test_id("transcript")
    expect(transcript.locator(".msg.system")).to_contain_text("terse weather assistant")
    expect(transcript.locator(".msg.user")).to_contain_text("forecast for Lisbon")
    expect(transcript.locator(".msg.assistant .tool-call")).to_contain_text("get_forecast")
    expect(transcript.locator(".msg.assistant .tool-call")).to_contain_text('"city": "Lisbon"')
    expect(transcript.locator(".msg.tool")).to_contain_text('"sky": "sunny"')
    expect(transcript.locator(".msg.reply")).to_contain_text(reply)
    fixture = page.get_by_test_id("fixture")
    expect(fixture).to_contain_text("forecast-answer")
    expect(fixture).to_contain_text("forecast.yaml:10")  # the line the fixture starts on
    expect(page.locator("#detail .tools")).to_contain_text("Tomorrow's weather for a city")
    _screenshot(page, tmp_path, "inspector")


def test_a_strict_miss_shows_its_near_miss_report(page: Page, mock: MockServer, tmp_path: Path) -> None:
    with _sdk(mock, "miss") as sdk:
        sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello there"}])
        with pytest.raises(openai.NotFoundError) as missed:
            sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "what is the forecast?"}])
    assert "No fixture matched" in missed.value.response.text
    _open(page, mock, "miss")
    expect(page.locator("#request-list li.request")).to_have_count(2)
    page.check("input[name=problems]")
    rows = page.locator("#request-list li.request")
    expect(rows).to_have_count(1)  # the hit is filtered out
    expect(rows.first).to_contain_text("404")
    rows.first.click()
    report = page.get_by_test_id("near-miss")
    expect(report).to_contain_text("No fixture matched this request. Closest:")
    expect(report).to_contain_text("forecast-tool-call")
    expect(page.get_by_test_id("transcript").locator(".msg.user")).to_contain_text("what is the forecast?")
    _screenshot(page, tmp_path, "inspector-near-miss")


def test_a_new_request_appears_live_with_its_streamed_frames(page: Page, mock: MockServer, tmp_path: Path) -> None:
    with _sdk(mock, "live") as sdk:
        sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello"}])
        _open(page, mock, "live")
        rows = page.locator("#request-list li.request")
        expect(rows).to_have_count(1)
        stream = sdk.chat.completions.create(
            model=GPT4O, messages=[{"role": "user", "content": "hello, streamed"}], stream=True
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    expect(rows).to_have_count(2)  # no reload: the page polls the journal
    expect(rows.first).to_contain_text("stream")
    rows.first.click()
    expect(page.get_by_test_id("transcript").locator(".msg.reply")).to_contain_text(text)
    frames = page.locator("#detail table.frames tbody tr")
    expect(frames.first).to_be_visible()
    expect(page.locator("#detail table.frames")).to_contain_text("[DONE]")
    _screenshot(page, tmp_path, "inspector-stream")


def test_the_page_keeps_what_it_saw_after_a_tests_namespace_is_released(page: Page, mock: MockServer) -> None:
    with _sdk(mock, "ended") as sdk:
        sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello, first test"}])
        _open(page, mock, "ended")
        rows = page.locator("#request-list li.request")
        expect(rows).to_have_count(1)
        mock.context.release_namespace("ended")  # what the pytest plugin does when a test ends
        assert mock.context.journal.entries("ended") == []
        sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello, next test"}])
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("greeting")
    page.click("#clear")
    expect(page.locator("#request-list li.request")).to_have_count(0)


def test_a_streamed_responses_request_reads_as_a_conversation(page: Page, mock: MockServer) -> None:
    with _sdk(mock, "responses") as sdk:
        stream = sdk.responses.create(
            model=GPT4O,
            instructions="Answer in one line.",
            input=[{"role": "user", "content": "hello from the Responses API"}],
            stream=True,
        )
        text = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
    assert text
    _open(page, mock, "responses")
    row = page.locator("#request-list li.request")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("responses")
    row.click()
    transcript = page.get_by_test_id("transcript")
    expect(transcript.locator(".msg.system")).to_contain_text("Answer in one line.")
    expect(transcript.locator(".msg.user")).to_contain_text("hello from the Responses API")
    expect(transcript.locator(".msg.reply")).to_contain_text(text)
    expect(page.locator("#detail table.frames")).to_contain_text("response.completed")


def test_usage_and_fixture_views(page: Page, mock: MockServer, tmp_path: Path) -> None:
    with _sdk(mock, "views") as sdk:
        sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello"}])
    _open(page, mock, "views")
    page.click("button[data-view=usage]")
    expect(page.locator("#usage-table tbody")).to_contain_text("views")
    expect(page.locator("#usage-table tbody")).to_contain_text(GPT4O)
    expect(page.locator("#usage-totals")).to_contain_text("requests")
    _screenshot(page, tmp_path, "inspector-usage")
    page.click("button[data-view=fixtures]")
    never = page.locator("#fixture-table tr.never")
    expect(never.filter(has_text="never-used")).to_have_count(1)
    greeting = page.locator("#fixture-table tr", has_text="greeting")
    expect(greeting).not_to_have_class("never")
    expect(greeting.locator(".hits")).not_to_have_text("never")
    _screenshot(page, tmp_path, "inspector-fixtures")


def test_with_a_control_token_the_page_asks_for_it_and_then_passes_it_on(page: Page) -> None:
    settings = Settings(port=0, control_token=SecretStr("s3cret-control"), reload=False)
    with MockServer(settings) as guarded:
        with _sdk(guarded, "token") as sdk:
            sdk.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hello"}])
        answer = page.goto(f"{guarded.url}/__mock__/ui")
        assert answer is not None
        assert answer.status == 401
        page.fill("input[name=token]", "s3cret-control")
        page.click("button")
        expect(page.locator("#live")).to_contain_text("live")
        expect(page.locator("#request-list li.request")).to_have_count(1)
