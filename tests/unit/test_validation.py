"""Checking values against a request's own JSON Schema never runs the schema's regexes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mockserver.fixtures.validation import has_pattern, validator, without_patterns

EVIL = "(.|.)*!"  # catastrophic for a backtracking engine on any 32-character string without "!"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"code": {"type": "string", "minLength": 32, "maxLength": 32, "pattern": EVIL}},
    "patternProperties": {EVIL: {"type": "string"}},
    "additionalProperties": False,
    "required": ["code"],
}


@pytest.fixture
def no_user_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    real = re._compile  # type: ignore[attr-defined]

    def spy(pattern: Any, flags: Any) -> Any:
        assert pattern != EVIL, "a user's pattern reached Python's re"
        return real(pattern, flags)

    monkeypatch.setattr(re, "_compile", spy)


@pytest.mark.usefixtures("no_user_regex")
def test_a_value_is_checked_without_running_the_patterns() -> None:
    check = validator(SCHEMA)
    assert check.is_valid({"code": "a" * 32})  # the pattern would hang here; the length still holds
    assert not check.is_valid({"code": "short"})
    assert not check.is_valid({})


def test_pattern_keywords_are_removed_and_additional_properties_with_them() -> None:
    stripped = without_patterns(SCHEMA)
    assert stripped == {
        "type": "object",
        "properties": {"code": {"type": "string", "minLength": 32, "maxLength": 32}},
        "required": ["code"],
    }
    assert without_patterns({"additionalProperties": False}) == {"additionalProperties": False}
    assert has_pattern(SCHEMA)
    assert not has_pattern(stripped)
