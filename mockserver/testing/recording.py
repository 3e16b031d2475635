"""Per-test recordings for the pytest plugin (``@pytest.mark.clarifai_mock(record=True)``).

A test marked ``@pytest.mark.clarifai_mock(record=True)`` gets ``recordings/<module>/<test>.yaml`` next to its test
file (the name sanitised as pytest-recording does: characters other than ``A-Z a-z 0-9 _ . -`` become ``_``, so
parametrised ids stay distinct). The plugin installs a ``Recorder`` on the session server for that test only, with
the mode of ``--clarifai-mock-record-mode`` (``none`` by default: replay, and a miss fails the test).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mockserver.config import RecordMode, Settings
from mockserver.fixtures.files import SUFFIXES
from mockserver.journal import JournalEntry
from mockserver.record.recorder import Recorder
from mockserver.schema import CHAT
from mockserver.server import MockServer

RECORDINGS_DIR = "recordings"
MODE_OPTION = "--clarifai-mock-record-mode"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def sanitize(name: str) -> str:
    """``name`` usable as a file name anywhere: each character other than ``A-Z a-z 0-9 _ . -`` becomes ``_``."""
    return _UNSAFE.sub("_", name)


def default_recording(test_file: Path, test_name: str, class_name: str | None = None) -> Path:
    """``<test file's folder>/recordings/<module>/<[Class.]test name, sanitised>.yaml``."""
    name = f"{class_name}.{test_name}" if class_name else test_name
    return test_file.parent / RECORDINGS_DIR / test_file.stem / f"{sanitize(name)}.yaml"


def recording_path(record: object, test_file: Path, test_name: str, class_name: str | None = None) -> Path | None:
    """The file a marker's ``record=`` asks for: ``True`` the default one, a path relative to the test file's folder,
    ``False`` or ``None`` no recording.

    Raises:
        ValueError: ``record`` is none of these, or the path does not end in ``.yaml``, ``.yml`` or ``.json``.
    """
    if record is None or record is False:
        return None
    if record is True:
        return default_recording(test_file, test_name, class_name)
    if not isinstance(record, str | os.PathLike) or not os.fspath(record).strip():
        raise ValueError(f"record must be True, False or a recording file path, not {record!r}")
    path = test_file.parent / os.fspath(record)
    if path.suffix not in SUFFIXES:
        raise ValueError(f"record={os.fspath(record)!r}: a recording file name ends in {', '.join(SUFFIXES)}")
    return path


@contextlib.contextmanager
def recording(
    server: MockServer, path: Path, mode: RecordMode = RecordMode.NEW_EPISODES, **options: Any
) -> Iterator[Recorder]:
    """Make ``server`` record into ``path`` for the ``with`` block::

        with recording(server, Path("tests/recordings/test_x.yaml"), RecordMode.ONCE) as recorder:
            ...  # requests to server.base_url replay, or are forwarded upstream and recorded
        assert not recorder.problems

    ``options`` are ``Recorder`` keyword arguments; the server's settings give the defaults (``upstream``,
    ``upstream_pat`` from ``CLARIFAI_PAT``, ``normalize_patterns``). The previous recorder comes back afterwards.
    """
    ctx = server.context
    settings: Settings = ctx.settings
    options.setdefault("upstream", settings.upstream)
    options.setdefault("upstream_pat", settings.upstream_pat.get_secret_value() if settings.upstream_pat else None)
    options.setdefault("normalize_patterns", settings.normalize_patterns)
    previous = ctx.use_recorder(Recorder(path, mode, **options))
    try:
        assert ctx.recorder is not None
        yield ctx.recorder
    finally:
        ctx.use_recorder(previous)


def start_recording(
    stack: contextlib.ExitStack, server: MockServer, path: Path, mode: RecordMode, upstream: str | None = None
) -> Recorder:
    """Install a recorder for ``path`` on ``server`` until ``stack`` closes; the previous one comes back then.

    ``upstream`` (the ``--clarifai-mock-upstream`` option) wins over the server settings' ``upstream``; the PAT sent
    upstream for the test's dummy PAT is the settings' ``upstream_pat`` (``CLARIFAI_PAT``).

    Raises:
        FixtureFileError: the recording file exists and is invalid.
    """
    options = {"upstream": upstream.rstrip("/")} if upstream else {}
    return stack.enter_context(recording(server, path, mode, **options))


def replay_missed(journal: Sequence[JournalEntry]) -> bool:
    """Whether a chat request of the test matched nothing (the 404 that names the nearest recording)."""
    return any(entry.near_miss and entry.status == 404 for entry in journal if entry.endpoint == CHAT)


def recording_problems(recorder: Recorder, journal: Sequence[JournalEntry]) -> list[str]:
    """Reasons to fail a recording test: exchanges that could not be written (e.g. refused by the secret scan) and,
    after a replay miss in ``journal`` (the test's requests), how to record what is missing."""
    found = []
    if recorder.problems:
        lines = [f"{len(recorder.problems)} exchange(s) of this test were not recorded in {recorder.path}:"]
        found.append("\n".join(lines + [f"  {problem}" for problem in recorder.problems]))
    if not recorder.forwards and replay_missed(journal):
        found.append(_replay_hint(recorder))
    return found


def _replay_hint(recorder: Recorder) -> str:
    mode = recorder.requested_mode.value
    if not recorder.path.exists():
        return (
            f"The recording {recorder.path} does not exist (record mode {mode}). Record it against the upstream "
            f"with {MODE_OPTION}=once (the PAT sent upstream comes from CLARIFAI_PAT), then commit it."
        )
    return (
        f"This test replays {recorder.path} (record mode {mode}), which lacks the request(s) above. Add them with "
        f"{MODE_OPTION}=new_episodes, or record the whole test again with {MODE_OPTION}=all."
    )
