"""Bulk fixture loads index the run-time layer once, not once per fixture (which made 5,000 fixtures take minutes)."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver import Fixture
from mockserver.fixtures import store as store_module
from mockserver.fixtures.store import FixtureStore, Layer


def fixture(name: str | None, content: str) -> Fixture:
    data: dict[str, Any] = {"match": {"user": f"question {content}"}, "reply": {"content": content}}
    return Fixture.model_validate({"name": name, **data} if name else data)


def test_a_bulk_load_builds_the_layer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []

    class Counting(Layer):
        def __init__(self, entries: Any) -> None:
            super().__init__(entries)
            built.append(len(self.entries))

    monkeypatch.setattr(store_module, "Layer", Counting)
    store = FixtureStore()
    built.clear()
    store.add_many([fixture(f"f{i}", str(i)) for i in range(1000)], "ns")
    assert [n for n in built if n] == [1000]  # (plus the empty layer a new namespace starts from)


def test_add_many_equals_adding_one_by_one() -> None:
    batch = [fixture("a", "1"), fixture(None, "2"), fixture("b", "3"), fixture("a", "4"), fixture(None, "5")]
    one_by_one, bulk = FixtureStore(), FixtureStore()
    singles = [one_by_one.add(f).name for f in batch]
    assert [e.name for e in bulk.add_many(batch)] == singles == ["a", "runtime#1", "b", "a", "runtime#3"]
    listing = [(e.name, e.fixture.reply_for(0).content) for e in bulk.entries()]
    assert listing == [(e.name, e.fixture.reply_for(0).content) for e in one_by_one.entries()]
    assert listing == [("runtime#1", "2"), ("b", "3"), ("a", "4"), ("runtime#3", "5")]
