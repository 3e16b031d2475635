"""Cut a finished completion into ``chat.completion.chunk`` objects that follow the OpenAI streaming rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mockserver.responder import Choice, Completion, ToolCall
from mockserver.schema import StreamScript
from mockserver.types import JSON

_WORDS = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class Frame:
    """One chunk to send and how many tokens it carries (for pacing)."""

    data: JSON
    tokens: int = 1


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
