"""The real server writes the mock's usual response heads through the lean path, and the SDK reads them as ever."""

from __future__ import annotations

import logging
from typing import Any

import openai
import pytest

from mockserver.protocol import head as response_head

MODEL = "openai/chat-completion/models/gpt-4o"


@pytest.fixture
def heads(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> list[bytes]:
    """The heads the lean path wrote from now on. The bytes would be the same either way: only this shows uvicorn's
    path was not taken (an uvicorn change that stops the lean path from applying would otherwise go unnoticed)."""
    caplog.set_level(logging.WARNING, logger="uvicorn.access")  # as the server runs it (another test may lower it)
    written: list[bytes] = []
    original = response_head.render

    def counted(line: bytes, headers: Any) -> tuple[bytes, int] | None:
        found = original(line, headers)
        if found is not None:
            written.append(found[0])
        return found

    monkeypatch.setattr(response_head, "render", counted)
    return written


def test_a_chat_answers_head_is_written_lean(client: openai.OpenAI, heads: list[bytes]) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "lean heads"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert raw.headers["x-request-id"] == raw.headers["x-clarifai-request-id"]
    assert int(raw.headers["content-length"]) == len(raw.content)
    assert len(heads) == 1
    assert f"x-request-id: {raw.headers['x-request-id']}\r\n".encode() in heads[0]


def test_a_zero_delay_streams_head_is_lean_too(client: openai.OpenAI, heads: list[bytes]) -> None:
    # Unpaced, the mock sends a stream's frames as one body of known length (docs/streaming.md), so uvicorn's chunked
    # framing is not needed and the head qualifies.
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "lean"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text
    assert len(heads) == 1
    assert b"content-type: text/event-stream\r\n" in heads[0]
