"""The public API is what ``mockserver`` exports: pinned here, so internals can move without breaking users."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mockserver

PUBLIC = [
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


def test_all_is_the_pinned_list() -> None:
    assert sorted(mockserver.__all__) == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_exported_name_resolves_and_says_where_it_lives(name: str) -> None:
    member = getattr(mockserver, name)
    if name != "__version__":
        assert member.__module__.startswith("mockserver."), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mockserver.nope


def test_importing_the_package_loads_no_web_framework() -> None:
    probe = "import sys, mockserver; print(sorted(m for m in ('starlette', 'uvicorn', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
