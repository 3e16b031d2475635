"""Small deterministic PNG images (a vertical gradient picked from a seed), written without an imaging library."""

from __future__ import annotations

import random
import re
import struct
import zlib

_SIZE = re.compile(r"([0-9]{1,6})x([0-9]{1,6})")
MAX_SIDE = 256  # generated pictures are scaled down to keep replies small; the requested size is only a hint


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def gradient_png(seed: int, width: int, height: int) -> bytes:
    """An RGB PNG of at most ``MAX_SIDE`` pixels a side (scaled down with its aspect ratio kept), fading between two
    colours chosen from ``seed``."""
    width, height = fit(width, height)
    rng = random.Random(seed)
    top = [rng.randrange(256) for _ in range(3)]
    bottom = [rng.randrange(256) for _ in range(3)]
    rows = []
    for y in range(height):
        mix = y / max(1, height - 1)
        color = bytes(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + color * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def fit(width: int, height: int) -> tuple[int, int]:
    """The size scaled down to at most ``MAX_SIDE`` a side, keeping the aspect ratio (and 1 pixel at least)."""
    scale = min(1.0, MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def parse_size(size: str | None) -> tuple[int, int]:
    """``"1024x768"`` → ``(1024, 768)``; anything else (``"auto"``, ``"²x²"``, 5000 digits) → 1024 square."""
    found = _SIZE.fullmatch(size or "")
    if found:
        return int(found.group(1)), int(found.group(2))
    return 1024, 1024
