"""Pattern-constrained strings are built from the regex's parse tree, never by running a backtracking regex."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.engine.synth import generate_value, values
from mockserver.engine.synth.regex import Unbuildable, Walk, build_matching

EVIL = "(.|.)*!"


@pytest.fixture
def user_regex_never_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail if anything compiles the schema's pattern with ``re`` (every ``re`` call goes through ``re._compile``)."""
    real = re._compile  # type: ignore[attr-defined]
    seen: list[str] = []

    def spy(pattern: Any, flags: Any) -> Any:
        if pattern == EVIL:
            seen.append(pattern)
            raise AssertionError("the user's pattern was handed to re")
        return real(pattern, flags)

    monkeypatch.setattr(re, "_compile", spy)
    yield seen
    assert seen == []


def test_a_backtracking_pattern_is_built_without_running_it(user_regex_never_runs: list[str]) -> None:
    schema = {"type": "string", "minLength": 32, "maxLength": 32, "pattern": EVIL}
    for seed in range(5):
        value = generate_value(schema, seed)
        assert len(value) == 32
        assert "!" in value  # (.|.)*! under search semantics: some '!' anywhere; checked without the regex


@pytest.mark.parametrize(
    ("pattern", "low", "high"),
    [
        (r"^[A-Z]{3}-[0-9]{4}$", 0, 100),
        (r"^(a|bc)+$", 7, 7),
        (r"[^a-z\d]\w+?\s*", 0, 10),
        (r"(?i)[^a]x", 0, 5),
        (r"x{3}", 4, 4),
        (r"x{3}$", 6, 6),
        (r"^\d{2,}(?:\.\d+)?$", 5, 9),
        (r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$", 6, 40),
    ],
)
def test_built_strings_match_and_fit(pattern: str, low: int, high: int) -> None:
    for seed in range(10):
        value = build_matching(pattern, Walk(random.Random(seed)), low, high)
        assert low <= len(value) <= high
        assert re.search(pattern, value), value  # these patterns are linear, so checking with re is safe


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "GROUPREF"),
        (r"\bword", "AT_BOUNDARY"),
        (r"a(?=b)", "ASSERT"),
        ("(" * 200 + "a" + ")" * 200, "nests too deeply"),
        (r"^x{3}$", "allowed length"),
        ("[", "does not parse"),
    ],
)
def test_patterns_it_cannot_build_say_why(pattern: str, reason: str) -> None:
    with pytest.raises(Unbuildable, match=re.escape(reason)):
        build_matching(pattern, Walk(random.Random(1)), 4, 4)


def test_one_schema_shares_one_step_budget(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "MAX_STEPS", 5_000)  # the real budget, scaled down so the test stays fast
    many = {"type": "string", "minLength": 500, "maxLength": 500, "pattern": "^a+$"}
    schema = {
        "type": "object",
        "properties": {f"p{i}": many for i in range(40)},
        "required": [f"p{i}" for i in range(40)],
    }
    value = generate_value(schema, 1)
    built = [v for v in value.values() if v == "a" * 500]
    assert 0 < len(built) < 40  # the first few are built, then the shared budget runs out ...
    assert "need too many steps" in caplog.text  # ... and says so


def test_an_unbuildable_pattern_keeps_the_plain_value_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    value = generate_value({"type": "string", "maxLength": 10, "pattern": r"(a)\1"}, 3)
    assert isinstance(value, str)
    assert len(value) <= 10
    assert "GROUPREF is not supported" in caplog.text
