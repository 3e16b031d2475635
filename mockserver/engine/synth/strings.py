"""Strings that fit a JSON-schema string node: format, name hint, length limits and pattern."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockserver.engine.synth.hints import FORMATS, STRING_HINTS, hint_key, phrase
from mockserver.engine.synth.regex import Unbuildable, Walk, build_matching

if TYPE_CHECKING:
    from faker import Faker  # for annotations only: the Faker is built on first use (seeding._faker)

MAX_LENGTH = 100_000
logger = logging.getLogger("mockserver")


def gen_string(rng: random.Random, fake: Faker, node: Mapping[str, Any], name: str | None, budget: list[int]) -> str:
    """A string for ``node``: its format, else a hint from the property ``name``, fitted to length and pattern.

    A ``pattern`` is never run against a candidate (user patterns can backtrack for minutes): the string is built
    from the pattern's parse tree instead. One the builder cannot handle keeps the plain value, with a warning.
    """
    maker = FORMATS.get(str(node.get("format")))
    if maker is None:
        hint = hint_key(name, STRING_HINTS)
        maker = STRING_HINTS[hint] if hint else phrase
    low, high = node.get("minLength", 0), node.get("maxLength")
    value = _fit_length(maker(rng, fake), low, high, fake)
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        try:
            return build_matching(pattern, Walk(rng, budget), low, MAX_LENGTH if high is None else high)
        except Unbuildable as exc:
            logger.warning("schema pattern %.80r: %s; the generated value may not match it", pattern, exc)
    return value


def _fit_length(value: str, low: int, high: int | None, fake: Faker) -> str:
    """Pad ``value`` with words up to ``low`` characters, then cut it to ``high``."""
    if low > MAX_LENGTH:
        raise ValueError(f"minLength {low} is over the {MAX_LENGTH} characters the mock will build")
    while len(value) < low:
        value = f"{value} {fake.word()}".lstrip()
    if high is not None and len(value) > high:
        value = value[:high]
        value = value.rstrip() if len(value.rstrip()) >= low else value
    return value
