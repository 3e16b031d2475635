"""Per-PAT budgets turn into Clarifai's billing error once spent; the default latency profile paces replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import Reply, Settings, StreamScript
from mockserver.clarifai.catalog import load_catalog
from mockserver.context import AppContext
from mockserver.wire.stream import default_script, reply_delay

MODEL = "openai/chat-completion/models/gpt-4o"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "How much does this cost?"}]}
CHAT = "/v2/ext/openai/v1/chat/completions"


def test_a_pat_past_its_budget_gets_the_billing_error(app_client: Callable[..., TestClient]) -> None:
    client = app_client(pat_budgets={"thrifty": 0.0000001})
    headers = {"Authorization": "Bearer thrifty"}
    assert client.post(CHAT, json=BODY, headers=headers).status_code == 200
    refused = client.post(CHAT, json=BODY, headers=headers)
    assert refused.status_code == 402
    assert refused.json()["status"]["code"] == 11000
    assert refused.headers["x-should-retry"] == "false"
    assert client.post(CHAT, json=BODY, headers={"Authorization": "Key rich"}).status_code == 200


def test_budgets_parse_from_the_environment_form() -> None:
    assert Settings(pat_budgets="a=0.5,b=2").pat_budgets == {"a": 0.5, "b": 2.0}
    with pytest.raises(ValueError, match="PAT=SCENARIO"):
        Settings(pat_budgets="a")


def _context(**settings: Any) -> AppContext:
    return AppContext(settings=Settings(**settings), catalog=load_catalog())


def test_the_default_profile_is_no_delay() -> None:
    ctx = _context()
    assert default_script(ctx.settings, None) == StreamScript()
    assert reply_delay(ctx.settings, Reply(), output_tokens=100) == 0


def test_a_configured_profile_paces_unscripted_replies_only() -> None:
    ctx = _context(ttft_ms=200, tokens_per_second=50, jitter=0.1)
    assert default_script(ctx.settings, None) == StreamScript(ttft_ms=200, tokens_per_second=50, jitter=0.1)
    assert reply_delay(ctx.settings, Reply(), output_tokens=100) == pytest.approx(0.2 + 2.0)
    scripted = StreamScript(ttft_ms=5)
    assert default_script(ctx.settings, scripted) is scripted
    assert reply_delay(ctx.settings, Reply(stream=scripted), output_tokens=100) == 0
    assert reply_delay(ctx.settings, Reply(delay_ms=30), output_tokens=100) == pytest.approx(0.03)
