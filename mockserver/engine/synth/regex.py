"""Build a string that matches a regex by walking its parse tree, never by running the regex (so no backtracking).

A user's JSON-schema ``pattern`` is untrusted: ``(.|.)*!`` makes Python's backtracking ``re`` run for minutes on a
32-character candidate. Here the pattern is parsed once (``re._parser``, linear in its length) and a string is
built directly from the tree, within a length window and a step budget. Constructs whose language the walk cannot
build soundly (look-arounds, back-references, word boundaries, conditionals) raise ``Unbuildable``.
"""

from __future__ import annotations

import importlib
import random
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_PARSER: Any = importlib.import_module("re._parser")  # no typeshed stub; the stdlib's own regex parser
INF = 10**9
MAX_STEPS = 200_000
"""Parse-tree steps one request's patterns may take together (a fraction of a second)."""
MAX_DEPTH = 64
_ANY = string.ascii_letters + string.digits
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters + "-_ ",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": _ANY,
    "CATEGORY_WORD": _ANY + "_",
    "CATEGORY_NOT_WORD": " -.,",
}
_NEGATED_POOL = _ANY + " -_.,:;!?/@#"
_ZERO_WIDTH = {"AT_BEGINNING", "AT_BEGINNING_STRING", "AT_END", "AT_END_STRING"}


class Unbuildable(ValueError):
    """A pattern the walk cannot build a matching string for (too complex, too long, or too costly)."""


Item = tuple[Any, Any]  # one parse-tree node: (opcode, argument)


@dataclass
class Walk:
    """One build: its random source and the step budget it shares with every other pattern of the same request."""

    rng: random.Random
    budget: list[int] = field(default_factory=lambda: [MAX_STEPS])
    widths: dict[int, tuple[int, int]] = field(default_factory=dict)

    def tick(self) -> None:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise Unbuildable("the patterns of this schema need too many steps to build")


def build_matching(pattern: str, walk: Walk, low: int, high: int) -> str:
    """A string matching ``pattern`` whose length is in ``[low, high]``; ``Unbuildable`` when there is none to build."""
    try:
        tree = _PARSER.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise Unbuildable(f"the pattern does not parse ({exc})") from None
    walk.widths = {}  # keyed by node id, so only valid while this tree is alive
    return _seq(walk, _unanchored(list(tree.data)), low, high, 0)


class _Fill:
    """Pseudo-opcode: filler around an unanchored pattern (JSON Schema patterns match anywhere in the string)."""

    name = "FILL"


_FILL: Item = (_Fill(), None)


def _unanchored(items: list[Item]) -> list[Item]:
    """``items`` with filler where the pattern is not anchored, so a length window wider than it can be met."""

    def anchored(item: Item, names: tuple[str, str]) -> bool:
        return item[0].name == "AT" and item[1].name in names

    head = [] if items and anchored(items[0], ("AT_BEGINNING", "AT_BEGINNING_STRING")) else [_FILL]
    tail = [] if items and anchored(items[-1], ("AT_END", "AT_END_STRING")) else [_FILL]
    return [*head, *items, *tail]


def _width(walk: Walk, item: Item, depth: int) -> tuple[int, int]:
    """The shortest and longest string ``item`` matches (``INF`` for unbounded)."""
    key = id(item)
    if key not in walk.widths:
        walk.widths[key] = _compute_width(walk, item, depth)
    return walk.widths[key]


def _seq_width(walk: Walk, items: Sequence[Item], depth: int) -> tuple[int, int]:
    low = high = 0
    for item in items:
        a, b = _width(walk, item, depth + 1)
        low, high = low + a, high + b  # plain ints: sums of INF stay exact, so they subtract back correctly
    return low, high


def _compute_width(walk: Walk, item: Item, depth: int) -> tuple[int, int]:
    walk.tick()
    if depth > MAX_DEPTH:
        raise Unbuildable("the pattern nests too deeply")
    op, av = item[0].name, item[1]
    if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
        return 1, 1
    if op == "FILL":
        return 0, INF
    if op == "AT":
        if av.name not in _ZERO_WIDTH:
            raise Unbuildable(f"{av.name} is not supported")
        return 0, 0
    if op == "SUBPATTERN":  # scoped flags ((?i:...)) only widen what the built string may be
        return _seq_width(walk, av[3], depth)
    if op == "BRANCH":
        widths = [_seq_width(walk, branch, depth) for branch in av[1]]
        return min(w[0] for w in widths), max(w[1] for w in widths)
    if op in ("MAX_REPEAT", "MIN_REPEAT"):
        a, b = _seq_width(walk, av[2], depth)
        most = INF if av[1] >= _PARSER.MAXREPEAT else av[1]
        return av[0] * a, most * b
    raise Unbuildable(f"{op} is not supported")


def _pick(walk: Walk, low: int, high: int) -> int:
    """A length in ``[low, high]``, preferring short ones (unbounded repeats stay small)."""
    return walk.rng.randint(low, min(high, low + 3))


def _seq(walk: Walk, items: Sequence[Item], low: int, high: int, depth: int) -> str:
    widths = [_width(walk, item, depth + 1) for item in items]
    rest_low, rest_high = sum(w[0] for w in widths), sum(w[1] for w in widths)
    if rest_low > high or rest_high < low:
        raise Unbuildable("no string of the allowed length matches the pattern")
    out: list[str] = []
    used = 0
    for item, (a, b) in zip(items, widths, strict=True):
        rest_low, rest_high = rest_low - a, rest_high - b
        lo, hi = max(a, low - used - rest_high), min(b, high - used - rest_low)
        piece = _item(walk, item, lo, hi, depth + 1)
        out.append(piece)
        used += len(piece)
    return "".join(out)


def _item(walk: Walk, item: Item, low: int, high: int, depth: int) -> str:
    walk.tick()
    op, av = item[0].name, item[1]
    if op == "LITERAL":
        return chr(av)
    if op == "NOT_LITERAL":
        return next(c for c in _NEGATED_POOL if c.lower() != chr(av).lower())
    if op == "ANY":
        return walk.rng.choice(_ANY)
    if op == "IN":
        return _char_in(walk, av)
    if op == "AT":
        return ""
    if op == "FILL":  # only as much as the length window needs
        return "".join(walk.rng.choice(_ANY) for _ in range(low))
    if op == "SUBPATTERN":
        return _seq(walk, av[3], low, high, depth)
    if op == "BRANCH":
        fits = [b for b in av[1] if _fits(_seq_width(walk, b, depth), low, high)]
        if not fits:
            raise Unbuildable("no branch of the allowed length")
        return _seq(walk, walk.rng.choice(fits), low, high, depth)
    return _repeat(walk, av, low, high, depth)


def _fits(width: tuple[int, int], low: int, high: int) -> bool:
    return width[0] <= high and width[1] >= low


def _repeat(walk: Walk, av: Any, low: int, high: int, depth: int) -> str:
    least, most, body = av[0], (INF if av[1] >= _PARSER.MAXREPEAT else av[1]), list(av[2])
    a, b = _seq_width(walk, body, depth)
    n_low = least if b == 0 else max(least, -(-low // b))
    n_high = most if a == 0 else min(most, high // a)
    if b == 0:
        n_high = min(n_high, least)
    if n_low > n_high:
        raise Unbuildable("no repeat count gives the allowed length")
    count = _pick(walk, n_low, n_high)
    return _seq(walk, body * count, low, high, depth)


def _char_in(walk: Walk, members: Any) -> str:
    """One character of a ``[...]`` class (or ``\\d``-style category)."""
    negate = bool(members) and members[0][0].name == "NEGATE"
    allowed: set[str] = set()
    for op, av in members[1:] if negate else members:
        name = op.name
        if name == "LITERAL":
            allowed.add(chr(av))
        elif name == "RANGE":
            allowed.update(chr(c) for c in range(av[0], min(av[1], av[0] + 256) + 1))
        elif name == "CATEGORY":
            allowed.update(_CATEGORIES.get(av.name, ""))
        else:
            raise Unbuildable(f"{name} in a character class is not supported")
    if negate:  # leave out both cases, so the pick stays outside the class under IGNORECASE too
        allowed |= {c.swapcase() for c in allowed}
    pool = sorted(set(_NEGATED_POOL) - allowed) if negate else sorted(allowed)
    if not pool:
        raise Unbuildable("an empty character class")
    return walk.rng.choice(pool)
