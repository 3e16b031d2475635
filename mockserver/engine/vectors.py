"""Deterministic embedding vectors: unit length, one per (model, text), packed as floats or base64 float32."""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct


def embedding(model: str, text: str, dims: int) -> list[float]:
    """A unit-length vector that depends only on ``model``, ``text`` and ``dims``."""
    seed = int.from_bytes(hashlib.blake2b(f"{model}\x1f{text}".encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    # Round through float32 so the float and base64 encodings carry exactly the same numbers.
    return [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in values]


def to_base64(vector: list[float]) -> str:
    """Little-endian float32 bytes, base64-encoded, as the OpenAI SDKs decode them."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
