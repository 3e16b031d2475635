"""``JournalEntry.begin``, the pipeline's way to start an entry, makes the same entry as the constructor."""

from __future__ import annotations

import dataclasses

from mockserver.journal import Frames, JournalEntry


def test_begin_makes_the_entry_the_constructor_makes() -> None:
    facts = {"namespace": "ns", "method": "POST", "path": "/v1/chat", "endpoint": "chat.completions", "retry_count": 2}
    begun, built = JournalEntry.begin(**facts), JournalEntry(**facts)  # type: ignore[arg-type]
    begun.time = built.time
    for spec in dataclasses.fields(JournalEntry):
        if spec.name != "kept_frames":
            assert getattr(begun, spec.name) == getattr(built, spec.name), spec.name
    assert begun.to_json() == built.to_json()
    assert isinstance(begun.kept_frames, Frames)
    assert len(begun.kept_frames) == 0


def test_a_begun_entry_owns_its_mutable_fields() -> None:
    one, other = (JournalEntry.begin(None, "POST", "/", "chat.completions", 0) for _ in range(2))
    one.warn("a warning")
    one.kept_frames.add(b"data: 1\n\n", 1.0)
    one.request = {"model": "m"}
    assert (other.warnings, len(other.kept_frames), other.request) == ([], 0, None)
    assert JournalEntry().warnings == []
    assert JournalEntry().request is None
