"""Load fixture files at start-up and reload them when they change; a failed reload keeps the last good set."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from mockserver.errors import FixtureFileError
from mockserver.fixture_files import SUFFIXES, load_fixture_files
from mockserver.store import FixtureStore

logger = logging.getLogger("mockserver.fixtures")


class Reloader:
    """Loads ``paths`` into ``store``; counts attempts so callers can wait for one without sleeping."""

    def __init__(self, store: FixtureStore, paths: Sequence[Path]) -> None:
        self.store = store
        self.paths = list(paths)
        self.attempts = 0
        self.last_error: str | None = None
        self._done = threading.Condition()

    def load(self) -> None:
        """Load now, raising ``FixtureFileError`` (used at start-up: an invalid file stops the server)."""
        result = load_fixture_files(self.paths)
        for warning in result.warnings:
            logger.warning("fixture warning: %s", warning)
        self.store.replace_base(result.entries)
        logger.info("loaded %d fixtures from %s", len(result.entries), ", ".join(map(str, self.paths)))

    def reload(self) -> bool:
        """Load again; on failure keep the current fixtures and log why. Returns success."""
        try:
            self.load()
            error = None
        except Exception as exc:  # anything: a reload must never kill the watcher or drop the last good set
            error = str(exc) if isinstance(exc, FixtureFileError) else f"{type(exc).__name__}: {exc}"
            logger.error("fixture reload failed, keeping the last good fixtures:\n%s", error)
        with self._done:
            self.attempts += 1
            self.last_error = error
            self._done.notify_all()
        return error is None

    def wait_for_attempt(self, attempt: int, timeout: float) -> bool:
        """Block until ``attempt`` reloads have been tried."""
        with self._done:
            return self._done.wait_for(lambda: self.attempts >= attempt, timeout)

    def _watched(self) -> list[Path]:
        # Watch folders, not files: editors save by writing a new file and renaming it over the old one.
        return sorted({p if p.is_dir() else p.parent for p in self.paths if p.exists()})

    def _relevant(self, changed: str) -> bool:
        path = Path(changed)
        return path.suffix in SUFFIXES and any(p == path or p in path.parents for p in self.paths)

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload whenever a fixture file under the watched paths changes, until ``stop`` is set."""
        from watchfiles import awatch

        watched = self._watched()
        if not watched:
            return
        async for changes in awatch(*watched, debounce=50, step=10, stop_event=stop):
            if any(self._relevant(path) for _, path in changes):
                await asyncio.to_thread(self.reload)
