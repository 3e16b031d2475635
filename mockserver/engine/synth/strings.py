"""Strings that fit a JSON-schema string node: format, name hint, length limits and simple patterns."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping
from typing import Any

from faker import Faker

from mockserver.engine.synth.hints import FORMATS, STRING_HINTS, hint_key, phrase

MAX_LENGTH = 100_000
_PATTERN_CLASSES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
_PATTERN_TOKEN = re.compile(r"(\\.|\[[^\]^][^\]]*\]|[^\\\[\]()|*+?{}])(?:([?*+])|\{(\d+)(,(\d*))?\})?")


def gen_string(rng: random.Random, fake: Faker, node: Mapping[str, Any], name: str | None) -> str:
    """A string for ``node``: its format, else a hint from the property ``name``, fitted to length and pattern."""
    maker = FORMATS.get(str(node.get("format")))
    if maker is None:
        hint = hint_key(name, STRING_HINTS)
        maker = STRING_HINTS[hint] if hint else phrase
    value = _fit_length(maker(rng, fake), node.get("minLength", 0), node.get("maxLength"), fake)
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, value):
        return _pattern_string(pattern, rng) or value
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


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def _pattern_string(pattern: str, rng: random.Random) -> str | None:
    """A string for a simple regex (literals, escapes, classes, quantifiers); ``None`` when it is too complex."""
    body, pos = pattern.removeprefix("^").removesuffix("$"), 0
    out: list[str] = []
    while pos < len(body):
        token = _PATTERN_TOKEN.match(body, pos)
        if token is None:
            return None
        atom, symbol, low, comma, high = token.groups()
        if low is None:
            low, high = {"?": (0, 1), "*": (0, 3), "+": (1, 3), None: (1, 1)}[symbol]
        else:
            low, high = int(low), (int(low) if comma is None else int(high) if high else int(low) + 3)
        if low > MAX_LENGTH:
            return None
        chars = _pattern_chars(atom)
        out.extend(rng.choice(chars) for _ in range(rng.randint(low, high)))
        pos = token.end()
    value = "".join(out)
    return value if _matches(pattern, value) else None


def _pattern_chars(atom: str) -> str:
    """The characters one regex atom (literal, escape, ``.`` or ``[...]`` class) may match."""
    if atom.startswith("["):
        spec = re.sub(r"(.)-(.)", lambda m: "".join(map(chr, range(ord(m[1]), ord(m[2]) + 1))), atom[1:-1])
        return re.sub(r"\\(.)", lambda m: _PATTERN_CLASSES.get(m[1], m[1]), spec)
    if atom.startswith("\\"):
        return _PATTERN_CLASSES.get(atom[1], atom[1])
    return string.ascii_letters if atom == "." else atom
