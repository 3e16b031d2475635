"""Identifiers and timestamps of replies: random by default, derived from a seed when pinned."""

from __future__ import annotations

import hashlib
import random
import string
import time

from mockserver.clarifai.catalog import ToolCallIds

_BASE62 = string.digits + string.ascii_letters
PINNED_CREATED = 1767225600  # 2026-01-01T00:00:00Z, used whenever a seed pins the reply
# Unpinned ids only need to be unique, not unguessable: a process-wide Mersenne Twister seeded from the OS is an
# order of magnitude cheaper per request than reading the OS's random source (``secrets``) every time.
_random = random.Random()
# Each random byte mapped to a base62 character in one C call (``bytes.translate``) rather than a Python loop of
# divisions: 256 is not a multiple of 62, so eight characters come up 5/4 as often, which costs an unseeded id about
# 0.03 of its 170-odd bits and leaves it just as unique.
_TO_BASE62 = bytes(ord(_BASE62[byte % 62]) for byte in range(256))


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=32).digest()


def _base62(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return "".join(chars)


def request_id(pin: int | None = None, request_hash: str = "") -> str:
    """A 32-hex Clarifai request id."""
    if pin is None:
        return _random.randbytes(16).hex()  # half the time of formatting getrandbits(128)
    return _digest("req", pin, request_hash).hex()[:32]


def seed_of(request_hash: str) -> int:
    """A 63-bit integer seed from a request hash."""
    return int.from_bytes(_digest("seed", request_hash)[:8], "big") >> 1


class IdSource:
    """Ids for one reply; ``pin`` (a seed) makes them a function of the request instead of random."""

    def __init__(self, request_hash: str, pin: int | None) -> None:
        self._hash = request_hash
        self._pin = pin

    def completion_id(self, prefix: str = "chatcmpl-") -> str:
        """``chatcmpl-…`` (or another prefix) with 29 base62 characters."""
        if self._pin is None:
            return prefix + _random.randbytes(29).translate(_TO_BASE62).decode("ascii")
        return prefix + _base62(_digest("cmpl", self._pin, self._hash), 29)

    def created(self) -> int:
        """Unix seconds: now, or a fixed instant when pinned."""
        return int(time.time()) if self._pin is None else PINNED_CREATED

    def tool_call_id(self, style: ToolCallIds, choice: int, index: int) -> str:
        """A tool-call id in the model's style; always derived from the request so conversations replay."""
        data = _digest("tool", self._hash, choice, index)
        if style is ToolCallIds.ANTHROPIC:
            return "toolu_01" + _base62(data, 22)
        if style is ToolCallIds.OPENAI:
            return "call_" + _base62(data, 24)
        return "call_" + data.hex()[:24]
