"""The observer the pipeline calls: it keeps a reply's body or a stream's timed frames (bounded), counts streams in
flight, closes the writer when the client stops reading, and keeps hit counts until a full reset."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from mockserver.journal import FRAME_LIMIT, JournalEntry
from mockserver.observe.observer import BODY_LIMIT, Observer


@dataclass
class FakeReply:
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    compact: bool = False


def test_a_stream_sent_as_one_body_is_kept_as_its_frames() -> None:
    entry, observer = JournalEntry(), Observer()
    body = b'data: {"a":1}\n\ndata: [DONE]\n\n'
    observer.answered(entry, FakeReply(body=body, headers={"content-type": "text/event-stream"}))
    entry.latency_ms = 2.5  # the pipeline journals the entry once the answer is ready
    observer.journaled(entry)
    read = entry.to_json()
    assert read["frames"] == [{"ms": 2.5, "data": 'data: {"a":1}\n\n'}, {"ms": 2.5, "data": "data: [DONE]\n\n"}]
    assert read["frames_dropped"] == 0
    assert read["response"] is None
    assert "stream_body" not in read
    assert entry.body is None
    assert entry.to_json()["frames"] == read["frames"]  # read again: the same frames, not cut twice


def test_a_stream_sent_as_one_body_keeps_frames_up_to_the_limit() -> None:
    entry = JournalEntry()
    body = b"".join(b"data: %d\n\n" % index for index in range(FRAME_LIMIT + 3))
    Observer().answered(entry, FakeReply(body=body, headers={"content-type": "text/event-stream"}))
    read = entry.to_json()
    assert [frame["data"] for frame in read["frames"]] == [f"data: {index}\n\n" for index in range(FRAME_LIMIT)]
    assert read["frames_dropped"] == 3


def _in_flight(observer: Observer) -> float | None:
    return observer.metrics.registry.get_sample_value("clarifai_mock_streams_in_flight")


def test_a_whole_body_is_kept_up_to_the_limit_and_decoded_when_read() -> None:
    entry = JournalEntry()
    Observer().answered(entry, FakeReply(body=b'{"id":"x"}'))
    assert entry.to_json()["response"] == {"id": "x"}
    big = JournalEntry()
    Observer().answered(big, FakeReply(body=b'{"data":"' + b"a" * BODY_LIMIT + b'"}'))
    assert big.body is not None
    assert len(big.body) == BODY_LIMIT
    assert big.to_json()["response"]["text"].startswith('{"data":"aaa')  # cut short: kept as text


def test_a_stream_keeps_its_frames_in_order_and_counts_those_past_the_limit() -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for index in range(FRAME_LIMIT + 7):
            yield f"data: {index}\n\n".encode()

    observer, entry = Observer(), JournalEntry()
    reply = FakeReply(stream=pieces())
    observer.answered(entry, reply)
    assert reply.stream is not None

    async def read_all(stream: AsyncIterator[bytes]) -> list[bytes]:
        seen = []
        async for piece in stream:
            assert entry.streaming
            assert _in_flight(observer) == 1
            seen.append(piece)
        return seen

    seen = asyncio.run(read_all(reply.stream))
    assert len(seen) == FRAME_LIMIT + 7
    assert [f["data"] for f in entry.frames] == [p.decode() for p in seen[:FRAME_LIMIT]]
    assert entry.frames_dropped == 7
    times = [f["ms"] for f in entry.frames]
    assert times == sorted(times)
    assert not entry.streaming
    assert _in_flight(observer) == 0


def test_a_client_that_stops_reading_ends_the_writer_and_the_gauge() -> None:
    closed: list[bool] = []

    async def pieces() -> AsyncIterator[bytes]:
        try:
            for _ in range(100):
                yield b"data: x\n\n"
        finally:
            closed.append(True)

    observer = Observer()
    reply = FakeReply(stream=pieces())
    observer.answered(JournalEntry(), reply)

    async def read_one_then_hang_up(stream: AsyncIterator[bytes]) -> None:
        iterator = aiter(stream)
        await anext(iterator)
        await iterator.aclose()  # type: ignore[attr-defined]

    assert reply.stream is not None
    asyncio.run(read_one_then_hang_up(reply.stream))
    assert closed == [True]
    assert _in_flight(observer) == 0


def test_hit_counts_are_per_namespace_and_kept_until_forgotten() -> None:
    observer = Observer()
    for namespace in ("a", "a", "b", None):
        observer.journaled(JournalEntry(namespace=namespace, endpoint="chat.completions", fixture="hello"))
    observer.journaled(JournalEntry(namespace="a", endpoint="chat.completions", generated=True))
    assert observer.hits() == {"hello": 4}
    assert observer.hits("a") == {"hello": 2}
    observer.forget()
    assert observer.hits() == {}


def test_a_stream_sent_as_one_body_keeps_its_first_frames_and_counts_the_rest() -> None:
    entry, observer = JournalEntry(), Observer()
    sent = [f"data: {index}\n\n" for index in range(FRAME_LIMIT + 3)]
    observer.answered(entry, FakeReply(body="".join(sent).encode(), headers={"content-type": "text/event-stream"}))
    entry.latency_ms = 1.25
    observer.journaled(entry)
    assert entry.frames == [{"ms": 1.25, "data": text} for text in sent[:FRAME_LIMIT]]
    assert entry.frames_dropped == 3
    assert entry.to_json()["frames"] == entry.frames


def test_a_kept_body_is_a_copy_of_its_own_size() -> None:
    # orjson's bytes keep their whole write buffer; the journal must not hold on to it
    body = b'{"id":"chatcmpl-1","object":"chat.completion"}'
    entry = JournalEntry()
    Observer().answered(entry, FakeReply(body=body))
    assert entry.body == body
    assert entry.body is not body


def test_a_compact_body_is_kept_as_it_is_unless_it_is_past_the_limit() -> None:
    body = b'{"id":"chatcmpl-1"}'
    kept, big = JournalEntry(), JournalEntry()
    Observer().answered(kept, FakeReply(body=body, compact=True))
    Observer().answered(big, FakeReply(body=b"x" * (BODY_LIMIT + 1), compact=True))
    assert kept.body is body
    assert big.body is not None
    assert len(big.body) == BODY_LIMIT


def test_the_journal_shows_an_entry_with_the_same_keys_in_the_same_order() -> None:
    shown = JournalEntry().to_json()
    assert list(shown) == [
        *("seq", "time", "namespace", "method", "path", "endpoint", "model", "pat", "fixture", "generated"),
        *("near_miss", "warnings", "status", "stream", "usage", "cost_usd", "latency_ms", "retry_count"),
        *("request", "response", "frames", "frames_dropped", "streaming", "error"),
    ]
    assert shown["frames"] == []
