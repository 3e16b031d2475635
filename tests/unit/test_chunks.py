"""Cutting a finished completion into stream chunks: text splits losslessly, and the chunk rules hold."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.chat import ChatCompletionChunk

from mockserver import StreamScript
from mockserver.clarifai.usage import Usage
from mockserver.engine.responder import Choice, Completion, ToolCall
from mockserver.wire import chat_render
from mockserver.wire.chat_render import (
    CACHED_CHARS,
    build_frames,
    completion_body,
    completion_json,
    render_chunks,
    split_text,
)

TEXTS = [
    "",
    "word",
    "Hello, world!",
    "  leading and trailing  ",
    "multiple   spaces\tand\ttabs",
    "lines\nand\n\nparagraphs\r\n",
    "Unicode: Bogotá, São Paulo, 東京 — and emoji 🌦️!",
    "   ",
    "\n",
    "x" * 500,
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("words", [1, 2, 3, 7])
def test_split_joins_back_exactly(text: str, words: int) -> None:
    pieces = split_text(text, words)
    assert "".join(pieces) == text
    assert all(pieces)


def test_split_sizes() -> None:
    text = "one two three four five six seven"
    assert len(split_text(text, 1)) == 7
    assert len(split_text(text, 2)) == 4
    assert len(split_text(text, 100)) == 1
    assert split_text(text, 3)[0] == "one two three "
    assert split_text("", 1) == []


def completion(*choices: Choice, usage: Usage | None = None) -> Completion:
    return Completion(
        id="chatcmpl-test",
        created=1767225600,
        model="openai/chat-completion/models/gpt-4o",
        choices=choices,
        usage=usage or Usage(prompt_tokens=11, completion_tokens=22),
    )


def text_choice(index: int = 0, content: str | None = "The sky is blue today.", **extra: Any) -> Choice:
    fields: dict[str, Any] = {
        "index": index,
        "content": content,
        "reasoning": None,
        "tool_calls": (),
        "finish_reason": "stop",
        "reasoning_tokens": 0,
        "output_tokens": 5,
    }
    return Choice(**(fields | extra))


CALLS = (
    ToolCall(id="call_a", name="get_weather", arguments='{"location":"Lyon, France","unit":"celsius"}'),
    ToolCall(id="call_b", name="get_time", arguments='{"tz":"Europe/Paris"}'),
)


def frames_of(done: Completion, script: StreamScript | None = None, include_usage: bool = True) -> list[dict[str, Any]]:
    chunks = [frame.data for frame in build_frames(done, script or StreamScript(), include_usage)]
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
        json.dumps(chunk)
    return chunks


def deltas_of(chunks: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    return [c["delta"] for chunk in chunks for c in chunk["choices"] if c["index"] == index]


def test_text_frames() -> None:
    chunks = frames_of(completion(text_choice()))
    assert {(c["id"], c["created"], c["model"], c["object"]) for c in chunks} == {
        ("chatcmpl-test", 1767225600, "openai/chat-completion/models/gpt-4o", "chat.completion.chunk")
    }
    deltas = deltas_of(chunks, 0)
    assert deltas[0]["role"] == "assistant"
    assert all("role" not in d for d in deltas[1:])
    assert "".join(d.get("content", "") for d in deltas) == "The sky is blue today."
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * (len(chunks) - 2) + ["stop"]
    assert chunks[-2]["choices"][0]["delta"] == {}
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 33
    assert all(c["usage"] is None for c in chunks[:-1])


def test_without_usage_there_is_no_usage_key() -> None:
    chunks = frames_of(completion(text_choice()), include_usage=False)
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_chunk_size_follows_the_script() -> None:
    one = frames_of(completion(text_choice()), StreamScript(chunk_tokens=1))
    three = frames_of(completion(text_choice()), StreamScript(chunk_tokens=3))
    assert len(one) == 5 + 2  # five words, the finish chunk, the usage chunk
    assert len(three) == 2 + 2


def test_empty_reply_still_announces_the_role() -> None:
    chunks = frames_of(completion(text_choice(content="", finish_reason="length")))
    assert deltas_of(chunks, 0)[0] == {"role": "assistant", "content": ""}
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize("size", [1, 5, 8, 1000])
def test_tool_call_fragments(size: int) -> None:
    choice = text_choice(content=None, tool_calls=CALLS, finish_reason="tool_calls")
    chunks = frames_of(completion(choice), StreamScript(arguments_chunk_chars=size))
    deltas = deltas_of(chunks, 0)
    assert deltas[0]["role"] == "assistant"
    seen: dict[int, str] = {}
    for delta in deltas[:-1]:
        (call,) = delta["tool_calls"]
        if call["index"] not in seen:
            assert call["id"] == CALLS[call["index"]].id
            assert call["type"] == "function"
            assert call["function"] == {"name": CALLS[call["index"]].name, "arguments": ""}
            seen[call["index"]] = ""
        else:
            assert set(call) == {"index", "function"}
            assert set(call["function"]) == {"arguments"}
            assert 0 < len(call["function"]["arguments"]) <= size
            seen[call["index"]] += call["function"]["arguments"]
    assert [seen[0], seen[1]] == [CALLS[0].arguments, CALLS[1].arguments]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_whole_tool_calls() -> None:
    choice = text_choice(content=None, tool_calls=CALLS, finish_reason="tool_calls")
    deltas = deltas_of(frames_of(completion(choice), StreamScript(tool_arguments="whole")), 0)
    assert len(deltas) == 3
    assert [d["tool_calls"][0]["function"]["arguments"] for d in deltas[:2]] == [c.arguments for c in CALLS]


def test_reasoning_comes_first() -> None:
    choice = text_choice(reasoning="Let me think. Okay.", reasoning_tokens=6)
    deltas = deltas_of(frames_of(completion(choice)), 0)
    assert deltas[0] == {"role": "assistant", "reasoning_content": "Let "}
    kinds = [next(iter(d.keys() - {"role"}), None) for d in deltas]
    assert kinds == ["reasoning_content"] * 4 + ["content"] * 5 + [None]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "Let me think. Okay."


def test_choices_stream_one_after_another() -> None:
    chunks = frames_of(completion(text_choice(0, "First answer."), text_choice(1, "Second one here.")))
    order = [chunk["choices"][0]["index"] for chunk in chunks[:-1]]
    assert order == sorted(order)
    for index, text in ((0, "First answer."), (1, "Second one here.")):
        deltas = deltas_of(chunks, index)
        assert deltas[0]["role"] == "assistant"
        assert all("role" not in d for d in deltas[1:])
        assert "".join(d.get("content", "") for d in deltas) == text
    finishes = [(c["choices"][0]["index"], c["choices"][0]["finish_reason"]) for c in chunks[:-1]]
    assert [f for f in finishes if f[1]] == [(0, "stop"), (1, "stop")]
    assert finishes.index((0, "stop")) == len(deltas_of(chunks, 0)) - 1


CHUNK_KEYS = ["id", "object", "created", "model", "system_fingerprint", "choices"]
CHOICE_KEYS = ["index", "delta", "logprobs", "finish_reason"]
AWKWARD = 'quotes " and \\ backslash, </script>, \u2028 line sep, \x01 control, é, 東京, 🌦️  ' * 3


@pytest.mark.parametrize("include_usage", [True, False])
@pytest.mark.parametrize(
    "choice",
    [
        text_choice(content=AWKWARD, reasoning=AWKWARD),
        text_choice(content=None, refusal=AWKWARD, finish_reason="content_filter"),
        text_choice(content="", tool_calls=CALLS, finish_reason="tool_calls"),
        text_choice(content="word " * (CACHED_CHARS // 5 + 1)),  # too long to be remembered: split each time
    ],
)
def test_spliced_frames_are_the_compact_json_of_the_chunk_with_keys_in_order(
    choice: Choice, include_usage: bool
) -> None:
    done = Completion('chatcmpl-"quoted"', 1767225600, "model \\ é", (choice,), Usage(3, 4))
    frames, tokens = render_chunks(done, StreamScript(chunk_tokens=2, arguments_chunk_chars=5), include_usage)
    assert len(tokens) == len(frames)
    for frame in frames:
        assert frame.startswith(b"data: ")
        assert frame.endswith(b"\n\n")
        chunk = json.loads(frame[6:-2])
        ChatCompletionChunk.model_validate(chunk)
        # What encoding the whole chunk object at once gives, byte for byte: compact, UTF-8, keys in this order.
        canonical = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
        assert frame[6:-2] == canonical
        assert list(chunk) == CHUNK_KEYS + (["usage"] if include_usage else [])
        assert (chunk["id"], chunk["model"], chunk["system_fingerprint"]) == (done.id, done.model, "fp_clarifai_mock")
        for body in chunk["choices"]:
            assert list(body) == CHOICE_KEYS
    deltas = [json.loads(frame[6:-2])["choices"] for frame in frames]
    texts = [d[0]["delta"] for d in deltas if d]
    assert "".join(t.get("content") or "" for t in texts) == (choice.content or "")
    assert "".join(t.get("reasoning_content") or "" for t in texts) == (choice.reasoning or "")
    assert "".join(t.get("refusal") or "" for t in texts) == (choice.refusal or "")


def test_each_text_chunk_carries_its_words_as_tokens() -> None:
    _, tokens = render_chunks(
        completion(text_choice(content="one two three four five")), StreamScript(chunk_tokens=2), True
    )
    assert tokens == [2, 2, 1, 0, 0]  # three content chunks, the finish chunk, the usage chunk
    _, blank = render_chunks(completion(text_choice(content="   ")), StreamScript(chunk_tokens=2), False)
    assert blank == [1, 0]


AWKWARD = 'quotes " and \\ back, U+2028 \u2028, a tab\t and 🌤'


@pytest.mark.parametrize("content", ["The sky is blue today.", AWKWARD, ""])
def test_a_whole_body_reused_for_a_new_id_is_the_encoding_of_the_whole_object(content: str) -> None:
    first = completion(
        text_choice(content=content), text_choice(1, content=None, tool_calls=(ToolCall("c1", "f", "{}"),))
    )
    again = Completion("chatcmpl-second", 1767225601, first.model, first.choices, first.usage)
    for done in (first, again, first):
        assert (
            completion_json(done)
            == json.dumps(completion_body(done), ensure_ascii=False, separators=(",", ":")).encode()
        )


def test_a_whole_body_with_the_same_choices_but_another_model_or_usage_is_encoded_afresh() -> None:
    first = completion(text_choice())
    completion_json(first)
    renamed = Completion(first.id, first.created, "another/model", first.choices, first.usage)
    recounted = Completion(
        first.id, first.created, first.model, first.choices, Usage(prompt_tokens=1, completion_tokens=2)
    )
    assert json.loads(completion_json(renamed))["model"] == "another/model"
    assert json.loads(completion_json(recounted))["usage"]["completion_tokens"] == 2


@pytest.mark.parametrize("include_usage", [True, False])
def test_frames_reused_for_a_new_id_are_the_frames_rendered_afresh(
    include_usage: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = completion(text_choice(content=AWKWARD), text_choice(1, content=None, tool_calls=CALLS))
    again = Completion("chatcmpl-second", 1767225601, first.model, first.choices, first.usage)
    script = StreamScript(chunk_tokens=2, arguments_chunk_chars=5)
    render_chunks(first, script, include_usage)  # remembered
    reused = render_chunks(again, script, include_usage)
    monkeypatch.setattr(chat_render, "_FRAME_TAILS", chat_render._ByChoices())  # forget: render afresh
    assert reused == render_chunks(again, script, include_usage)
    assert all(b'"id":"chatcmpl-second"' in frame and b'"created":1767225601' in frame for frame in reused[0])
    other = render_chunks(again, StreamScript(chunk_tokens=3, arguments_chunk_chars=5), include_usage)
    assert len(other[0]) < len(reused[0])  # another chunking is not served from the memo


def test_a_new_completion_never_gets_the_rendering_of_one_that_is_gone() -> None:
    # Remembered renderings are found by the id of the choices; CPython gives a freed tuple's id to the next tuple
    # of its size, so the memo must hold the choices it keeps (else this gets the text before).
    for text in ("first text", "second text", "third text", "fourth text"):
        done = completion(text_choice(content=text))
        assert json.loads(completion_json(done))["choices"][0]["message"]["content"] == text
        frames, _ = render_chunks(done, StreamScript(chunk_tokens=10), False)
        assert json.loads(frames[0][6:-2])["choices"][0]["delta"]["content"] == text
        del done, frames
