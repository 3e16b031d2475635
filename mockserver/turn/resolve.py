"""Which reply answers a turn: the fixture store, then the recording, then a generated reply or the strict miss."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mockserver import errors
from mockserver.clarifai.auth import Caller
from mockserver.config import NoMatch, RecordMode
from mockserver.context import AppContext
from mockserver.fixtures.facts import RequestFacts
from mockserver.fixtures.store import Hit, Miss
from mockserver.journal import JournalEntry
from mockserver.record.recorder import Recorder, RecordingKey, merged_report
from mockserver.schema import Reply

GENERATED = "(generated)"
TO_GENERATE = Reply()
"""The reply of every unmatched request: nothing given, everything generated (one object, never changed, so the
completion built from it is remembered like a fixture's)."""
STRICT_HEADER = "x-mock-strict"  # "true": this request is strict (misses and reply warnings are errors)


def is_strict(ctx: AppContext, entry: JournalEntry, headers: Mapping[str, str]) -> bool:
    """Whether misses and reply warnings are errors: strict mode for the namespace, or ``x-mock-strict: true``."""
    return headers.get(STRICT_HEADER, "").strip().lower() == "true" or ctx.no_match(entry.namespace) is NoMatch.STRICT


@dataclass(frozen=True)
class Forward:
    """Nothing here answers: send the request upstream as ``caller`` and record the exchange under ``key``."""

    caller: Caller
    key: RecordingKey
    recorder: Recorder


Resolved = tuple[Reply, str, dict[str, str]]  # the reply, the name of what gave it, its regex captures


def _hit(found: Hit, entry: JournalEntry) -> Resolved:
    entry.fixture = found.entry.name
    return found.reply, found.entry.name, found.captures


def _forward(recorder: Recorder, caller: Caller, facts: RequestFacts, entry: JournalEntry) -> Forward:
    recorder.remember(caller.pat)  # before the key: a PAT quoted in the prompt is scrubbed from the match too
    key = recorder.key(facts)
    entry.fixture = key.name
    return Forward(caller, key, recorder)


def unmatched(
    ctx: AppContext, miss: Miss, entry: JournalEntry, headers: Mapping[str, str] | None = None
) -> tuple[Reply, str]:
    """What a miss gets: a 404 naming the near misses in strict mode, else an empty reply to generate."""
    if is_strict(ctx, entry, headers or {}):
        entry.near_miss = miss.report()
        raise errors.no_fixture_matched(entry.near_miss)
    entry.miss = miss  # generated replies keep their miss for the journal: the report is built only if read
    entry.generated = True
    return TO_GENERATE, GENERATED


def resolve_reply(
    ctx: AppContext, caller: Caller, facts: RequestFacts, entry: JournalEntry, can_forward: bool
) -> Resolved | Forward:
    """The reply, the name of what gave it (noted in the journal entry) and what the fixture's regexes captured,
    or the order to forward and record.

    A recording in a replay-only mode that lacks the request is a 404 naming the nearest recordings and fixtures.
    Surfaces that cannot record (all but chat completions) fall back to a generated reply or the strict miss.
    """
    recorder = ctx.recorder
    if recorder is not None and can_forward and recorder.mode is RecordMode.ALL:
        return _forward(recorder, caller, facts, entry)
    found = ctx.store.resolve(facts, entry.namespace)
    if isinstance(found, Hit):
        return _hit(found, entry)
    if recorder is None:
        return (*unmatched(ctx, found, entry, facts.headers), {})
    recorded = recorder.store.resolve(facts, entry.namespace)
    if isinstance(recorded, Hit):
        return _hit(recorded, entry)
    if not recorder.forwards:
        entry.near_miss = merged_report(recorded, found)
        raise errors.no_fixture_matched(entry.near_miss)
    if can_forward:
        return _forward(recorder, caller, facts, entry)
    return (*unmatched(ctx, found, entry, facts.headers), {})
