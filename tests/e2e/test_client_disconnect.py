"""A client that hangs up mid-stream costs the server nothing: no error logged, no task left running."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest

from mockserver.config import Settings
from mockserver.schema import Fixture
from mockserver.server import MockServer

SLOW = {
    "match": {"user": "slow story"},
    "reply": {"content": " ".join(["word"] * 2000), "stream": {"tokens_per_second": 200}},
}
BODY = {
    "model": "openai/chat-completion/models/gpt-4o",
    "messages": [{"role": "user", "content": "tell me a slow story"}],
    "stream": True,
}


@pytest.fixture(scope="module")
def slow_server() -> Iterator[MockServer]:
    """A server with one long, paced stream (ten seconds end to end, far longer than the test waits)."""
    with MockServer(Settings(port=0)) as running:
        running.context.store.add(Fixture.model_validate(SLOW))
        yield running


def _requests_in_flight(server: MockServer, settle: float = 0.0) -> int:
    """Requests the server is still serving, once its loop has had up to ``settle`` seconds to finish them."""

    async def count() -> int:
        deadline = asyncio.get_running_loop().time() + settle
        while True:
            busy = server.requests_in_flight
            if not busy or asyncio.get_running_loop().time() >= deadline:
                return busy
            await asyncio.sleep(0.01)

    assert server.context.loop is not None
    return asyncio.run_coroutine_threadsafe(count(), server.context.loop).result(timeout=5)


def test_hanging_up_mid_stream_logs_nothing_and_leaves_no_task(
    slow_server: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # uvicorn's own loggers do not propagate to the root logger caplog listens on: hook its error log directly.
    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(caplog.handler)
    try:
        _hang_up_five_times(slow_server)
    finally:
        uvicorn_errors.removeHandler(caplog.handler)
    health = httpx.get(f"{slow_server.url}/__mock__/health")
    assert health.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert _requests_in_flight(slow_server, settle=2) == 0


def _hang_up_five_times(slow_server: MockServer) -> None:
    for _ in range(5):
        headers = {"Authorization": "Key p"}
        with (
            httpx.Client(base_url=slow_server.base_url, headers=headers) as client,
            client.stream("POST", "chat/completions", json=BODY) as response,
        ):
            assert next(response.iter_lines()).startswith("data: ")
            assert _requests_in_flight(slow_server) >= 1  # the probe does see a stream being served
        # Leaving the block closed the connection with most of the stream unsent.
