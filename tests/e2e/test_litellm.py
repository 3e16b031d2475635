"""LiteLLM, the way Clarifai's docs use it, against the mock: the generic OpenAI provider and the clarifai/ one."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver import Fixture, MockServer, Settings

# LiteLLM fetches its model price map over the network at import unless told to use the bundled copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
litellm: Any = pytest.importorskip("litellm")
# LiteLLM's own pydantic models warn on every call; those warnings are LiteLLM's business, not the mock's.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

MODEL = "openai/https://clarifai.com/openai/chat-completion/models/gpt-4o"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
        },
    }
]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    """A mock of its own: one test adds a fixture to it."""
    with MockServer(Settings(port=0)) as running:
        yield running
    # LiteLLM caches the SDK clients it builds; close them here rather than leak their sockets to exit.
    for client in list(litellm.in_memory_llm_clients_cache.cache_dict.values()):
        close = getattr(client, "close", None)
        if callable(close) and not inspect.iscoroutinefunction(close):
            close()
    litellm.in_memory_llm_clients_cache.flush_cache()
    _close_main_thread_loop()


def _close_main_thread_loop() -> None:
    """Close the loop LiteLLM's synchronous calls made asyncio create for the main thread, and never close.

    Left open, the next ``asyncio.run`` in this process replaces it, the dropped loop warns when it is collected, and
    pytest's check for unraisable warnings fails the whole session (seen running this module before
    ``test_sdk_chat.py``)."""
    with warnings.catch_warnings():
        # Newer Pythons deprecate the policy API, and warn when (3.12, 3.13) or raise where (3.14) no loop is set.
        warnings.simplefilter("ignore", DeprecationWarning)
        policy = asyncio.get_event_loop_policy()
        try:
            loop = policy.get_event_loop()
        except RuntimeError:
            return
        if not loop.is_running():
            loop.close()
            policy.set_event_loop(None)  # what asyncio.run leaves behind too


def _ask(mock: MockServer, model: str = MODEL, **extra: Any) -> Any:
    messages = [{"role": "user", "content": "What is the weather in Lyon?"}]
    return litellm.completion(
        model=model, api_base=mock.base_url, api_key="pat", messages=messages, num_retries=0, **extra
    )


def test_openai_provider_with_a_clarifai_url_gets_text_and_usage(mock: MockServer) -> None:
    reply = _ask(mock)
    assert reply.choices[0].message.content
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens > 0


def test_streaming_through_litellm_joins_to_the_non_streamed_text(mock: MockServer) -> None:
    whole = _ask(mock).choices[0].message.content
    chunks = list(_ask(mock, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole
    assert chunks[-1].usage.completion_tokens > 0


def test_tool_calls_come_back_as_json_string_arguments(mock: MockServer) -> None:
    reply = _ask(mock, tools=TOOLS, tool_choice="required")
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "location" in json.loads(call.function.arguments)


def test_the_clarifai_provider_with_a_dotted_model_id_reaches_the_same_model(mock: MockServer) -> None:
    reply = _ask(mock, model="clarifai/openai.chat-completion.gpt-4o")
    assert reply.choices[0].message.content == _ask(mock).choices[0].message.content


def test_errors_map_to_litellm_exception_classes(mock: MockServer) -> None:
    with pytest.raises(litellm.NotFoundError):
        _ask(mock, model="openai/https://clarifai.com/nobody/none/models/missing")
    throttled = {
        "match": {"headers": {"x-mock-scenario": "slow-down"}},
        "reply": {"error": {"status": 429, "message": "x"}},
    }
    mock.context.store.add(Fixture.model_validate(throttled))
    with pytest.raises(litellm.RateLimitError):
        _ask(mock, extra_headers={"x-mock-scenario": "slow-down"}, max_retries=0)
