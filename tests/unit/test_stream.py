"""The one stream writer: pacing from scripts and recordings, keep-alives, and the same fault rules on every surface."""

from __future__ import annotations

import asyncio
import json

import pytest
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from mockserver.clarifai.usage import Usage
from mockserver.engine.responder import Choice, Completion, ToolCall
from mockserver.schema import RecordedFrame, StreamScript
from mockserver.wire import sse
from mockserver.wire.chat_render import MALFORMED, build_frames, chat_stream, replayed_stream
from mockserver.wire.responses_render import ResponseShell, echo, responses_stream
from mockserver.wire.responses_request import ResponsesRequest
from mockserver.wire.stream import Frame, Stream, gaps, recorded_waits, write


def frames_for(text: str, script: StreamScript) -> list[Frame]:
    choice = Choice(0, text, None, (), "stop", 0, len(text.split()))
    completion = Completion("chatcmpl-x", 0, "m", (choice,), Usage(prompt_tokens=1, completion_tokens=1))
    return build_frames(completion, script, include_usage=True)


def test_gaps_follow_ttft_and_tokens_per_second() -> None:
    script = StreamScript(ttft_ms=250, tokens_per_second=40)
    frames = frames_for("a b c d", script)
    # 4 one-word content frames, the finish frame and the usage frame.
    assert gaps(frames, script) == [0.25, 0.025, 0.025, 0.025, 0.0, 0.0]


def test_gaps_count_the_words_of_each_chunk() -> None:
    script = StreamScript(tokens_per_second=10, chunk_tokens=3)
    frames = frames_for("one two three four five six seven", script)
    assert gaps(frames, script)[:3] == [0.0, pytest.approx(0.3), pytest.approx(0.1)]


def test_gaps_are_zero_without_pacing() -> None:
    script = StreamScript()
    assert set(gaps(frames_for("a b c", script), script)) == {0.0}


def test_jitter_is_seeded_and_bounded() -> None:
    script = StreamScript(ttft_ms=100, tokens_per_second=20, jitter=0.5, seed=7)
    frames = frames_for("lorem ipsum dolor sit amet consectetur adipiscing elit", script)
    first = gaps(frames, script)
    assert first == gaps(frames, script)
    assert first != gaps(frames, script.model_copy(update={"seed": 8}))
    plain = gaps(frames, script.model_copy(update={"jitter": 0}))
    assert first != plain
    for jittered, base in zip(first, plain, strict=True):
        assert base * 0.5 <= jittered <= base * 1.5


def sent(text: str, script: StreamScript) -> list[bytes]:
    choice = Choice(0, text, None, (), "stop", 0, len(text.split()))
    completion = Completion("chatcmpl-x", 0, "m", (choice,), Usage(prompt_tokens=1, completion_tokens=1))
    stream = chat_stream(completion, script, True, lambda: {"error": {"message": "boom"}})

    async def collect() -> list[bytes]:
        return [piece async for piece in write(stream)]

    return asyncio.run(collect())


@pytest.mark.parametrize("fault_after", [1, 99])
def test_faults_happen_even_when_scheduled_after_the_last_chunk(fault_after: int) -> None:
    script = StreamScript(fault="malformed", fault_after=fault_after)
    frames = frames_for("a b", script)
    pieces = sent("a b", script)
    assert pieces.count(MALFORMED) == 1
    assert pieces[-1] == b"data: [DONE]\n\n"
    assert len(pieces) == len(frames) + 2
    error = StreamScript(fault="error", fault_after=fault_after)
    assert sent("a b", error)[-1] == b'data: {"error":{"message":"boom"}}\n\n'


def collect(stream: Stream) -> list[bytes]:
    """The frames the writer sends, however it groups them into writes (an unpaced stream is one write)."""

    async def run() -> list[bytes]:
        return [piece async for piece in write(stream)]

    return [frame + b"\n\n" for frame in b"".join(asyncio.run(run())).split(b"\n\n") if frame]


def completion(text: str) -> Completion:
    choice = Choice(0, text, None, (), "stop", 0, len(text.split()))
    return Completion("resp_x", 0, "m", (choice,), Usage(prompt_tokens=1, completion_tokens=1))


def event_types(pieces: list[bytes]) -> list[str]:
    return [piece.split(b"\n", 1)[0].removeprefix(b"event: ").decode() for piece in pieces]


@pytest.mark.parametrize("fault_after", [0, 2, 99])
def test_a_responses_error_fault_ends_in_response_failed_and_never_completes(fault_after: int) -> None:
    script = StreamScript(fault="error", fault_after=fault_after)
    pieces = collect(responses_stream(ResponseShell("resp_x", 0, "m", {}), completion("a b c"), script))
    kinds = event_types(pieces)
    assert kinds[-1] == "response.failed"
    assert "response.completed" not in kinds
    failed = json.loads(pieces[-1].split(b"data: ", 1)[1])
    assert failed["sequence_number"] == len(pieces) - 1  # numbered where it strikes


def test_no_done_drops_only_the_end_piece_on_both_surfaces() -> None:
    script = StreamScript(fault="no_done")
    chat = collect(chat_stream(completion("a b"), script, True, dict))
    assert sse.DONE not in chat
    assert chat == collect(chat_stream(completion("a b"), StreamScript(), True, dict))[:-1]
    responses = collect(responses_stream(ResponseShell("r", 0, "m", {}), completion("a b"), script))
    assert "response.completed" not in event_types(responses)


def test_keepalives_go_between_pieces() -> None:
    pieces = collect(chat_stream(completion("a b c d"), StreamScript(keepalive_every=2), False, dict))
    assert pieces.count(sse.KEEPALIVE) == len([p for p in pieces if p != sse.KEEPALIVE and p != sse.DONE]) // 2 - 1 + 1
    assert pieces[0] != sse.KEEPALIVE


def test_recorded_offsets_become_gaps_scaled_by_speed() -> None:
    frames = [
        RecordedFrame(t_ms=100, data="{}"),
        RecordedFrame(t_ms=300, data="{}"),
        RecordedFrame(t_ms=300, data="[DONE]"),
    ]
    assert recorded_waits(frames, 1.0) == pytest.approx([0.1, 0.2, 0.0])
    assert recorded_waits(frames, 2.0) == pytest.approx([0.05, 0.1, 0.0])
    assert recorded_waits(frames, 0) == [0.0, 0.0, 0.0]


def test_a_replayed_stream_keeps_its_bytes_and_its_done() -> None:
    frames = [RecordedFrame(t_ms=0, data='{"a": 1}'), RecordedFrame(t_ms=0, data="[DONE]")]
    stream = replayed_stream(frames, 0, StreamScript())
    assert collect(stream) == [b'data: {"a": 1}\n\n', b"data: [DONE]\n\n"]
    broken = collect(replayed_stream(frames, 0, StreamScript(fault="malformed", fault_after=1)))
    assert broken == [b'data: {"a": 1}\n\n', MALFORMED, b"data: [DONE]\n\n"]


EVENTS: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)
ECHO = echo(ResponsesRequest.model_validate({"model": "m", "input": "hi", "instructions": 'say "hi" \\ é'}))
AWKWARD = 'quotes " and \\ backslash, \u2028 line sep, \x01 control, é, 東京, 🌦️  ' * 3


@pytest.mark.parametrize(
    "choice",
    [
        Choice(0, AWKWARD, AWKWARD, (), "stop", 0, 9),
        Choice(0, None, None, (), "content_filter", 0, 9, refusal=AWKWARD),
        Choice(0, None, None, (ToolCall("call_1", "f", '{"a": "b \\" c"}'),), "tool_calls", 0, 9),
        Choice(0, "cut short", None, (), "length", 0, 9),
    ],
)
def test_responses_events_are_the_compact_json_of_each_event_numbered_in_order(choice: Choice) -> None:
    done = Completion('resp_"x"', 0, "m \\ é", (choice,), Usage(prompt_tokens=1, completion_tokens=1))
    script = StreamScript(chunk_tokens=2, arguments_chunk_chars=4)
    pieces = collect(responses_stream(ResponseShell(done.id, 0, done.model, ECHO), done, script))
    for number, piece in enumerate(pieces):
        head, data = piece.removesuffix(b"\n\n").split(b"\ndata: ")
        event = json.loads(data)
        EVENTS.validate_python(event)
        # What encoding the whole event object at once gives, byte for byte: compact, UTF-8, keys in this order.
        assert data == json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        assert list(event)[:2] == ["type", "sequence_number"]
        assert (head.decode(), event["sequence_number"]) == (f"event: {event['type']}", number)
    final = json.loads(pieces[-1].split(b"data: ")[1])["response"]
    deltas = [json.loads(p.split(b"data: ")[1]) for p in pieces if p.split(b"\n")[0].endswith(b".delta")]
    assert "".join(d["delta"] for d in deltas) == "".join(
        part.get("text", part.get("refusal", ""))
        for item in final["output"]
        for part in item.get("content", item.get("summary", []))
    ) + "".join(item["arguments"] for item in final["output"] if item["type"] == "function_call")
