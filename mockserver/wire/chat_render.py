"""Write a finished completion in the chat wire shape: one ``chat.completion`` body, or the ``chat.completion.chunk``
objects of a stream that follow the OpenAI streaming rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from mockserver.engine.responder import Choice, Completion, ToolCall
from mockserver.schema import RecordedFrame, StreamScript
from mockserver.types import JSON
from mockserver.wire import sse
from mockserver.wire.stream import Frame, Stream, gaps, recorded_waits

_WORDS = re.compile(r"\s*\S+\s*|\s+")
MALFORMED = b'data: {"id": "chatcmpl-broken", "choices": [\n\n'  # the ``malformed`` fault: not valid JSON


def split_text(text: str, words_per_chunk: int) -> list[str]:
    """Pieces of ``text`` of ``words_per_chunk`` words each; joined they give back ``text`` exactly."""
    words = _WORDS.findall(text)
    return ["".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)]


def _call_head(position: int, call: ToolCall, arguments: str) -> JSON:
    return {
        "index": position,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def _tool_deltas(calls: tuple[ToolCall, ...], script: StreamScript) -> list[JSON]:
    deltas: list[JSON] = []
    for position, call in enumerate(calls):
        if script.tool_arguments == "whole":
            deltas.append({"tool_calls": [_call_head(position, call, call.arguments)]})
            continue
        deltas.append({"tool_calls": [_call_head(position, call, "")]})
        size = script.arguments_chunk_chars
        for start in range(0, len(call.arguments), size):
            piece = call.arguments[start : start + size]
            deltas.append({"tool_calls": [{"index": position, "function": {"arguments": piece}}]})
    return deltas


def _words(piece: str) -> int:
    return max(1, len(piece.split()))


def _choice_deltas(choice: Choice, script: StreamScript) -> list[tuple[JSON, int]]:
    """Each delta with the tokens (words) it carries, so pacing follows ``chunk_tokens``."""
    deltas: list[tuple[JSON, int]] = []
    if choice.reasoning:
        pieces = split_text(choice.reasoning, script.chunk_tokens)
        deltas += [({"reasoning_content": piece}, _words(piece)) for piece in pieces]
    if choice.refusal:
        deltas += [({"refusal": piece}, _words(piece)) for piece in split_text(choice.refusal, script.chunk_tokens)]
    if choice.content:
        deltas += [({"content": piece}, _words(piece)) for piece in split_text(choice.content, script.chunk_tokens)]
    deltas += [(delta, 1) for delta in _tool_deltas(choice.tool_calls, script)]
    # The role goes in the first delta only: the SDK's accumulator concatenates repeated strings.
    if deltas:
        first, tokens = deltas[0]
        deltas[0] = ({"role": "assistant", **first}, tokens)
    else:
        deltas.append(({"role": "assistant", "content": ""}, 1))
    return deltas


def build_frames(completion: Completion, script: StreamScript, include_usage: bool) -> list[Frame]:
    """All chunks in order: each choice's deltas, its finish chunk, then (optionally) the usage chunk."""
    head: JSON = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
        "system_fingerprint": "fp_clarifai_mock",
    }
    tail: JSON = {"usage": None} if include_usage else {}

    def chunk(choices: list[JSON], **extra: object) -> JSON:
        return {**head, "choices": choices, **tail, **extra}

    frames = []
    for choice in completion.choices:
        for delta, tokens in _choice_deltas(choice, script):
            body = {"index": choice.index, "delta": delta, "logprobs": None, "finish_reason": None}
            frames.append(Frame(chunk([body]), tokens=tokens))
        final = {"index": choice.index, "delta": {}, "logprobs": None, "finish_reason": choice.finish_reason}
        frames.append(Frame(chunk([final]), tokens=0))
    if include_usage:
        frames.append(Frame(chunk([], usage=completion.usage.to_wire()), tokens=0))
    return frames


def _choice_body(choice: Choice) -> JSON:
    message: JSON = {"role": "assistant", "content": choice.content, "refusal": choice.refusal}
    if choice.reasoning is not None:
        message["reasoning_content"] = choice.reasoning
    if choice.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in choice.tool_calls
        ]
    return {"index": choice.index, "message": message, "logprobs": None, "finish_reason": choice.finish_reason}


def completion_body(completion: Completion) -> JSON:
    """The ``chat.completion`` object."""
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model,
        "choices": [_choice_body(c) for c in completion.choices],
        "usage": completion.usage.to_wire(),
        "system_fingerprint": "fp_clarifai_mock",
    }


def chat_stream(
    completion: Completion, script: StreamScript, include_usage: bool, error_body: Callable[[], JSON]
) -> Stream:
    """The chat SSE stream: ``data:`` chunks, then ``data: [DONE]``; an ``error`` fault sends ``error_body``."""
    frames = build_frames(completion, script, include_usage)
    return Stream(
        pieces=[sse.encode(frame.data) for frame in frames],
        waits=gaps(frames, script),
        end=sse.DONE,
        script=script,
        error_frame=lambda _position: sse.encode(error_body()),
        malformed=MALFORMED,
    )


def replayed_stream(frames: Sequence[RecordedFrame], speed: float, script: StreamScript) -> Stream:
    """A recorded chat stream, byte-faithful, timed by its recorded offsets scaled by ``speed``; a script's faults
    still apply (its pacing does not: the recording has its own)."""
    pieces = [sse.encode_raw(frame.data) for frame in frames]
    waits = recorded_waits(frames, speed)
    end = b""
    if frames and frames[-1].data.strip() == "[DONE]":
        end = pieces.pop()
        waits.pop()
    return Stream(
        pieces, waits, end, script, lambda _position: sse.encode({"error": {"message": "stream failed"}}), MALFORMED
    )
