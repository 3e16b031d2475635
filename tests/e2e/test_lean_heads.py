"""The real server writes the mock's usual response heads through the lean path, and the SDK reads them as ever."""

from __future__ import annotations

import openai

MODEL = "openai/chat-completion/models/gpt-4o"


def test_a_chat_answers_head_is_written_lean(client: openai.OpenAI, lean_heads: list[bytes]) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "lean heads"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert raw.headers["x-request-id"] == raw.headers["x-clarifai-request-id"]
    assert int(raw.headers["content-length"]) == len(raw.content)
    assert len(lean_heads) == 1
    assert f"x-request-id: {raw.headers['x-request-id']}\r\n".encode() in lean_heads[0]


def test_a_zero_delay_streams_head_is_lean_too(client: openai.OpenAI, lean_heads: list[bytes]) -> None:
    # Unpaced, the mock sends a stream's frames as one body of known length (docs/streaming.md), so uvicorn's chunked
    # framing is not needed and the head qualifies.
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "lean"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text
    assert len(lean_heads) == 1
    assert b"content-type: text/event-stream\r\n" in lean_heads[0]
