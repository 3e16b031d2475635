"""An unpaced, fault-free stream goes out as one body (one write); anything timed or faulted piece by piece."""

from __future__ import annotations

import asyncio

from mockserver import StreamScript
from mockserver.wire.stream import Stream, stream_answer, write

PIECES = [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"]
END = b"data: [DONE]\n\n"


def written(script: StreamScript, waits: list[float] | None = None) -> list[bytes]:
    stream = Stream(PIECES, waits or [0.0] * len(PIECES), END, script, lambda _: b"data: error\n\n", b"data: {\n\n")

    async def collect() -> list[bytes]:
        return [piece async for piece in write(stream)]

    return asyncio.run(collect())


def test_an_unpaced_stream_is_one_write_of_the_same_bytes() -> None:
    assert written(StreamScript()) == [b"".join([*PIECES, END])]


def test_no_done_is_coalesced_without_the_end_piece() -> None:
    assert written(StreamScript(fault="no_done")) == [b"".join(PIECES)]


def test_keepalives_faults_and_pacing_keep_one_write_per_piece() -> None:
    assert written(StreamScript(keepalive_every=2)) == [*PIECES[:2], b": keep-alive\n\n", PIECES[2], END]
    assert written(StreamScript(fault="error", fault_after=1)) == [PIECES[0], b"data: error\n\n"]
    assert written(StreamScript(), waits=[0.0, 0.001, 0.0]) == [*PIECES, END]


def test_an_unpaced_stream_answers_one_whole_body_and_a_paced_one_streams() -> None:
    def stream(waits: list[float]) -> Stream:
        return Stream(PIECES, waits, END, StreamScript(), lambda _: b"", b"")

    whole = stream_answer(stream([0.0, 0.0, 0.0]), {"x-mock-fixture": "f"})
    assert (whole.stream, whole.body) == (None, b"".join([*PIECES, END]))
    assert whole.headers == {"x-mock-fixture": "f", "content-type": "text/event-stream", "cache-control": "no-cache"}
    paced = stream_answer(stream([0.0, 0.001, 0.0]), {})
    assert paced.stream is not None
    assert paced.body == b""
