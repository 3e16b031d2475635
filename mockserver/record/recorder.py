"""``Recorder``: one recording file, what it already holds, and how a finished upstream exchange becomes a fixture.

A recording is an ordinary fixture file. Each fixture's ``match`` is the request's semantic key (canonical model,
last user message ``equals``, turn, tools offered, last tool result), never the raw body; its name is derived from
a hash of that key, so re-recording the same session writes the same names. Its ``reply`` is the readable
semantic answer (or the upstream error with its verbatim body) plus, for streams, the raw SSE ``frames`` with their
arrival time. A key recorded again in the same file grows a ``sequence``.

Every write is the whole file, under one lock, scanned for secrets first and then written to a temporary file that
is renamed over the old one, so a crash at any moment leaves the previous complete file.

``mockserver.recording(server, path, mode)`` installs one on a running server for a ``with`` block.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.config import DEFAULT_UPSTREAM, RecordMode, Settings
from mockserver.fixtures.facts import RequestFacts
from mockserver.fixtures.files import SUFFIXES, dump_fixture_file, fixture_to_data, load_file, remove_stale_temps
from mockserver.fixtures.normalize import normalize_recorded
from mockserver.fixtures.store import NEAR_MISSES, Entry, FixtureStore, Miss
from mockserver.record.collapse import collapse_chunks, collapse_completion, collapse_error
from mockserver.record.redact import Scrubber, scan_fixtures
from mockserver.record.upstream import is_dummy
from mockserver.schema import Fixture, Match, RecordedFrame, Reply, TextMatch, ToolResultMatch
from mockserver.wire import sse

DEFAULT_FILE = "recording.yaml"
_SLUG_WORDS = re.compile(r"[a-z0-9]+")


def recording_file(settings: Settings) -> Path | None:
    """Where ``settings`` record: ``record_dir`` (a folder means ``recording.yaml`` in it), else, when a record
    mode is set, the first ``fixtures`` path (so ``serve --record-mode new_episodes --fixtures recordings/`` works);
    ``None`` when there is nothing to record or replay."""
    base = settings.record_dir
    if base is None and settings.record_mode is not RecordMode.NONE and settings.fixtures:
        base = settings.fixtures[0]
    if base is None:
        return None
    return base if base.suffix in SUFFIXES else base / DEFAULT_FILE


@dataclass(frozen=True)
class Exchange:
    """One finished upstream response: status, lower-cased headers, and the body pieces with their arrival time
    in milliseconds since the request was sent."""

    status: int
    headers: Mapping[str, str]
    pieces: Sequence[tuple[float, bytes]]

    @property
    def streamed(self) -> bool:
        """An SSE answer."""
        return self.headers.get("content-type", "").startswith("text/event-stream")

    def body(self) -> bytes:
        """The whole body."""
        return b"".join(chunk for _, chunk in self.pieces)

    def timed_payloads(self) -> list[tuple[float, str]]:
        """Each SSE ``data`` payload with the arrival time of the piece that completed it."""
        clock = [0.0]

        def feed() -> Iterator[bytes]:
            for at, chunk in self.pieces:
                clock[0] = at
                yield chunk

        return [(clock[0], payload) for payload in sse.iter_data(feed())]


@dataclass(frozen=True)
class RecordingKey:
    """The fixture name and match a request is recorded under."""

    name: str
    match: Match


def _parse(body: bytes) -> Any:
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def merged_report(recorded: Miss, fixtures: Miss) -> str:
    """One near-miss report over the recordings and the other fixtures, closest first."""
    closest = sorted([*recorded.closest, *fixtures.closest], key=lambda near: len(near.failures))
    return Miss(closest[:NEAR_MISSES]).report()


class Recorder:
    """Records into (and replays from) one fixture file.

    Args:
        path: the recording file (``.yaml``, ``.yml`` or ``.json``); created on the first recorded exchange.
        mode: ``none`` replays only, ``once`` records only when ``path`` does not exist yet, ``new_episodes``
            forwards what no fixture matches and appends it, ``all`` forwards everything and rewrites ``path``.
        upstream: base URL requests are forwarded to.
        upstream_pat: sent upstream when the caller uses the mock's dummy PAT (``mock-pat…``).
        normalize_patterns: extra regexes for volatile parts of recorded match text.
    """

    def __init__(
        self,
        path: Path,
        mode: RecordMode = RecordMode.NEW_EPISODES,
        *,
        upstream: str = DEFAULT_UPSTREAM,
        upstream_pat: str | None = None,
        normalize_patterns: Sequence[str] = (),
    ) -> None:
        self.path = Path(path)
        self.requested_mode = mode
        self.mode = (
            (RecordMode.NONE if self.path.exists() else RecordMode.NEW_EPISODES) if mode is RecordMode.ONCE else mode
        )
        self.upstream = upstream.rstrip("/")
        self.upstream_pat = upstream_pat or None
        self.normalize_patterns = list(normalize_patterns)
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._scrubber = Scrubber([upstream_pat] if upstream_pat else [])
        for temp in remove_stale_temps(self.path):
            logging.getLogger("mockserver.record.recorder").info("removed %s, left by an interrupted recording", temp)
        keep = self.path.exists() and self.mode is not RecordMode.ALL
        self._fixtures: list[Fixture] = [entry.fixture for entry in load_file(self.path)] if keep else []
        self.store = FixtureStore(self._entries(self._fixtures))

    @classmethod
    def from_settings(cls, settings: Settings) -> Recorder | None:
        """The recorder ``settings`` ask for, or ``None`` when they neither record nor replay a recording."""
        path = recording_file(settings)
        if path is None:
            return None
        pat = settings.upstream_pat.get_secret_value() if settings.upstream_pat else None
        return cls(
            path,
            settings.record_mode,
            upstream=settings.upstream,
            upstream_pat=pat,
            normalize_patterns=settings.normalize_patterns,
        )

    @property
    def forwards(self) -> bool:
        """Requests that nothing matches go upstream (``new_episodes``, ``all``, ``once`` before the file exists)."""
        return self.mode in (RecordMode.NEW_EPISODES, RecordMode.ALL)

    @property
    def fixtures(self) -> list[Fixture]:
        """What the file holds now, in file order."""
        with self._lock:
            return list(self._fixtures)

    def remember(self, pat: str) -> None:
        """A PAT that crossed the mock: scrubbed from everything recorded from now on, and refused by the scan."""
        if not is_dummy(pat) and pat not in self._scrubber.literals:
            self._scrubber = Scrubber([*self._scrubber.literals, pat])

    def key(self, facts: RequestFacts) -> RecordingKey:
        """The semantic key of a request: what its recording will match on, and the fixture name."""
        conversation = facts.conversation
        last = conversation.tool_results[-1] if conversation.tool_results else None
        match = Match(
            model=facts.model,
            user=self._text(conversation.last_user),
            tools=sorted(conversation.offered_tools) or None,
            tool_result=ToolResultMatch(name=last.name, contains=self._text(last.content)) if last else None,
            turn=conversation.turn,
        )
        return RecordingKey(self._name(match), match)

    def _text(self, text: str) -> TextMatch:
        scrubbed = self._scrubber.text(text)
        normalized, used = normalize_recorded(scrubbed, self.normalize_patterns)
        if scrubbed != text and "secrets" not in used:
            used.insert(0, "secrets")  # a known PAT was scrubbed: scrub the live text too (key-shaped PATs match)
        return TextMatch(equals=normalized, normalize=used or None)

    def _name(self, match: Match) -> str:
        canonical = json.dumps(match.model_dump(mode="json", exclude_none=True), sort_keys=True)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
        words = _SLUG_WORDS.findall((match.user.equals if match.user and match.user.equals else "").lower())
        slug = "-".join(words[:6])[:48].strip("-") or "request"
        if match.tool_result is not None:
            slug += "-after-" + "-".join(_SLUG_WORDS.findall((match.tool_result.name or "tool").lower()))
        return f"{self.path.stem}.{slug}-{digest}"

    def reply_for(self, exchange: Exchange) -> Reply:
        """The scrubbed semantic reply of an exchange; streams keep their raw frames and timing."""
        scrub = self._scrubber
        if exchange.status >= 400:
            return collapse_error(exchange.status, scrub.value(_parse(exchange.body())), exchange.headers)
        if exchange.streamed:
            frames = [
                RecordedFrame(t_ms=float(round(at)), data=scrub.payload(d)) for at, d in exchange.timed_payloads()
            ]
            return collapse_chunks(frame.data for frame in frames).model_copy(update={"frames": frames})
        body = scrub.value(_parse(exchange.body()))
        return collapse_completion(body) if isinstance(body, dict) else Reply(content=str(body), template=False)

    def record(self, key: RecordingKey, exchange: Exchange) -> Fixture:
        """Turn a finished exchange into a fixture and write it (see ``commit``)."""
        return self.commit(key.name, key.match, self.reply_for(exchange))

    def commit(self, name: str, match: Match, reply: Reply) -> Fixture:
        """Add a fixture (or one more reply to the ``sequence`` of a same-named one) and rewrite the file.

        Raises:
            SecretLeak: a secret is in what would be written; the file is left as it was.
        """
        with self._lock:
            fixtures = list(self._fixtures)
            position = next((i for i, f in enumerate(fixtures) if f.name == name), None)
            if position is None:
                fixture = Fixture(name=name, match=match, reply=reply)
                fixtures.append(fixture)
            else:
                old = fixtures[position]
                replies = old.sequence if old.sequence is not None else [old.reply_for(0)]
                fixture = Fixture(name=name, match=old.match, sequence=[*replies, reply])
                fixtures[position] = fixture
            scan_fixtures(str(self.path), [fixture_to_data(f) for f in fixtures], self._scrubber.literals)
            dump_fixture_file(self.path, fixtures)
            self._fixtures = fixtures
            self.store.replace_base(self._entries(fixtures))
        return fixture

    def reset(self, namespace: str | None = None) -> None:
        """Start the sequence counters of recordings of ``namespace`` (all when ``None``) again."""
        self.store.reset(namespace)

    def _entries(self, fixtures: Iterable[Fixture]) -> list[Entry]:
        return [Entry.of(f, f.name or f"{self.path.stem}#{i}", str(self.path)) for i, f in enumerate(fixtures)]
