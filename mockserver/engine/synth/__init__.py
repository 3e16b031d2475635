"""Deterministic Faker prose and JSON-Schema-valid values, seeded so the mock's answers are reproducible."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from mockserver.engine.synth.seeding import _faker, subseed
from mockserver.engine.synth.values import build_value

__all__ = ["_faker", "generate_arguments", "generate_text", "generate_value"]


def generate_text(seed: int, *, sentences: int | None = None) -> str:
    """Deterministic English-ish prose for ``seed``: ``sentences`` sentences, or 1-4 chosen from the seed."""
    if sentences is None:
        sentences = random.Random(subseed(seed, "sentences")).randint(1, 4)
    if sentences < 1:
        raise ValueError(f"sentences must be at least 1, got {sentences}")
    fake = _faker()
    fake.seed_instance(seed)
    return " ".join(fake.sentence() for _ in range(sentences))


def generate_value(schema: Mapping[str, Any], seed: int, *, name: str | None = None, context: str | None = None) -> Any:
    """A deterministic, JSON-serialisable value that validates against ``schema``; ``name`` is its property name.

    ``$ref`` pointers resolve against ``schema`` itself. Recursion is cut off by depth, and a schema that
    cannot terminate (a required field that always recurses) yields ``None`` at the innermost level. ``context``
    is conversation text whose mentions (a place, a quoted phrase, numbers, dates, enum options) are used first.
    """
    return build_value(schema, seed, name, context)


def generate_arguments(
    parameters: Mapping[str, Any] | None, seed: int, *, context: str | None = None
) -> dict[str, Any]:
    """Arguments for a tool call whose ``parameters`` JSON Schema is given (``{}`` when there is none), taking
    the values ``context`` mentions first."""
    if not parameters:
        return {}
    value = generate_value(parameters, seed, context=context)
    return value if isinstance(value, dict) else {}
