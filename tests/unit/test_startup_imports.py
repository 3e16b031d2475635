"""A session server that is never scraped, never records and never upgrades a connection loads neither the HTTP
client, the Prometheus library nor WebSockets."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, urllib.request
from mockserver import Fixture, MockServer, Settings
with MockServer(Settings(host="127.0.0.1", port=0, reload=False)) as server:
    server.context.store.add(Fixture.model_validate({"match": {}, "reply": {"content": "pong"}}))
    body = {"model": "openai/chat-completion/models/gpt-4o", "messages": [{"role": "user", "content": "ping"}]}
    request = urllib.request.Request(
        server.base_url + "/chat/completions", json.dumps(body).encode(),
        {"Authorization": "Bearer probe", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        content = json.load(answer)["choices"][0]["message"]["content"]
lazy = ("httpx", "prometheus_client", "websockets", "wsproto")
print(json.dumps([content, sorted(m for m in lazy if m in sys.modules)]))
"""


def test_serving_a_chat_request_loads_neither_httpx_prometheus_nor_a_websocket_library() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60).stdout
    assert json.loads(out) == ["pong", []]
