"""Seeds and the per-thread Faker that every generator shares."""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker

_local = threading.local()


def subseed(seed: int, path: str) -> int:
    """A sub-seed for one place in a value, so adding a property does not shift the others."""
    return int.from_bytes(hashlib.blake2b(f"{seed}:{path}".encode(), digest_size=8).digest(), "big")


def _faker() -> Faker:
    """This thread's shared en_US Faker: building one costs ~100 ms, so it happens once per thread."""
    fake: Faker | None = getattr(_local, "faker", None)
    if fake is None:
        from faker import Faker  # imported on first use (~70 ms): most requests never need a realistic value

        fake = _local.faker = Faker("en_US")
    return fake
