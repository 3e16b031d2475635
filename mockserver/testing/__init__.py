"""Testing helpers: the per-test ``MockHandle``, the session's server pool, transcripts and per-test recordings."""

from __future__ import annotations

from mockserver.testing.handle import (
    FixtureSource,
    FixtureWarning,
    MockHandle,
    as_fixture,
    namespace_for,
    unmatched_report,
)
from mockserver.testing.pool import ServerPool
from mockserver.testing.transcript import Transcript, UsageTotals

__all__ = [
    "FixtureSource",
    "FixtureWarning",
    "MockHandle",
    "ServerPool",
    "Transcript",
    "UsageTotals",
    "as_fixture",
    "namespace_for",
    "unmatched_report",
]
