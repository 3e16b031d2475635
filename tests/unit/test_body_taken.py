"""Which request bodies the protocol takes out of uvicorn's request cycle for the guard's reader (``protocol.http``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT

from mockserver.protocol.http import _taken


@dataclass
class Cycle:
    """The parts of uvicorn's ``RequestResponseCycle`` that ``_taken`` reads and writes."""

    body: bytearray = field(default_factory=bytearray)
    waiting_for_100_continue: bool = False


def test_a_whole_small_body_is_taken_and_the_cycle_left_as_uvicorns_receive_leaves_it() -> None:
    cycle = Cycle(bytearray(b'{"model": "m"}'))
    assert _taken(cycle) == b'{"model": "m"}'
    assert cycle.body == bytearray()


def test_an_empty_body_is_taken_as_empty_bytes() -> None:
    found = _taken(Cycle())
    assert isinstance(found, bytes)  # not True, which would mean: held, read it through uvicorn's receive
    assert found == b""


def test_a_client_waiting_for_100_continue_keeps_its_body_in_the_cycle() -> None:
    cycle = Cycle(bytearray(b"{}"), waiting_for_100_continue=True)
    assert _taken(cycle) is True
    assert cycle.body == bytearray(b"{}")


def test_a_body_past_the_high_water_mark_keeps_its_body_in_the_cycle() -> None:
    big = bytearray(b"x" * (HIGH_WATER_LIMIT + 1))
    cycle = Cycle(big)
    assert _taken(cycle) is True
    assert cycle.body is big
    assert _taken(Cycle(bytearray(b"x" * HIGH_WATER_LIMIT))) == b"x" * HIGH_WATER_LIMIT  # at the mark: not paused
