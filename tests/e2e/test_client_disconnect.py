"""A client that hangs up mid-stream costs the server nothing: no error logged, no task left running.

Deterministic by construction: the stream is far longer than any run (2,000 words at 5 tokens a second), each
response's line iterator is kept alive (a discarded ``iter_lines()`` generator is finalised at once and closes the
connection, which made the in-flight probe race the server's disconnect handling), and the end state is awaited
as a condition on the server's loop rather than for a fixed time.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator

import httpx
import pytest

from mockserver import Fixture, MockServer, Settings

SLOW = {
    "match": {"user": "slow story"},
    "reply": {"content": " ".join(["word"] * 2000), "stream": {"tokens_per_second": 5}},
}
BODY = {
    "model": "openai/chat-completion/models/gpt-4o",
    "messages": [{"role": "user", "content": "tell me a slow story"}],
    "stream": True,
}


@pytest.fixture(scope="module")
def slow_server() -> Iterator[MockServer]:
    """A server with one long, paced stream (some seven minutes end to end: no run lasts that long)."""
    with MockServer(Settings(port=0)) as running:
        running.context.store.add(Fixture.model_validate(SLOW))
        yield running


GUARD = 30.0  # bounds only a failing run; a passing one returns as soon as the condition holds


def _requests_in_flight(server: MockServer, *, until_idle: bool = False) -> int:
    """Requests the server is serving, read on its own loop; with ``until_idle``, once they have all ended."""

    async def count() -> int:
        while until_idle and server.requests_in_flight:
            await asyncio.sleep(0.01)  # a poll of a condition, not a fixed wait: it ends when the tasks have
        return server.requests_in_flight

    assert server.context.loop is not None
    return asyncio.run_coroutine_threadsafe(count(), server.context.loop).result(timeout=GUARD)


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
    assert _requests_in_flight(slow_server, until_idle=True) == 0


def _hang_up_five_times(slow_server: MockServer) -> None:
    for _ in range(5):
        headers = {"Authorization": "Key p"}
        with (
            httpx.Client(base_url=slow_server.base_url, headers=headers) as client,
            client.stream("POST", "chat/completions", json=BODY) as response,
        ):
            lines = response.iter_lines()  # kept: dropping the iterator would close the connection right here
            assert next(lines).startswith("data: ")
            assert _requests_in_flight(slow_server) >= 1  # the probe does see a stream being served
        # Leaving the block closed the connection with most of the stream unsent.


def test_hanging_up_mid_upload_logs_no_error(slow_server: MockServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    head = (
        "POST /v2/ext/openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Key p\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    )
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", slow_server.port), timeout=GUARD) as sock:
            sock.sendall(head.encode() + b'{"model": "openai/chat-completion/models/gpt-4o", ')
            sock.shutdown(socket.SHUT_WR)  # hang up with most of the promised body unsent
            assert sock.recv(1) == b""  # the server closed its side too: it has handled the hang-up
    assert _requests_in_flight(slow_server, until_idle=True) == 0
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r for r in caplog.records if r.exc_info] == []
    assert any("hung up before sending the whole body" in r.getMessage() for r in caplog.records)


def test_a_paced_streams_head_reaches_the_client_before_its_first_frame() -> None:
    # The server's transport holds writes until the end of the event loop's turn: a stream's head must still leave
    # then, not with its first frame. With a first frame an hour away, only an early head passes.
    late = {"match": {"user": "late start"}, "reply": {"content": "hello", "stream": {"ttft_ms": 3_600_000}}}
    body = {**BODY, "messages": [{"role": "user", "content": "late start"}]}
    with MockServer(Settings(port=0)) as running:
        running.context.store.add(Fixture.model_validate(late))
        with (
            httpx.Client(base_url=running.base_url, timeout=GUARD) as client,
            client.stream("POST", "/chat/completions", json=body, headers={"Authorization": "Bearer x"}) as reply,
        ):
            assert reply.status_code == 200
            assert reply.headers["content-type"].startswith("text/event-stream")
