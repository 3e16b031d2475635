"""Write a finished completion in the chat wire shape: one ``chat.completion`` body, or the ``chat.completion.chunk``
objects of a stream that follow the OpenAI streaming rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Generic, TypeVar

import orjson

from mockserver.engine.responder import Choice, Completion, ToolCall
from mockserver.schema import RecordedFrame, StreamScript
from mockserver.types import JSON
from mockserver.wire import sse
from mockserver.wire.answer import json_bytes
from mockserver.wire.stream import Frame, Stream, recorded_waits, token_waits

_WORDS = re.compile(r"\s*\S+\s*|\s+")
MALFORMED = b'data: {"id": "chatcmpl-broken", "choices": [\n\n'  # the ``malformed`` fault: not valid JSON


def split_text(text: str, words_per_chunk: int) -> list[str]:
    """Pieces of ``text`` of ``words_per_chunk`` words each; joined they give back ``text`` exactly."""
    words = _WORDS.findall(text)
    return ["".join(words[i : i + words_per_chunk]) for i in range(0, len(words), words_per_chunk)]


# A stream's frames are spliced from bytes: the part every chunk of a completion shares (``id``, ``object``,
# ``created``, ``model``, ``system_fingerprint``) is encoded once, each frame adds only its delta. The bytes are what
# ``orjson.dumps`` gives for the whole chunk object, keys in the same order.
_FINGERPRINT = "fp_clarifai_mock"
_NOT_DONE = b',"logprobs":null,"finish_reason":null}]'
_ROLE = b'{"role":"assistant",'

Piece = tuple[bytes, int]  # a piece of JSON, and the tokens (words) it carries for pacing
Run = tuple[bytes, Sequence[Piece], bytes]  # deltas that share what comes before and after their piece


def json_pieces(text: str, words_per_chunk: int) -> tuple[Piece, ...]:
    """The pieces of ``split_text`` encoded as JSON strings, each with its word count (a text of only whitespace is
    one piece of one word)."""
    if len(text) <= CACHED_CHARS:
        return _remembered_pieces(text, words_per_chunk)
    return _encoded_pieces(text, words_per_chunk)


CACHED_CHARS = 2000


@lru_cache(maxsize=128)
def _remembered_pieces(text: str, words_per_chunk: int) -> tuple[Piece, ...]:
    """Remembered: a scripted reply comes back on request after request, and splitting it is most of the cost of
    its frames (bounded: 128 texts of at most ``CACHED_CHARS`` characters)."""
    return _encoded_pieces(text, words_per_chunk)


def _encoded_pieces(text: str, words_per_chunk: int) -> tuple[Piece, ...]:
    words = _WORDS.findall(text)
    groups = (words[i : i + words_per_chunk] for i in range(0, len(words), words_per_chunk))
    return tuple((json_bytes("".join(group)), len(group)) for group in groups)


def _call_head(position: int, call: ToolCall, arguments: str) -> JSON:
    return {
        "index": position,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def _tool_runs(calls: tuple[ToolCall, ...], script: StreamScript) -> list[Run]:
    runs: list[Run] = []
    for position, call in enumerate(calls):
        arguments = call.arguments if script.tool_arguments == "whole" else ""
        head = json_bytes({"tool_calls": [_call_head(position, call, arguments)]})
        runs.append((b"{", [(head[1:], 1)], b""))
        if script.tool_arguments == "whole":
            continue
        size = script.arguments_chunk_chars
        fragments = [(json_bytes(call.arguments[at : at + size]), 1) for at in range(0, len(call.arguments), size)]
        runs.append((b'{"tool_calls":[{"index":%d,"function":{"arguments":' % position, fragments, b"}}]}"))
    return runs


def _choice_runs(choice: Choice, script: StreamScript) -> list[Run]:
    """Reasoning, refusal, content, then tool-call deltas, the role in the first one only (the SDK's accumulator
    concatenates repeated strings)."""
    runs: list[Run] = []
    for key, text in (
        (b"reasoning_content", choice.reasoning),
        (b"refusal", choice.refusal),
        (b"content", choice.content),
    ):
        if text:
            runs.append((b'{"' + key + b'":', json_pieces(text, script.chunk_tokens), b"}"))
    runs += _tool_runs(choice.tool_calls, script)
    runs = [run for run in runs if run[1]]
    if not runs:
        return [(_ROLE, [(b'"content":""}', 1)], b"")]
    opening, pieces, closing = runs[0]
    return [(_ROLE + opening[1:], pieces[:1], closing), (opening, pieces[1:], closing), *runs[1:]]


T = TypeVar("T")


class _ByChoices(Generic[T]):
    """What was rendered for a completion, kept by the identity of its choices plus the other values in its key: a
    completion reused for a body sent again (``turn.chat.completed``) shares its choices with the first one. Bounded;
    an entry holds its choices, so their id names no other object while it is kept."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[tuple[Choice, ...], tuple[object, ...], T]] = {}

    def get(self, choices: tuple[Choice, ...], *rest: object) -> T | None:
        kept = self._kept.get(id(choices))
        return kept[2] if kept is not None and kept[0] is choices and kept[1] == rest else None

    def put(self, choices: tuple[Choice, ...], rest: tuple[object, ...], value: T) -> None:
        if len(self._kept) >= 256:
            self._kept.clear()
        self._kept[id(choices)] = (choices, rest, value)  # holding the choices keeps their id theirs


_FRAME_TAILS: _ByChoices[tuple[list[bytes], list[int]]] = _ByChoices()


def render_chunks(completion: Completion, script: StreamScript, include_usage: bool) -> tuple[list[bytes], list[int]]:
    """Every chunk as its SSE frame, in order (each choice's deltas, its finish chunk, then optionally the usage
    chunk), and the tokens each carries.

    Every frame is the completion's head (id, ``created``, model) and a tail that follows from the choices, usage
    and chunking alone; a completion reused for a body sent again (``turn.chat.completed``) shares those, so its
    tails are rendered once and each later stream only puts its own head in front of them.
    """
    shared = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created}
    head = b"data: " + json_bytes({**shared, "model": completion.model, "system_fingerprint": _FINGERPRINT})[:-1]
    head += b',"choices":['
    chunking = (script.chunk_tokens, script.tool_arguments, script.arguments_chunk_chars)
    rest = (completion.usage, completion.model, *chunking, include_usage)
    kept = _FRAME_TAILS.get(completion.choices, *rest)
    if kept is not None:
        return [head + tail for tail in kept[0]], list(kept[1])
    frames, tokens = _render(completion, head, script, include_usage)
    _FRAME_TAILS.put(completion.choices, rest, ([frame[len(head) :] for frame in frames], list(tokens)))
    return frames, tokens


def _render(
    completion: Completion, head: bytes, script: StreamScript, include_usage: bool
) -> tuple[list[bytes], list[int]]:
    tail = b',"usage":null}\n\n' if include_usage else b"}\n\n"
    frames: list[bytes] = []
    tokens: list[int] = []
    for choice in completion.choices:
        before = head + b'{"index":%d,"delta":' % choice.index
        for opening, pieces, closing in _choice_runs(choice, script):
            start, end = before + opening, closing + _NOT_DONE + tail
            frames += [start + piece + end for piece, _ in pieces]
            tokens += [count for _, count in pieces]
        finish = json_bytes(choice.finish_reason)
        frames.append(before + b'{},"logprobs":null,"finish_reason":' + finish + b"}]" + tail)
        tokens.append(0)
    if include_usage:
        frames.append(head + b'],"usage":' + json_bytes(completion.usage.to_wire()) + b"}\n\n")
        tokens.append(0)
    return frames, tokens


def build_frames(completion: Completion, script: StreamScript, include_usage: bool) -> list[Frame]:
    """The chunks of ``render_chunks`` as objects, for reading them rather than sending them."""
    frames, tokens = render_chunks(completion, script, include_usage)
    return [Frame(orjson.loads(frame[6:-2]), count) for frame, count in zip(frames, tokens, strict=True)]


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
        "system_fingerprint": _FINGERPRINT,
    }


_BODY_TAILS: _ByChoices[bytes] = _ByChoices()
_MODEL_KEY = b',"model":'


def completion_json(completion: Completion) -> bytes:
    """``completion_body`` as JSON bytes. All after ``created`` follows from the model, choices and usage, which a
    completion reused for a body sent again shares with the first one (``turn.chat.completed``): that part is
    encoded once and each later answer only writes its own id and timestamp in front of it."""
    kept = _BODY_TAILS.get(completion.choices, completion.usage, completion.model)
    if kept is None:
        encoded = json_bytes(completion_body(completion))
        kept = encoded[encoded.index(_MODEL_KEY) :]
        _BODY_TAILS.put(completion.choices, (completion.usage, completion.model), kept)
    head = b'{"id":' + orjson.dumps(completion.id) + b',"object":"chat.completion","created":'
    return head + str(completion.created).encode() + kept  # joined: bytes of exactly their size (``Answer.compact``)


def chat_stream(
    completion: Completion, script: StreamScript, include_usage: bool, error_body: Callable[[], JSON]
) -> Stream:
    """The chat SSE stream: ``data:`` chunks, then ``data: [DONE]``; an ``error`` fault sends ``error_body``."""
    frames, tokens = render_chunks(completion, script, include_usage)
    return Stream(
        pieces=frames,
        waits=token_waits(tokens, script),
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
