"""``FixtureStore``: loaded fixtures in layers, an index for fast lookup, sequence counters and near-miss reports."""

from __future__ import annotations

import heapq
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mockserver.matching import CompiledMatch, RequestFacts, indexable, match_keys, text_keys
from mockserver.schema import Fixture, Reply

NEAR_MISSES = 3
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Entry:
    """A fixture with its name, where it came from and its compiled match."""

    fixture: Fixture
    name: str
    source: str
    compiled: CompiledMatch

    @classmethod
    def of(cls, fixture: Fixture, name: str, source: str) -> Entry:
        """Compile ``fixture``."""
        return cls(fixture, name, source, CompiledMatch(fixture))


@dataclass(frozen=True)
class Hit:
    """The fixture that answers and the reply for this call of it."""

    entry: Entry
    reply: Reply
    call: int


@dataclass(frozen=True)
class NearMiss:
    """A fixture that almost matched, with the keys that failed."""

    name: str
    source: str
    failures: list[str]


class Miss:
    """No fixture matched; the closest ones, best first — searched on first use, because scanning every fixture
    costs more than the lookup that missed (with 10,000 fixtures, ~100 ms against ~10 µs)."""

    def __init__(self, closest: list[NearMiss] | None = None, *, search: Callable[[], list[NearMiss]] | None = None):
        self._closest = closest
        self._search = search

    @property
    def closest(self) -> list[NearMiss]:
        """The near misses, best first."""
        if self._closest is None:
            self._closest = self._search() if self._search is not None else []
        return self._closest

    def report(self) -> str:
        """A readable explanation naming the closest fixtures and exactly which keys failed."""
        if not self.closest:
            return "No fixture matched this request, and no fixture is loaded for this endpoint."
        lines = ["No fixture matched this request. Closest:"]
        for near in self.closest:
            lines.append(f"  - {near.name!r} ({near.source}): " + "; ".join(near.failures))
        return "\n".join(lines)


class Layer:
    """An ordered list of entries, indexed by endpoint and by the text its ``user`` key needs.

    A fixture whose ``user`` rule yields index keys is filed under the rarest of them in this layer (a whole-word
    phrase under its least common word), so fixtures that share their first words still narrow to a few candidates.
    """

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self._all: dict[str, list[int]] = {}
        self._always: dict[str, list[int]] = {}
        self._by_key: dict[tuple[str, tuple[str, str]], list[int]] = {}
        keyed: list[tuple[int, str, tuple[tuple[str, str], ...]]] = []
        counts: Counter[tuple[str, tuple[str, str]]] = Counter()
        for position, entry in enumerate(self.entries):
            compiled = entry.compiled
            self._all.setdefault(compiled.endpoint, []).append(position)
            keys = compiled.user.index_keys() if compiled.user else ()
            if keys:
                keyed.append((position, compiled.endpoint, keys))
                counts.update((compiled.endpoint, key) for key in keys)
            else:
                self._always.setdefault(compiled.endpoint, []).append(position)
        for position, endpoint, keys in keyed:
            rarest = min(keys, key=lambda key: counts[(endpoint, key)])
            self._by_key.setdefault((endpoint, rarest), []).append(position)

    def candidates(self, facts: RequestFacts) -> Iterator[Entry]:
        """Entries that may match, in load order; entries that cannot are never looked at."""
        text = facts.conversation.last_user
        if not indexable(text):
            yield from (self.entries[position] for position in self._all.get(facts.endpoint, []))
            return
        lists = [self._always.get(facts.endpoint, [])]
        for key in text_keys(text):
            found = self._by_key.get((facts.endpoint, key))
            if found:
                lists.append(found)
        last = -1
        for position in heapq.merge(*lists):
            if position != last:
                last = position
                yield self.entries[position]


class FixtureStore:
    """All fixtures: run-time ones (per namespace, then shared) are tried before those loaded from files.

    Thread-safe: tests add fixtures from their own thread while the server thread resolves requests.
    """

    def __init__(self, base: Iterable[Entry] = ()) -> None:
        self._lock = threading.Lock()
        self._base = Layer(base)
        self._runtime: dict[str | None, Layer] = {}
        self._calls: dict[tuple[str | None, str], int] = {}
        self._changed = threading.Condition(self._lock)
        self.generation = 0

    def replace_base(self, entries: Iterable[Entry]) -> None:
        """Swap in a new set of file fixtures (hot reload); sequence counters start again."""
        layer = Layer(entries)
        with self._changed:
            self._base = layer
            self._calls.clear()
            self.generation += 1
            self._changed.notify_all()

    def wait_for_generation(self, generation: int, timeout: float) -> bool:
        """Block until the base layer has been replaced ``generation`` times (for reload tests)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation >= generation, timeout)

    def add(self, fixture: Fixture, namespace: str | None = None) -> Entry:
        """Add a run-time fixture; one with the same name in the same namespace is replaced."""
        with self._lock:
            layer = self._runtime.get(namespace, Layer([]))
            name = fixture.name or _free_name({e.name for e in layer.entries}, len(layer.entries))
            kept = [e for e in layer.entries if e.name != name]
            entry = Entry.of(fixture, name, "runtime")
            self._runtime[namespace] = Layer([*kept, entry])
            return entry

    def remove(self, name: str, namespace: str | None = None) -> bool:
        """Remove a run-time fixture; ``False`` when there was none of that name."""
        with self._lock:
            layer = self._runtime.get(namespace)
            if layer is None or all(e.name != name for e in layer.entries):
                return False
            self._runtime[namespace] = Layer(e for e in layer.entries if e.name != name)
            return True

    def entries(self, namespace: str | None = None) -> list[Entry]:
        """Every entry in resolution order for ``namespace``."""
        with self._lock:
            return [entry for layer in self._layers(namespace) for entry in layer.entries]

    def reset(self, namespace: str | None = None) -> None:
        """Drop run-time fixtures and counters of ``namespace`` (everything when ``None``)."""
        with self._lock:
            if namespace is None:
                self._runtime.clear()
                self._calls.clear()
                return
            self._runtime.pop(namespace, None)
            for key in [k for k in self._calls if k[0] == namespace]:
                del self._calls[key]

    def calls(self, name: str, namespace: str | None = None) -> int:
        """How many requests of ``namespace`` fixture ``name`` has answered."""
        with self._lock:
            return self._calls.get((namespace, name), 0)

    def _layers(self, namespace: str | None) -> list[Layer]:
        layers = [self._runtime[namespace]] if namespace is not None and namespace in self._runtime else []
        if None in self._runtime:
            layers.append(self._runtime[None])
        return [*layers, self._base]

    def resolve(self, facts: RequestFacts, namespace: str | None = None) -> Hit | Miss:
        """The first matching fixture in order (counting the call), or the near misses."""
        with self._lock:
            layers = self._layers(namespace)
            for layer in layers:
                for entry in layer.candidates(facts):
                    if not entry.compiled.failures(facts):
                        key = (namespace, entry.name)
                        call = self._calls.get(key, 0)
                        self._calls[key] = call + 1
                        return Hit(entry, entry.fixture.reply_for(call), call)
            entries = [e for layer in layers for e in layer.entries]
        return Miss(search=lambda: closest_fixtures(entries, facts))


def _free_name(taken: set[str], start: int) -> str:
    """``runtime#<n>`` not yet taken, so an unnamed fixture never replaces another after a removal."""
    while f"runtime#{start}" in taken:
        start += 1
    return f"runtime#{start}"


def _shared_words(entry: Entry, words: set[str]) -> int:
    """How many words of the request's last user message the fixture's ``user`` text also has."""
    spec = entry.fixture.match.user
    if spec is None:
        return 0
    wanted = spec.equals if spec.equals is not None else spec.contains if spec.contains is not None else spec.regex
    return len(words & set(_WORDS.findall((wanted or "").casefold())))


def closest_fixtures(entries: list[Entry], facts: RequestFacts, limit: int = NEAR_MISSES) -> list[NearMiss]:
    """The fixtures with the fewest failing keys, for a near-miss report; ties go to the fixture whose ``user`` text
    shares most words with the request, then to the more specific one, then to load order."""
    words = set(_WORDS.findall(facts.conversation.last_user.casefold()))
    scored = []
    for position, entry in enumerate(entries):
        if entry.compiled.endpoint != facts.endpoint:
            continue
        failures = entry.compiled.failures(facts)
        rank = (len(failures), -_shared_words(entry, words), -match_keys(entry.fixture.match), position)
        scored.append((rank, entry, failures))
    scored.sort(key=lambda item: item[0])
    return [NearMiss(entry.name, entry.source, failures) for _, entry, failures in scored[:limit]]
