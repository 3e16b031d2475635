"""Normalisers for volatile parts of match text (timestamps, UUIDs, hex ids, secrets, user regexes).

A ``TextMatch`` with ``normalize: [...]`` runs them, in the order given, on both its own text and the request's
text before comparing, so ``Remind me at <timestamp>`` equals ``Remind me at 2026-08-07T10:00:00Z``. The recorder
writes the list only when a normaliser changed the recorded text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from mockserver.redact import scrub_text
from mockserver.schema import NormalizerName, PatternNormalizer

Normalizer = NormalizerName | PatternNormalizer
RECORDING_ORDER: tuple[NormalizerName, ...] = ("secrets", "timestamps", "uuids", "hex_ids")

_BUILTIN: dict[str, tuple[re.Pattern[str], str]] = {
    "timestamps": (
        re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"),
        "<timestamp>",
    ),
    "uuids": (
        re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![0-9A-Za-z])"),
        "<uuid>",
    ),
    "hex_ids": (
        re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}(?![0-9A-Za-z])"),
        "<hex>",
    ),
}


def _one(spec: Normalizer) -> Callable[[str], str]:
    if isinstance(spec, PatternNormalizer):
        pattern, replacement = re.compile(spec.regex), spec.replace
        return lambda text: pattern.sub(lambda _: replacement, text)
    if spec == "secrets":
        return scrub_text
    builtin, placeholder = _BUILTIN[spec]
    return lambda text: builtin.sub(placeholder, text)


def compile_normalizers(specs: Sequence[Normalizer] | None) -> Callable[[str], str] | None:
    """One function applying ``specs`` in order; ``None`` when there are none."""
    if not specs:
        return None
    steps = [_one(spec) for spec in specs]

    def apply(text: str) -> str:
        for step in steps:
            text = step(text)
        return text

    return apply


def describe(specs: Sequence[Normalizer]) -> str:
    """``timestamps, /order-\\d+/`` for near-miss reports."""
    return ", ".join(spec if isinstance(spec, str) else f"/{spec.regex}/" for spec in specs)


def normalize_recorded(text: str, patterns: Sequence[str] = ()) -> tuple[str, list[Normalizer]]:
    """The recorded text normalised, and the normalisers that changed it (what the fixture's match must name)."""
    used: list[Normalizer] = []
    candidates: list[Normalizer] = [*RECORDING_ORDER, *(PatternNormalizer(regex=p) for p in patterns)]
    for spec in candidates:
        changed = _one(spec)(text)
        if changed != text:
            used.append(spec)
            text = changed
    return text, used
