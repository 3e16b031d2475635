"""Token counting: a real offline BPE encoding where one is installed, a deterministic heuristic otherwise."""

from __future__ import annotations

import math
import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

_PIECES = re.compile(r"\w+|[^\w\s]")
SLICE = 200_000  # characters per encoder call; bpe-openai refuses inputs of 1,000,000 characters or more


class _Encoding(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


@dataclass(frozen=True)
class TokenCounter:
    """Counts and cuts text in tokens; ``method`` says how (``o200k_base``, ``cl100k_base`` or ``heuristic``)."""

    method: str
    exact: bool
    _encoding: _Encoding | None = None

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        if not text:
            return 0
        if self._encoding is not None:
            return sum(len(self._encoding.encode_ordinary(piece)) for piece in _slices(text))
        return sum(math.ceil(len(piece) / 4) for piece in _PIECES.findall(text))

    def truncate(self, text: str, limit: int) -> str:
        """The longest prefix of ``text`` that is at most ``limit`` tokens."""
        if limit <= 0:
            return ""
        if self._encoding is not None:
            kept = ""
            for piece in _slices(text):
                tokens = self._encoding.encode_ordinary(piece)
                if len(tokens) > limit:
                    return kept + self._prefix(piece, tokens, limit)
                kept, limit = kept + piece, limit - len(tokens)
            return kept
        return _heuristic_prefix(text, limit)

    def _prefix(self, text: str, tokens: list[int], limit: int) -> str:
        assert self._encoding is not None
        # A cut inside a multi-byte character decodes to U+FFFD: step back to a real prefix of the text.
        for end in range(limit, 0, -1):
            prefix = self._encoding.decode(tokens[:end])
            if text.startswith(prefix):
                return prefix
        return ""


def _slices(text: str) -> list[str]:
    """``text`` cut, at whitespace where possible, into pieces the BPE encoder accepts (it refuses 1M characters)."""
    pieces = []
    while len(text) > SLICE:
        cut = text.rfind(" ", SLICE // 2, SLICE)
        cut = cut if cut > 0 else SLICE
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text]


def _heuristic_prefix(text: str, limit: int) -> str:
    used, end = 0, 0
    for found in _PIECES.finditer(text):
        used += math.ceil(len(found.group()) / 4)
        if used > limit:
            break
        end = found.end()
    return text[:end]


_LOADING = threading.Lock()


@lru_cache(maxsize=8)
def _cached(encoding: str) -> _Encoding | None:
    # bpe-openai reads its bundled ranks with the deprecated ``importlib.resources.open_binary``; under
    # ``-W error`` (pytest ``filterwarnings = error``) that warning would turn the first chat request into a 500.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import bpe_openai
        except ImportError:  # pragma: no cover - bpe-openai has wheels for x86_64 only
            return None
        try:
            loaded: _Encoding = bpe_openai.get_encoding(encoding)
        except Exception:  # unknown encoding name in a user catalog: fall back rather than fail requests
            return None
    return loaded


def _load(encoding: str) -> _Encoding | None:
    # One load at a time: two server threads must not both pay for the same encoding.
    with _LOADING:
        return _cached(encoding)


def warm_up(encoding: str = "o200k_base") -> None:
    """Load ``encoding`` now (~0.5 s, once per process), so no request waits for it.

    Called from ``create_app`` in the caller's thread on purpose: loading emits a DeprecationWarning that
    ``_cached`` silences with ``warnings.catch_warnings``, which is only safe while no other thread changes the
    warning filters (pytest does, around every test).
    """
    _load(encoding)


def counter_for(encoding: str, *, exact: bool) -> TokenCounter:
    """A counter for a catalog ``tokenizer`` name; ``exact`` is false when the encoding only approximates the model."""
    loaded = _load(encoding)
    if loaded is None:
        return TokenCounter(method="heuristic", exact=False)
    return TokenCounter(method=encoding, exact=exact, _encoding=loaded)
