"""The server's transport wrapper: writes made in one turn of the event loop leave as one, and nothing is lost or
sent to a closed connection."""

from __future__ import annotations

import asyncio
from typing import Any

from mockserver.protocol.coalesced import COALESCE_LIMIT, Coalesced


class Recording:
    """A transport that records what it is asked to do."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else default


def run(steps: Any) -> Recording:
    async def main() -> Recording:
        transport = Recording()
        await steps(Coalesced(transport, asyncio.get_running_loop()), transport)  # type: ignore[arg-type]
        return transport

    return asyncio.run(main())


def test_a_head_and_body_written_in_one_turn_leave_as_one_write_at_its_end() -> None:
    async def steps(coalesced: Coalesced, transport: Recording) -> None:
        coalesced.write(b"HTTP/1.1 200 OK\r\n\r\n")
        coalesced.write(bytearray(b"body"))  # a buffer the writer may reuse is copied
        assert transport.writes == []
        await asyncio.sleep(0)
        assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        coalesced.writelines([b"next", b" turn"])
        await asyncio.sleep(0)
        assert transport.writes[1:] == [b"next turn"]

    run(steps)


def test_past_the_limit_bytes_leave_at_once_so_flow_control_still_sees_them() -> None:
    async def steps(coalesced: Coalesced, transport: Recording) -> None:
        coalesced.write(b"x" * (COALESCE_LIMIT + 1))
        assert [len(w) for w in transport.writes] == [COALESCE_LIMIT + 1]
        await asyncio.sleep(0)
        assert len(transport.writes) == 1

    run(steps)


def test_close_sends_what_is_held_and_abort_drops_it() -> None:
    async def close(coalesced: Coalesced, transport: Recording) -> None:
        coalesced.write(b"last words")
        coalesced.close()
        assert (transport.writes, transport.closed) == ([b"last words"], True)
        await asyncio.sleep(0)
        assert transport.writes == [b"last words"]

    async def abort(coalesced: Coalesced, transport: Recording) -> None:
        coalesced.write(b"never sent")
        coalesced.abort()
        await asyncio.sleep(0)
        assert (transport.writes, transport.aborted) == ([], True)

    run(close)
    run(abort)


def test_bytes_for_a_connection_that_closed_meanwhile_are_dropped_and_the_rest_is_the_real_transport() -> None:
    async def steps(coalesced: Coalesced, transport: Recording) -> None:
        coalesced.write(b"too late")
        transport.closed = True  # the client went away before the turn ended
        await asyncio.sleep(0)
        assert transport.writes == []
        assert coalesced.get_extra_info("peername") == ("127.0.0.1", 1)
        assert coalesced.is_closing()

    run(steps)
