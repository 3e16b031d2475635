"""Token counting: a real offline BPE encoding where one is installed, a deterministic heuristic otherwise."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import math
import re
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

_PIECES = re.compile(r"\w+|[^\w\s]")
_BINDINGS = "bpe_openai._bindings"
CACHED_CHARS = 2000  # texts up to this long have their counts remembered
SLICE = 200_000  # characters per encoder call; bpe-openai refuses inputs of 1,000,000 characters or more


class _Encoding(Protocol):
    def __hash__(self) -> int: ...

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
            if len(text) <= CACHED_CHARS:
                return _count(self._encoding, text)
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
        # A cut inside a multi-byte character is no prefix of the text: step back to one that is.
        for end in range(limit, 0, -1):
            try:
                prefix = self._encoding.decode(tokens[:end])
            except ValueError:  # the Rust decoder refuses the cut instead of writing U+FFFD
                continue
            if text.startswith(prefix):
                return prefix
        return ""


@lru_cache(maxsize=2048)
def _count(encoding: _Encoding, text: str) -> int:
    """Tokens in a short text, remembered: the same system prompt, role names and scripted replies come back on
    request after request (bounded: at most 2,048 texts of ``CACHED_CHARS`` characters)."""
    return len(encoding.encode_ordinary(text))


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


class _Rust:
    """The Rust tokenizer of bpe-openai, called directly: its Python ``Encoding`` wrapper also builds a Python dict
    of every token (~0.3 s and ~60 MiB per encoding) that counting and cutting never use."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def encode_ordinary(self, text: str) -> list[int]:
        tokens: list[int] = list(self._backend.encode(_encodable(text)))
        return tokens

    def decode(self, tokens: list[int]) -> str:
        decoded: str = self._backend.decode(tokens)  # ValueError for a cut inside a multi-byte character
        return decoded


def _encodable(text: str) -> str:
    """``text`` with lone surrogates replaced, as the wrapper does: UTF-8 cannot carry them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _bindings() -> Any:
    """bpe-openai's compiled module, loaded on its own: importing the ``bpe_openai`` package runs its ``compat``
    module, which parses both bundled rank files into Python dicts (~0.75 s, ~130 MiB) whatever is used later."""
    loaded = sys.modules.get(_BINDINGS)
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("bpe_openai")  # finds the folder without running its __init__
    if package is None or not package.submodule_search_locations:
        raise ImportError("bpe-openai is not installed")
    found = sorted(Path(package.submodule_search_locations[0]).glob("_bindings*.so"))
    spec = importlib.util.spec_from_file_location(_BINDINGS, found[0]) if found else None
    if spec is None or spec.loader is None:
        raise ImportError("bpe-openai has no compiled bindings here")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[_BINDINGS] = module  # the package's own lazy import finds it, rather than loading it twice
    return module


def _rust(encoding: str) -> _Encoding | None:
    bindings = _bindings()
    if encoding not in bindings.supported_encodings():
        return None  # unknown encoding name in a user catalog: fall back rather than fail requests
    loaded = _Rust(bindings.tokenizer_for_encoding(encoding))
    _when_idle(functools.partial(_unmap_read_tables, getattr(bindings, "__file__", None)))
    return loaded


def _when_idle(work: Callable[[], None]) -> None:
    """Run ``work`` on the event loop once the request that loaded the encoding has been answered (it costs ~5 ms,
    which that first request need not wait for), or now where no loop runs in this thread."""
    try:
        asyncio.get_running_loop().call_soon(work)
    except RuntimeError:
        work()


_MADV_DONTNEED = 4  # Linux


def _unmap_read_tables(library: str | None) -> None:
    """Give back the library's read-only file pages that loading an encoding has just read.

    The Rust library unpacks an encoding's tables from a read-only section of its ``.so`` into memory of its own
    and never reads that section again, yet the ~32 MiB of file pages it touched stay in the process's RSS (shared,
    clean, reclaimable, but counted) until the kernel runs short. ``madvise(MADV_DONTNEED)`` on a read-only file
    mapping with no private pages only unmaps them: a later read would fault them in from the file again. Mappings
    holding private pages (the relocations of the RELRO segment) are left alone, as is any system without
    ``/proc/self/smaps``.
    """
    try:
        ranges = list(_clean_read_only(Path(library).resolve())) if library else []
        if not ranges:
            return
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        for start, end in ranges:
            libc.madvise(start, end - start, _MADV_DONTNEED)
    except (OSError, ValueError, AttributeError):  # not Linux, or no libc to call: the pages just stay
        return


def _clean_read_only(library: Path) -> list[tuple[int, int]]:
    """Address ranges of ``library``'s ``r--p`` mappings that hold no private (anonymous or swapped) page."""
    text, name, found = Path("/proc/self/smaps").read_text(), f" {library}\n", []
    at = text.find(name)
    while at >= 0:  # only the library's own entries are parsed: the whole file has hundreds
        head = text.rfind("\n", 0, at) + 1
        end = text.find("\nVmFlags:", at)
        span, perms = text[head:at].split()[:2]
        fields = dict(line.split()[:2] for line in text[at + len(name) : end].splitlines())
        if perms == "r--p" and fields.get("Anonymous:") == "0" and fields.get("Swap:", "0") == "0":
            start, stop = (int(bound, 16) for bound in span.split("-"))
            found.append((start, stop))
        at = text.find(name, end)
    return found


def _wrapped(encoding: str) -> _Encoding | None:  # pragma: no cover - only if bpe-openai drops its bindings module
    # The wrapper reads its bundled ranks with the deprecated ``importlib.resources.open_binary``; under
    # ``-W error`` (pytest ``filterwarnings = error``) that warning would turn the first chat request into a 500.
    # ``catch_warnings`` is not thread-safe against pytest changing filters around a test; the bindings path
    # above emits no warning, so this is only the fallback.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import bpe_openai

            loaded: _Encoding = bpe_openai.get_encoding(encoding)
        except Exception:
            return None
    return loaded


@lru_cache(maxsize=8)
def _cached(encoding: str) -> _Encoding | None:
    try:
        return _rust(encoding)
    except (ImportError, AttributeError):  # pragma: no cover - not installed, or a release without these bindings
        return _wrapped(encoding)


def _load(encoding: str) -> _Encoding | None:
    # One load at a time: two server threads must not both pay for the same encoding.
    with _LOADING:
        return _cached(encoding)


def counter_for(encoding: str, *, exact: bool) -> TokenCounter:
    """A counter for a catalog ``tokenizer`` name; ``exact`` is false when the encoding only approximates the model.

    An encoding is loaded on first use (~0.45 s for the tokenizer library and ~0.05 s and 30-60 MiB per encoding,
    once per process), so a server that never counts tokens never pays for it.
    """
    found = _COUNTERS.get((encoding, exact))
    if found is None:  # once per encoding: every request asks, and the lock and the lookup add up
        loaded = _load(encoding)
        if loaded is None:
            found = TokenCounter(method="heuristic", exact=False)
        else:
            found = TokenCounter(method=encoding, exact=exact, _encoding=loaded)
        _COUNTERS[(encoding, exact)] = found
    return found


def loaded_counter(encoding: str, *, exact: bool) -> TokenCounter | None:
    """The counter ``counter_for`` gives, once it has given it; ``None`` while the encoding has not been loaded (the
    server then loads it in a worker thread, not on its event loop)."""
    return _COUNTERS.get((encoding, exact))


_COUNTERS: dict[tuple[str, bool], TokenCounter] = {}
