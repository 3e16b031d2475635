"""Embedding vectors: the batched Box-Muller draws are random.gauss's own values, and vectors are unit float32."""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct

import pytest

from mockserver.engine.vectors import _normal_draws, embedding, to_base64


@pytest.mark.parametrize("count", [0, 1, 2, 3, 8, 1535, 1536])
def test_draws_are_gauss_values_in_turn(count: int) -> None:
    for seed in (0, 1, 2**63 - 1, 123456789):
        rng = random.Random(seed)
        assert _normal_draws(seed, count) == [rng.gauss(0.0, 1.0) for _ in range(count)]


def test_vector_is_the_normalised_gauss_vector_rounded_to_float32() -> None:
    # The way vectors were made before the draws were batched: users may have pinned such values in their tests.
    model, text, dims = "openai/embed/models/text-embedding-ada-002", "hello", 1536
    seed = int.from_bytes(hashlib.blake2b(f"{model}\x1f{text}".encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values))
    expected = [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in values]

    vector = embedding(model, text, dims)

    assert vector == expected
    assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-6)
    assert struct.unpack(f"<{dims}f", base64.b64decode(to_base64(vector))) == tuple(vector)


def test_vector_depends_on_model_text_and_dims() -> None:
    base = embedding("m", "t", 8)
    assert embedding("m", "t", 8) == base
    assert embedding("m2", "t", 8) != base
    assert embedding("m", "t2", 8) != base
    assert embedding("m", "t", 9)[:8] != base  # normalised over all its values, so not a prefix
