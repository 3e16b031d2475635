"""Run in a fresh process by run.py: prints seconds for ``import mockserver``, for the pytest plugin's session
server to start (import the server, create the app, bind, start the thread), and for its first chat request."""

from __future__ import annotations

import time

started = time.perf_counter()
import mockserver  # noqa: E402

imported = time.perf_counter() - started

started = time.perf_counter()
from mockserver.config import NoMatch, Settings  # noqa: E402
from mockserver.server import MockServer  # noqa: E402

server = MockServer(Settings(host="127.0.0.1", port=0, reload=False, no_match=NoMatch.STRICT)).start()
start_up = time.perf_counter() - started

import httpx  # noqa: E402

server.context.store.add(mockserver.Fixture.model_validate({"match": {}, "reply": {"content": "pong"}}))
body = {"model": "openai/chat-completion/models/gpt-4o", "messages": [{"role": "user", "content": "ping"}]}
with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer probe"}) as client:
    client.get("/models")  # the connection itself is not what is measured
    started = time.perf_counter()
    response = client.post("/chat/completions", json=body)
    first = time.perf_counter() - started
assert response.status_code == 200, response.text
server.stop()
print(f"{imported:.6f} {start_up:.6f} {first:.6f}")
