"""The floor every ratio is read against: a bare Starlette app that answers the same 251-character reply as the mock.

Run: ``python bench/baseline.py PORT``. ``POST /v1/chat/completions`` reads and parses the JSON body, then answers a
``chat.completion`` body, or (``"stream": true``) the same reply as ~20 ``chat.completion.chunk`` events and
``data: [DONE]``. ``GET /health`` answers ``{"ok": true}``. No middleware, no access log.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

REPLY = (
    "The quarterly report is ready. Revenue grew by twelve percent over the last period, driven mostly by new "
    "customers in the northern region. Costs stayed flat; so margins rose. The team advises keeping "
    "all plans and reviewing them again in three months."
)
WORDS_PER_CHUNK = 2  # the mock's fixture uses the same ``chunk_tokens``: ~20 content events

assert len(REPLY) == 251, len(REPLY)


def pieces(text: str, words: int) -> list[str]:
    """``text`` in pieces of ``words`` words, each keeping its leading space, as the mock splits it."""
    tokens = [(" " if i else "") + w for i, w in enumerate(text.split(" "))]
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


def _chunk(model: str, delta: dict[str, str], finish: str | None) -> bytes:
    body = {
        "id": "chatcmpl-baseline",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


async def _events(model: str) -> AsyncIterator[bytes]:
    yield _chunk(model, {"role": "assistant", "content": ""}, None)
    for piece in pieces(REPLY, WORDS_PER_CHUNK):
        yield _chunk(model, {"content": piece}, None)
    yield _chunk(model, {}, "stop")
    yield b"data: [DONE]\n\n"


async def chat(request: Request) -> Response:
    """The reply as one JSON body or as an SSE stream."""
    body = await request.json()
    model = str(body.get("model", ""))
    if body.get("stream"):
        return StreamingResponse(_events(model), media_type="text/event-stream")
    return JSONResponse(
        {
            "id": "chatcmpl-baseline",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 45, "total_tokens": 57},
        }
    )


async def health(request: Request) -> Response:
    """Ready."""
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/health", health, methods=["GET"])]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
