"""The stream writer sends an unpaced, fault-free stream in one write, and anything timed or faulted piece by piece."""

from __future__ import annotations

import asyncio

from mockserver.schema import StreamScript
from mockserver.wire.stream import Stream, write

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
