"""Numbers that satisfy a JSON-schema numeric node: bounds, exclusive bounds, multipleOf and name hints."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from mockserver.engine.synth.hints import NUMBER_HINTS, hint_key


def _num(node: Mapping[str, Any], key: str) -> float | None:
    value = node.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _bounds(node: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    """Inclusive drawing bounds; for integers, exclusive bounds are stepped inwards."""
    low, x_low, high, x_high = (_num(node, k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"))
    if integer:
        low = None if low is None else math.ceil(low)
        x_low = None if x_low is None else math.floor(x_low) + 1
        high = None if high is None else math.floor(high)
        x_high = None if x_high is None else math.ceil(x_high) - 1
    lows = [v for v in (low, x_low) if v is not None]
    highs = [v for v in (high, x_high) if v is not None]
    return max(lows, default=-math.inf), min(highs, default=math.inf)


def _number_ok(value: float, node: Mapping[str, Any]) -> bool:
    low, x_low, high, x_high = (_num(node, k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"))
    if (low is not None and value < low) or (x_low is not None and value <= x_low):
        return False
    if (high is not None and value > high) or (x_high is not None and value >= x_high):
        return False
    step = _num(node, "multipleOf")
    if not step or step <= 0:
        return True
    quotient = value / step
    return math.isfinite(quotient) and quotient == int(quotient)


def _draw(rng: random.Random, low: float, high: float, step: float | None, integer: bool, places: int) -> float | None:
    if step and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            return None
        value = rng.randint(first, last) * step
        return round(value) if integer or value == int(value) else round(value, 12)
    if integer or places == 0:
        return rng.randint(math.ceil(low), math.floor(high)) if math.ceil(low) <= math.floor(high) else None
    return round(rng.uniform(low, high), places)


def gen_number(rng: random.Random, node: Mapping[str, Any], name: str | None, *, integer: bool) -> float:
    """A number within the node's bounds, realistic for the property ``name`` when it has a hint."""
    low, high = _bounds(node, integer)
    hint = hint_key(name, NUMBER_HINTS)
    start, stop, places = NUMBER_HINTS[hint] if hint else (0, 100, 2)
    spans = [(max(start, low), min(stop, high)), (low, high), (low, low + 100), (high - 100, high)]
    step = _num(node, "multipleOf")
    for span_low, span_high in spans:
        if not (math.isfinite(span_low) and math.isfinite(span_high) and span_low <= span_high):
            continue
        for _ in range(10):
            value = _draw(rng, span_low, span_high, step, integer, places)
            if value is not None and _number_ok(value, node):
                return value
    fallback = low if math.isfinite(low) else high if math.isfinite(high) else 0
    return int(fallback) if integer else fallback
