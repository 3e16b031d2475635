"""clarifai-mockserver: a local, offline mock of Clarifai's OpenAI-compatible inference API.

Everything a user needs is importable from here; the folders below are internals that may move::

    from mockserver import MockServer, Settings, Fixture, Match, Reply

Names are loaded on first use, so ``import mockserver`` (and the pytest plugin) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ApiError": "mockserver.errors",
    "ErrorSpec": "mockserver.schema",
    "ErrorStyle": "mockserver.config",
    "Fixture": "mockserver.schema",
    "FixtureFile": "mockserver.schema",
    "FixtureFileError": "mockserver.errors",
    "Match": "mockserver.schema",
    "MockHandle": "mockserver.testing.handle",
    "MockServer": "mockserver.server",
    "NoMatch": "mockserver.config",
    "RecordMode": "mockserver.config",
    "Recorder": "mockserver.record.recorder",
    "Reply": "mockserver.schema",
    "Settings": "mockserver.config",
    "StreamScript": "mockserver.schema",
    "TextMatch": "mockserver.schema",
    "ToolCallSpec": "mockserver.schema",
    "create_app": "mockserver.app",
    "load_fixture_files": "mockserver.fixtures.files",
    "recording": "mockserver.testing.recording",
}

__all__ = [
    "ApiError",
    "ErrorSpec",
    "ErrorStyle",
    "Fixture",
    "FixtureFile",
    "FixtureFileError",
    "Match",
    "MockHandle",
    "MockServer",
    "NoMatch",
    "RecordMode",
    "Recorder",
    "Reply",
    "Settings",
    "StreamScript",
    "TextMatch",
    "ToolCallSpec",
    "__version__",
    "create_app",
    "load_fixture_files",
    "recording",
]

if TYPE_CHECKING:
    from mockserver.app import create_app
    from mockserver.config import ErrorStyle, NoMatch, RecordMode, Settings
    from mockserver.errors import ApiError, FixtureFileError
    from mockserver.fixtures.files import load_fixture_files
    from mockserver.record.recorder import Recorder
    from mockserver.schema import ErrorSpec, Fixture, FixtureFile, Match, Reply, StreamScript, TextMatch, ToolCallSpec
    from mockserver.server import MockServer
    from mockserver.testing.handle import MockHandle
    from mockserver.testing.recording import recording


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
