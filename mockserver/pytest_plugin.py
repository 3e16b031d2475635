"""pytest plugin: one mock server per session (or xdist worker) and a ``clarifai_mock`` handle isolated per test.

Registered by the ``pytest11`` entry point under its module path, so listing it in a conftest's ``pytest_plugins``
as well is harmless. The server modules are imported when a fixture is first used, not when pytest starts, so
projects that have the package installed but never use the fixtures pay nothing.

Strictness: the marker's ``strict=`` when given, else the server's ``no_match``, which the default
``clarifai_mock_settings`` takes from ``--clarifai-mock-strict`` / ``--no-clarifai-mock-strict``.

Recording: a marker's ``record=`` installs a recorder on the server for that test only (see ``testing.recording``),
in the mode of ``--clarifai-mock-record-mode``; while it forwards, unmatched requests go upstream instead of failing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.config import ErrorStyle, Settings
    from mockserver.record.recorder import Recorder
    from mockserver.server import MockServer
    from mockserver.testing import FixtureSource, MockHandle, ServerPool

MARKER = "clarifai_mock"
MARKER_KWARGS = ("fixtures", "strict", "error_style", "record")
RECORD_MODES = ("none", "once", "new_episodes", "all")  # RecordMode's values, without importing it at start-up
MARKER_HELP = (
    "clarifai_mock(fixtures=[...], strict=None, error_style=None, record=False): configure this test's clarifai_mock. "
    "fixtures: fixture files or folders (relative to the test file) or fixture dicts, loaded for this test only; "
    "strict: True = unmatched requests fail the test and every marker fixture must answer a request, "
    "False = unmatched requests get generated replies, None = --clarifai-mock-strict decides; "
    "error_style: 'clarifai' or 'openai' error bodies for this test; "
    "record: True = record this test's chat requests to recordings/<module>/<test>.yaml next to the test file and "
    "replay them (a path string chooses the file, relative to the test file), per --clarifai-mock-record-mode."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``clarifai-mock`` option group."""
    group = parser.getgroup("clarifai-mock", "Clarifai mock server (clarifai-mockserver)")
    group.addoption(
        "--clarifai-mock-fixtures",
        action="append",
        default=[],
        metavar="PATH",
        dest="clarifai_mock_fixtures",
        help="fixture file or folder for the session's mock server, shared by all tests (repeatable).",
    )
    group.addoption(
        "--clarifai-mock-strict",
        action="store_true",
        default=True,
        dest="clarifai_mock_strict",
        help="a request no fixture matches gets a 404 and fails its test at teardown (default).",
    )
    group.addoption(
        "--no-clarifai-mock-strict",
        action="store_false",
        dest="clarifai_mock_strict",
        help="a request no fixture matches gets a generated reply instead.",
    )
    group.addoption(
        "--clarifai-mock-record-mode",
        choices=RECORD_MODES,
        default="none",
        dest="clarifai_mock_record_mode",
        help="tests marked clarifai_mock(record=...): none = replay their recording, a miss fails (default); "
        "once = record when the file does not exist yet; new_episodes = record what is missing; all = record anew.",
    )
    group.addoption(
        "--clarifai-mock-upstream",
        default=None,
        metavar="URL",
        dest="clarifai_mock_upstream",
        help="base URL recording tests forward to (default: clarifai_mock_settings.upstream, Clarifai's API); "
        "the mock's dummy PAT is replaced by CLARIFAI_PAT there.",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so ``--strict-markers`` accepts it, and check the upstream URL."""
    config.addinivalue_line("markers", MARKER_HELP)
    upstream = config.getoption("clarifai_mock_upstream", None)
    if upstream and not upstream.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--clarifai-mock-upstream: expected an http(s) URL, got {upstream!r}")


@dataclass(frozen=True)
class MarkerOptions:
    """The kwargs of the closest ``@pytest.mark.clarifai_mock``, checked."""

    fixtures: tuple[FixtureSource, ...] = ()
    strict: bool | None = None
    error_style: ErrorStyle | None = None
    record: Path | None = None


def marker_options(item: pytest.Item) -> MarkerOptions:
    """Read and check the test's closest ``clarifai_mock`` marker; a mistake fails the test's setup, readably."""
    from mockserver.config import ErrorStyle

    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return MarkerOptions()
    where = f"@pytest.mark.{MARKER} on {item.nodeid}"
    unknown = sorted(set(marker.kwargs) - set(MARKER_KWARGS))
    if marker.args or unknown:
        given = "positional arguments" if marker.args else f"unknown keyword(s) {', '.join(unknown)}"
        pytest.fail(f"{where}: {given}; it takes keywords {', '.join(MARKER_KWARGS)}", pytrace=False)
    fixtures = marker.kwargs.get("fixtures") or ()
    if isinstance(fixtures, str | Mapping) or not hasattr(fixtures, "__iter__"):
        fixtures = [fixtures]
    strict = marker.kwargs.get("strict")
    if strict is not None and not isinstance(strict, bool):
        pytest.fail(f"{where}: strict must be True, False or None, not {strict!r}", pytrace=False)
    style = marker.kwargs.get("error_style")
    if style is not None and style not in set(ErrorStyle):
        choices = ", ".join(repr(s.value) for s in ErrorStyle)
        pytest.fail(f"{where}: error_style must be one of {choices}, not {style!r}", pytrace=False)
    record = _record_path(item, marker.kwargs.get("record"), where)
    return MarkerOptions(tuple(fixtures), strict, ErrorStyle(style) if style is not None else None, record)


def _record_path(item: pytest.Item, record: object, where: str) -> Path | None:
    from mockserver.testing.recording import recording_path

    cls = getattr(item, "cls", None)
    try:
        return recording_path(record, item.path, item.name, cls.__qualname__ if cls is not None else None)
    except ValueError as exc:
        problem = str(exc)
    pytest.fail(f"{where}: {problem}", pytrace=False)


@pytest.fixture(scope="session")
def clarifai_mock_settings(pytestconfig: pytest.Config) -> Settings:
    """Settings of the session's mock server, from the --clarifai-mock-* options; override it in conftest.py."""
    from mockserver.config import NoMatch, Settings

    paths = [pytestconfig.invocation_params.dir / path for path in pytestconfig.getoption("clarifai_mock_fixtures")]
    strict = pytestconfig.getoption("clarifai_mock_strict")
    extra: dict[str, Any] = {"fixtures": paths} if paths else {}
    no_match = NoMatch.STRICT if strict else NoMatch.GENERATE
    # replay_speed=0: recorded streams replay at once in tests (recording tests, and recordings in --fixtures).
    return Settings(host="127.0.0.1", port=0, reload=False, no_match=no_match, replay_speed=0, **extra)


@pytest.fixture(scope="session")
def clarifai_mock_server(clarifai_mock_settings: Settings) -> Iterator[MockServer]:
    """The session's mock server (one per xdist worker), on a free 127.0.0.1 port; stopped at the end."""
    from mockserver.errors import FixtureFileError
    from mockserver.server import MockServer

    try:
        server = MockServer(clarifai_mock_settings)
    except FixtureFileError as exc:
        problem = str(exc)
    else:
        with server:
            yield server
        return
    # Failing outside the except block keeps the chained traceback out of the report.
    pytest.fail(f"clarifai-mock: the fixture files are invalid:\n{problem}", pytrace=False)


@pytest.fixture(scope="session")
def _clarifai_mock_pool(clarifai_mock_server: MockServer) -> Iterator[ServerPool]:
    """The session server plus servers for other error styles, started when a marker first asks."""
    from mockserver.testing import ServerPool

    pool = ServerPool(clarifai_mock_server)
    yield pool
    pool.close()


@pytest.fixture
def clarifai_mock(request: pytest.FixtureRequest, _clarifai_mock_pool: ServerPool) -> Iterator[MockHandle]:
    """This test's isolated view of the mock: clients, inline fixtures, journal, usage; fails on unmatched calls."""
    from pydantic import ValidationError

    from mockserver.errors import FixtureFileError
    from mockserver.testing import MockHandle, namespace_for

    options = marker_options(request.node)
    server = _clarifai_mock_pool.get(options.error_style)
    handle = MockHandle(server, namespace_for(request.node.nodeid), root=request.path.parent, strict=options.strict)
    handle.begin()
    with contextlib.ExitStack() as recording:  # the recorder is installed for this test only
        problem: str | None = None
        recorder: Recorder | None = None
        try:
            handle.pin_fixtures(options.fixtures)
            recorder = _start_recording(request.config, recording, server, options.record)
        except (FixtureFileError, ValidationError) as exc:
            problem = str(exc)
        if problem is not None:
            handle.finish()
            pytest.fail(f"@pytest.mark.{MARKER} on {request.node.nodeid}: invalid fixtures:\n{problem}", pytrace=False)
        yield handle
        late = _recording_problems(recorder, handle)
    problems = handle.finish() + late
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _start_recording(
    config: pytest.Config, stack: contextlib.ExitStack, server: MockServer, path: Path | None
) -> Recorder | None:
    if path is None:
        return None
    from mockserver.config import RecordMode
    from mockserver.testing.recording import start_recording

    mode = RecordMode(config.getoption("clarifai_mock_record_mode"))
    return start_recording(stack, server, path, mode, config.getoption("clarifai_mock_upstream"))


def _recording_problems(recorder: Recorder | None, handle: MockHandle) -> list[str]:
    if recorder is None:
        return []
    from mockserver.testing.recording import recording_problems

    return recording_problems(recorder, handle.journal)
