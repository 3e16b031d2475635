"""Health latency while heavy requests are in flight, on a real ``MockServer``: for each heavy request (the ReDoS
schema, 2,048 embedding inputs, a 16 MiB chat body, 5,000 fixtures in one POST), one thread sends it while another
polls ``/__mock__/health``; prints the heavy request's time and the slowest health answer seen meanwhile.

Run: ``.venv/bin/python bench/robustness_bench.py``
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx

from mockserver.config import Settings
from mockserver.server import MockServer

GPT4O = "openai/chat-completion/models/gpt-4o"
ADA = "openai/embed/models/text-embedding-ada-002"
AUTH = {"Authorization": "Bearer bench-pat", "Content-Type": "application/json"}
EVIL = {"type": "string", "minLength": 32, "maxLength": 32, "pattern": "(.|.)*!"}


def heavy_requests() -> dict[str, tuple[str, bytes]]:
    schema = {"type": "object", "properties": {"code": EVIL}, "required": ["code"]}
    redos: dict[str, object] = {"model": GPT4O, "messages": [{"role": "user", "content": "code"}]}
    redos["response_format"] = {"type": "json_schema", "json_schema": {"name": "c", "schema": schema}}
    fixtures = [{"name": f"f{i}", "match": {"user": f"question {i}"}, "reply": {"content": "ok"}} for i in range(5000)]
    return {
        "ReDoS pattern, length 32": ("/v2/ext/openai/v1/chat/completions", json.dumps(redos).encode()),
        "2,048 embedding inputs": (
            "/v2/ext/openai/v1/embeddings",
            json.dumps({"model": ADA, "input": ["a"] * 2048, "encoding_format": "float"}).encode(),
        ),
        "16 MiB chat body": (
            "/v2/ext/openai/v1/chat/completions",
            json.dumps({"model": GPT4O, "messages": [{"role": "user", "content": "word " * 3_300_000}]}).encode(),
        ),
        "5,000 fixtures in one POST": ("/__mock__/fixtures", json.dumps({"fixtures": fixtures}).encode()),
    }


def measure(server: MockServer, path: str, body: bytes) -> tuple[float, float, int]:
    """The heavy request's seconds, the slowest health answer meanwhile (ms), and how many health answers came."""
    done = threading.Event()
    worst, count = 0.0, 0

    def poll() -> None:
        nonlocal worst, count
        with httpx.Client() as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get(f"{server.url}/__mock__/health", timeout=120)
                worst, count = max(worst, time.perf_counter() - started), count + 1

    poller = threading.Thread(target=poll)
    poller.start()
    started = time.perf_counter()
    answer = httpx.post(server.url + path, content=body, headers=AUTH, timeout=600)
    elapsed = time.perf_counter() - started
    done.set()
    poller.join()
    assert answer.status_code < 500, answer.text[:200]
    return elapsed, worst * 1000, count


def main(run: Callable[[MockServer, str, bytes], tuple[float, float, int]] = measure) -> None:
    with MockServer(Settings(port=0, max_body_bytes=32 * 1024 * 1024)) as server:
        for label, (path, body) in heavy_requests().items():
            elapsed, worst, count = run(server, path, body)
            print(f"{label:28} request {elapsed:6.2f} s   health: {count:4} answers, slowest {worst:7.1f} ms")


if __name__ == "__main__":
    main()
