"""What the pytest plugin costs: session start-up, the per-test reset, and a test making 100 SDK calls.

Run: ``.venv/bin/python bench/plugin_bench.py``. A bare Starlette app answering a canned completion on the same kind
of thread server is measured in the same run, so the call rate can be read against a floor that does no mock work.
Numbers are medians over repeats; they vary with the machine and its load.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver.config import NoMatch, Settings
from mockserver.server import MockServer, bind_socket
from mockserver.testing import MockHandle, namespace_for

MODEL = "openai/chat-completion/models/gpt-4o"
CALLS = 100
REPEATS = 5
RESETS = 2000
CANNED: dict[str, Any] = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1767225600,
    "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
}


def plugin_settings() -> Settings:
    """What ``clarifai_mock_settings`` gives by default."""
    return Settings(host="127.0.0.1", port=0, reload=False, no_match=NoMatch.STRICT)


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` took."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(action: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median seconds of ``repeats`` runs."""
    return statistics.median(timed(action) for _ in range(repeats))


def hundred_calls(client: openai.OpenAI) -> None:
    """The body of a test that makes ``CALLS`` chat requests."""
    for _ in range(CALLS):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "ping"}])


class BareServer:
    """A bare Starlette app that answers every chat request with the same canned body, on a uvicorn thread."""

    def __init__(self) -> None:
        async def chat(request: Request) -> JSONResponse:
            await request.body()
            return JSONResponse(CANNED)

        app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
        self._socket = bind_socket("127.0.0.1", 0)
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def base_url(self) -> str:
        """The base URL to give the SDK."""
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/v1"

    def __enter__(self) -> BareServer:
        self._thread.start()
        while not self._server.started:
            time.sleep(0.001)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join()
        self._socket.close()


def bench_start_up() -> tuple[float, float, float, MockServer]:
    """Seconds to build and start the session server, for its first chat request, and to stop a server."""
    server = MockServer(plugin_settings())
    start = timed(server.start)
    handle = MockHandle(server, namespace_for("bench::warm-up")).begin()
    handle.add_fixture(match={}, reply={"content": "pong"})
    client = handle.client()
    first = timed(lambda: client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}]))
    handle.finish()
    spare = MockServer(plugin_settings()).start()
    stop = timed(spare.stop)
    return start, first, stop, server


def bench_reset(server: MockServer) -> tuple[float, float]:
    """Seconds per test for the handle's begin + finish: with nothing done, and after 10 requests and 3 fixtures."""

    def empty_tests() -> None:
        for number in range(RESETS):
            MockHandle(server, namespace_for(f"bench::empty[{number}]")).begin().finish()

    empty = timed(empty_tests) / RESETS
    busy: list[float] = []
    for number in range(20):
        handle = MockHandle(server, namespace_for(f"bench::busy[{number}]"))
        started = time.perf_counter()
        handle.begin()
        busy_setup = time.perf_counter() - started
        for name in ("a", "b", "c"):
            handle.add_fixture(name=name, match={"user": name}, reply={"content": name})
        client = handle.client()
        for _ in range(10):
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "a"}])
        started = time.perf_counter()
        handle.finish()
        busy.append(busy_setup + time.perf_counter() - started)
    return empty, statistics.median(busy)


def bench_hundred_calls(server: MockServer) -> float:
    """Median seconds of a whole test (begin, fixture, client, 100 calls, finish)."""

    def one_test() -> None:
        handle = MockHandle(server, namespace_for("bench::hundred")).begin()
        handle.add_fixture(match={"user": "ping"}, reply={"content": "pong"})
        hundred_calls(handle.client())
        assert handle.calls("runtime#0") == CALLS
        assert handle.finish() == []

    return median_of(one_test)


def bench_bare() -> float:
    """Median seconds of 100 calls to the bare Starlette app through the same SDK."""
    with BareServer() as bare, openai.OpenAI(base_url=bare.base_url, api_key="x", max_retries=0) as client:
        hundred_calls(client)  # warm the connection and the SDK's response types
        return median_of(lambda: hundred_calls(client))


def main() -> None:
    """Run every measurement and print a table."""
    start, first, stop, server = bench_start_up()
    try:
        empty_reset, busy_reset = bench_reset(server)
        hundred = bench_hundred_calls(server)
    finally:
        server.stop()
    bare = bench_bare()
    rows = [
        ("session start-up (create app, bind 127.0.0.1:0, start thread)", f"{start * 1000:8.1f} ms"),
        ("first chat request of a session (one-time lazy loads)", f"{first * 1000:8.1f} ms"),
        ("server stop", f"{stop * 1000:8.1f} ms"),
        (f"per-test reset, nothing done (begin + finish, mean of {RESETS})", f"{empty_reset * 1e6:8.1f} µs"),
        ("per-test reset after 10 requests and 3 fixtures (median)", f"{busy_reset * 1e6:8.1f} µs"),
        (f"test making {CALLS} calls through clarifai_mock.client() (median)", f"{hundred * 1000:8.1f} ms"),
        ("  mock request rate", f"{CALLS / hundred:8.0f} req/s"),
        (f"bare Starlette, same SDK, {CALLS} calls (median)", f"{bare * 1000:8.1f} ms"),
        ("  bare request rate", f"{CALLS / bare:8.0f} req/s"),
        ("  mock time per call / bare time per call", f"{hundred / bare:8.2f} x"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
