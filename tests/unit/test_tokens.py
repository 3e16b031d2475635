"""The tokenizer gives back the file pages its tables were unpacked from, and still counts the same afterwards."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from mockserver.clarifai import tokens

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc only")


def _resident_kib(library: Path) -> dict[str, int]:
    """Rss of each of ``library``'s mappings, keyed by permissions and file offset."""
    resident, key = {}, None
    for line in Path("/proc/self/smaps").read_text().splitlines():
        parts = line.split()
        if not parts[0].endswith(":"):
            key = f"{parts[1]} {parts[2]}" if len(parts) > 5 and parts[5] == str(library) else None
        elif key is not None and parts[0] == "Rss:":
            resident[key] = int(parts[1])
    return resident


def test_loading_an_encoding_leaves_its_packed_tables_out_of_memory_and_counts_stay_exact() -> None:
    counter = tokens.counter_for("o200k_base", exact=True)
    library = Path(sys.modules[tokens._BINDINGS].__file__ or "").resolve()
    resident = _resident_kib(library)
    tables = resident["r--p 00000000"]  # the read-only section the tables are unpacked from: ~32 MiB when read
    assert tables < 4 * 1024, resident
    texts = ("hello world", "héllo 世界", "tokens, tokens and tokens")
    assert [counter.count(text) for text in texts] == [2, 3, 5]  # as bpe-openai's own Python wrapper counts them
    assert _resident_kib(library)["r--p 00000000"] < 4 * 1024  # counting did not read them back in


def test_pages_holding_private_data_are_never_unmapped() -> None:
    tokens.counter_for("o200k_base", exact=True)
    library = Path(sys.modules[tokens._BINDINGS].__file__ or "").resolve()
    for start, end in tokens._clean_read_only(library):
        mapping = next(
            line for line in Path("/proc/self/maps").read_text().splitlines() if line.startswith(f"{start:x}-{end:x} ")
        )
        assert mapping.split()[1] == "r--p"
    writable = [k for k in _resident_kib(library) if k.split()[0] != "r--p"]
    assert writable  # the library has code and data mappings, which stay


def _touch(start: int, end: int) -> None:
    """Read one byte of every page in the range, faulting it back into memory."""
    import ctypes

    for address in range(start, end, 4096):
        ctypes.c_char.from_address(address).value  # noqa: B018 - the read is the point


def test_on_a_server_loop_the_pages_go_once_the_loading_request_is_answered() -> None:
    tokens.counter_for("o200k_base", exact=True)
    library = Path(sys.modules[tokens._BINDINGS].__file__ or "").resolve()
    (start, end), *_ = tokens._clean_read_only(library)
    _touch(start, end)
    assert _resident_kib(library)["r--p 00000000"] > 16 * 1024  # read back in: the library's tables are in there

    async def load() -> tuple[int, int]:
        tokens._rust("o200k_base")  # what a request's first count runs
        during = _resident_kib(library)["r--p 00000000"]
        await asyncio.sleep(0)  # the loop is free again
        return during, _resident_kib(library)["r--p 00000000"]

    during, after = asyncio.run(load())
    assert during > 16 * 1024
    assert after < 4 * 1024
