"""What a zero-delay stream costs on top of a whole answer: the app called in-process, CPU time per request.

Run: ``python bench/stream_bench.py [--requests 2000] [--rounds 5]``. The app is ``create_app`` on the fixtures of
``bench/run.py`` (the 251-character reply, scripted, and streamed with ``chunk_tokens: 2`` in 24 events), called
with a fake ASGI ``receive``/``send`` in a loop: no server, no socket, so what it measures is the mock's own work.
Rounds alternate the two requests; each prints the median over rounds of ``time.process_time`` per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from run import chat, mock_fixtures

from mockserver import Settings
from mockserver.app import create_app

PATH = "/v2/ext/openai/v1/chat/completions"
HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"authorization", b"Bearer bench-pat"),
    (b"content-type", b"application/json"),
]
Message = dict[str, Any]


def scope() -> Message:
    """An HTTP scope as uvicorn builds it for a chat completion request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": list(HEADERS),
    }


async def call(app: Any, body: bytes) -> bytes:
    """One request through the app; the body it answered (a non-200 stops the benchmark)."""
    sent: list[Message] = []
    asked = False

    async def receive() -> Message:
        nonlocal asked
        if asked:  # the body is read: what comes next would be the client hanging up
            await asyncio.Event().wait()
        asked = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope(), receive, send)
    if sent[0]["status"] != 200:
        raise SystemExit(f"status {sent[0]['status']}: {sent[1:]}")
    return b"".join(m.get("body", b"") for m in sent[1:])


async def measure(requests: int, rounds: int) -> dict[str, float]:
    """Median µs of CPU time per request, by kind of request."""
    fixtures = Path(tempfile.mkdtemp()) / "bench.json"
    mock_fixtures(fixtures)
    app = create_app(Settings(fixtures=[fixtures], reload=False))
    bodies = {
        "non-streaming": json.dumps(chat("bench scripted reply")).encode(),
        "streaming": json.dumps(chat("bench streamed reply", stream=True)).encode(),
    }
    times: dict[str, list[float]] = {kind: [] for kind in bodies}
    for _ in range(rounds):
        for kind, body in bodies.items():
            for _ in range(requests // 10):  # warm-up
                await call(app, body)
            started = time.process_time()
            for _ in range(requests):
                await call(app, body)
            times[kind].append((time.process_time() - started) / requests * 1e6)
    return {kind: statistics.median(values) for kind, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    result = asyncio.run(measure(args.requests, args.rounds))
    for kind, micros in result.items():
        print(f"{kind:14} {micros:6.1f} µs CPU per request")
    print(f"{'stream extra':14} {result['streaming'] - result['non-streaming']:6.1f} µs")


if __name__ == "__main__":
    main()
