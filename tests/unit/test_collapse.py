"""``collapse``: recorded chunks and bodies back into a semantic ``Reply`` — the inverse of the responder."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.chat_request import parse_chat_request
from mockserver.clarifai.catalog import load_catalog
from mockserver.clarifai.tokens import TokenCounter
from mockserver.clarifai.usage import Usage
from mockserver.engine.ids import IdSource
from mockserver.engine.responder import Choice, Completion, ReplyContext, ToolCall, build_completion
from mockserver.fixtures.facts import read_conversation
from mockserver.fixtures.templating import render_reply, template_context
from mockserver.record.collapse import collapse_chunks, collapse_completion, collapse_error, usage_override
from mockserver.record.recorder import Exchange
from mockserver.schema import StreamScript, ToolCallSpec, UsageOverride
from mockserver.wire.chat_render import build_frames, completion_body

USAGE = Usage(prompt_tokens=31, completion_tokens=17, cached_tokens=4, reasoning_tokens=5)
CALLS = (
    ToolCall(id="call_abc123", name="get_weather", arguments='{"location": "Paris, France", "unit": "celsius"}'),
    ToolCall(id="call_def456", name="get_time", arguments='{"timezone": "Europe/Paris"}'),
)


def completion(content: str | None, calls: tuple[ToolCall, ...] = (), reasoning: str | None = None) -> Completion:
    finish = "tool_calls" if calls else "stop"
    choice = Choice(0, content, reasoning, calls, finish, reasoning_tokens=5, output_tokens=12)
    return Completion("chatcmpl-x", 1767225600, "gpt-4o", (choice,), USAGE)


def payloads(done: Completion, script: StreamScript, include_usage: bool = True) -> list[str]:
    frames = [json.dumps(frame.data) for frame in build_frames(done, script, include_usage)]
    return [*frames, "[DONE]"]


SCRIPTS = [
    StreamScript(),
    StreamScript(chunk_tokens=3),
    StreamScript(tool_arguments="whole"),
    StreamScript(arguments_chunk_chars=3),
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_text_stream_collapses_to_its_content_and_usage(script: StreamScript) -> None:
    reply = collapse_chunks(payloads(completion("It is 18 degrees and sunny in Paris today."), script))
    assert reply.content == "It is 18 degrees and sunny in Paris today."
    assert reply.tool_calls is None
    assert reply.finish_reason == "stop"
    assert reply.usage == UsageOverride(prompt_tokens=31, completion_tokens=17, cached_tokens=4, reasoning_tokens=5)


@pytest.mark.parametrize("script", SCRIPTS)
def test_parallel_tool_calls_merge_by_index(script: StreamScript) -> None:
    reply = collapse_chunks(payloads(completion(None, CALLS), script))
    assert reply.tool_calls == [ToolCallSpec(id=c.id, name=c.name, arguments=c.arguments) for c in CALLS]
    assert reply.content is None
    assert reply.finish_reason == "tool_calls"


def test_reasoning_and_content_are_kept_apart() -> None:
    reply = collapse_chunks(payloads(completion("Answer.", reasoning="First I think, then I answer."), StreamScript()))
    assert (reply.reasoning_content, reply.content) == ("First I think, then I answer.", "Answer.")


def test_non_streamed_body_collapses_to_the_same_reply() -> None:
    for done in (completion("Plain answer."), completion(None, CALLS), completion("x", reasoning="why")):
        assert collapse_completion(completion_body(done)) == collapse_chunks(payloads(done, StreamScript()))


def test_only_the_first_choice_is_kept_and_noise_is_skipped() -> None:
    second = {"choices": [{"index": 1, "delta": {"content": "other"}, "finish_reason": None}]}
    noise = ["not json", json.dumps(second), json.dumps([1, 2]), json.dumps({"choices": None})]
    reply = collapse_chunks([*noise, *payloads(completion("mine"), StreamScript(), include_usage=False)])
    assert reply.content == "mine"
    assert reply.usage is None


def test_an_empty_answer_stays_empty_rather_than_generated() -> None:
    assert collapse_chunks([]).content == ""
    assert collapse_completion({"choices": [{"index": 0, "message": {"content": None}}]}).content == ""


def test_unknown_finish_reasons_are_dropped() -> None:
    chunk = {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "eos_token"}]}
    assert collapse_chunks([json.dumps(chunk)]).finish_reason is None


def test_usage_details_the_upstream_leaves_out_count_as_zero() -> None:
    assert usage_override({"prompt_tokens": 3, "completion_tokens": 2}) == UsageOverride(
        prompt_tokens=3, completion_tokens=2, cached_tokens=0, reasoning_tokens=0
    )
    assert usage_override(None) is None


CLARIFAI_401: dict[str, Any] = {
    "status": {"code": 11008, "description": "Invalid API key", "details": "invalid key", "req_id": "a" * 32}
}
OPENAI_429: dict[str, Any] = {"error": {"message": "slow down", "type": "rate_limit_exceeded", "code": None}}


def test_errors_keep_status_verbatim_body_and_retry_headers() -> None:
    reply = collapse_error(429, OPENAI_429, {"retry-after": "2", "content-type": "application/json"})
    assert reply.error is not None
    assert (reply.error.status, reply.error.message, reply.error.body) == (429, "slow down", OPENAI_429)
    assert reply.headers == {"retry-after": "2"}
    native = collapse_error(401, CLARIFAI_401, {}).error
    assert native is not None
    assert (native.code, native.message, native.body) == (11008, "invalid key", CLARIFAI_401)


def test_an_error_body_that_is_not_json_becomes_the_message() -> None:
    error = collapse_error(502, "<html>Bad gateway</html>", {}).error
    assert error is not None
    assert (error.status, error.message, error.body) == (502, "<html>Bad gateway</html>", None)
    empty = collapse_error(500, "", {}).error
    assert empty is not None
    assert empty.message == "HTTP 500"


def test_frames_take_the_arrival_time_of_the_piece_that_completes_them() -> None:
    pieces = [(10.0, b'data: {"a"'), (25.0, b":1}\n\ndata: [DO"), (40.0, b"NE]\n\n")]
    exchange = Exchange(200, {"content-type": "text/event-stream"}, pieces)
    assert exchange.streamed
    assert exchange.timed_payloads() == [(25.0, '{"a":1}'), (40.0, "[DONE]")]
    assert exchange.body() == b'data: {"a":1}\n\ndata: [DONE]\n\n'


def test_recorded_text_is_sent_verbatim_not_templated() -> None:
    reply = collapse_chunks(payloads(completion("Use {{ last_user }} literally."), StreamScript()))
    assert reply.template is False

    request = parse_chat_request(
        {"model": "openai/chat-completion/models/gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    )
    model = load_catalog().resolve(request.model)
    ctx = ReplyContext(
        request, read_conversation(request), model, TokenCounter("heuristic", False), IdSource("h", 1), 1
    )
    # Templates are filled by the pipeline (render_reply), which leaves a verbatim reply as it is.
    context = template_context(ctx.conversation, request.model)
    assert render_reply(reply, context) == (reply, [])
    assert build_completion(ctx, reply).choices[0].content == "Use {{ last_user }} literally."
    filled, missing = render_reply(reply.model_copy(update={"template": True}), context)
    assert (filled.content, missing) == ("Use hi literally.", [])
