"""``FixtureStore``: load order, run-time layers and namespaces, sequence counters, reloads, near-miss reports, and an
index that agrees with a plain scan while looking at only a handful of the 10,000 fixtures it holds."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from mockserver import Fixture
from mockserver.chat_request import parse_chat_request
from mockserver.fixtures.facts import RequestFacts, read_conversation
from mockserver.fixtures.store import SCANNED, Entry, FixtureStore, Hit, Layer, Miss, NearMiss, closest_fixtures

GPT4O = "openai/chat-completion/models/gpt-4o"


def facts(text: str = "hello", endpoint: str = "chat.completions", **body: Any) -> RequestFacts:
    data = {"model": GPT4O, "messages": [{"role": "user", "content": text}], **body}
    return RequestFacts(endpoint, GPT4O, read_conversation(parse_chat_request(data)))


def fixture(name: str | None = None, match: dict[str, Any] | None = None, **reply: Any) -> Fixture:
    data: dict[str, Any] = {"match": match or {}, **({"name": name} if name else {})}
    if "sequence" in reply:
        data["sequence"] = reply["sequence"]
    else:
        data["reply"] = reply or {"content": name or "scripted"}
    return Fixture.model_validate(data)


def entry(name: str, match: dict[str, Any] | None = None, source: str = "file.yaml", **reply: Any) -> Entry:
    return Entry.of(fixture(name, match, **reply), name, source)


def answer(store: FixtureStore, request: RequestFacts, namespace: str | None = None) -> str:
    """The name of the fixture that answers, or ``"<miss>"``."""
    found = store.resolve(request, namespace)
    return found.entry.name if isinstance(found, Hit) else "<miss>"


SEQUENCE = [{"content": "first"}, {"content": "second"}, {"content": "third"}]


# --- order ---------------------------------------------------------------------------------------------------------


def test_first_match_in_load_order_wins() -> None:
    store = FixtureStore([entry("broad", {"user": "weather"}), entry("narrow", {"user": "weather", "turn": 0})])
    assert answer(store, facts("weather?")) == "broad"
    store = FixtureStore([entry("narrow", {"user": "weather", "turn": 0}), entry("broad", {"user": "weather"})])
    assert answer(store, facts("weather?")) == "narrow"


def test_load_order_holds_across_indexed_and_unindexed_fixtures() -> None:
    regex_first = [entry("by-regex", {"user": {"regex": "weath"}}), entry("by-word", {"user": "weather"})]
    assert answer(FixtureStore(regex_first), facts("weather?")) == "by-regex"
    word_first = [entry("by-word", {"user": "weather"}), entry("by-regex", {"user": {"regex": "weath"}})]
    assert answer(FixtureStore(word_first), facts("weather?")) == "by-word"
    catch_all_last = [entry("by-equals", {"user": {"equals": "weather?"}}), entry("any", {})]
    assert answer(FixtureStore(catch_all_last), facts("Weather?")) == "by-equals"


def test_run_time_fixtures_come_before_file_fixtures() -> None:
    store = FixtureStore([entry("from-file", {"user": "weather"})])
    store.add(fixture("shared", {"user": "weather"}))
    store.add(fixture("scoped", {"user": "weather"}), namespace="test-a")
    assert answer(store, facts("weather")) == "shared"
    assert answer(store, facts("weather"), "test-a") == "scoped"
    assert [e.name for e in store.entries("test-a")] == ["scoped", "shared", "from-file"]
    assert [e.name for e in store.entries()] == ["shared", "from-file"]
    assert store.entries("test-a")[0].source == "runtime"


# --- namespaces ----------------------------------------------------------------------------------------------------


def test_a_fixture_added_in_one_namespace_is_invisible_to_another() -> None:
    store = FixtureStore()
    store.add(fixture("only-a", {"user": "ping"}), namespace="a")
    assert answer(store, facts("ping"), "a") == "only-a"
    assert answer(store, facts("ping"), "b") == "<miss>"
    assert answer(store, facts("ping")) == "<miss>"
    assert [e.name for e in store.entries("b")] == []


def test_sequence_counters_are_per_namespace() -> None:
    store = FixtureStore([entry("seq", {"user": "go"}, sequence=SEQUENCE)])

    def content(namespace: str | None) -> str | None:
        found = store.resolve(facts("go"), namespace)
        assert isinstance(found, Hit)
        return found.reply.content

    assert [content("a"), content("a")] == ["first", "second"]
    assert [content("b"), content(None)] == ["first", "first"]
    assert [content("a"), content("a")] == ["third", "third"]  # the last reply repeats
    assert (store.calls("seq", "a"), store.calls("seq", "b"), store.calls("seq")) == (4, 1, 1)


def test_hits_report_the_call_number() -> None:
    store = FixtureStore([entry("seq", {}, sequence=SEQUENCE)])
    calls = []
    for _ in range(4):
        found = store.resolve(facts())
        assert isinstance(found, Hit)
        calls.append(found.call)
    assert calls == [0, 1, 2, 3]


def test_reset_of_one_namespace_keeps_the_others() -> None:
    store = FixtureStore([entry("seq", {"user": "go"}, sequence=SEQUENCE)])
    for namespace in ("a", "b"):
        store.add(fixture(f"rt-{namespace}", {"user": "other"}), namespace=namespace)
        store.resolve(facts("go"), namespace)
    store.reset("a")
    assert (store.calls("seq", "a"), store.calls("seq", "b")) == (0, 1)
    assert [e.name for e in store.entries("a")] == ["seq"]
    assert [e.name for e in store.entries("b")] == ["rt-b", "seq"]
    store.reset()
    assert (store.calls("seq", "b"), [e.name for e in store.entries("b")]) == (0, ["seq"])


def test_replace_base_resets_counters_and_counts_generations() -> None:
    store = FixtureStore([entry("seq", {"user": "go"}, sequence=SEQUENCE)])
    store.resolve(facts("go"))
    store.resolve(facts("go"), "a")
    assert store.generation == 0
    store.replace_base([entry("seq", {"user": "go"}, sequence=SEQUENCE), entry("new", {"user": "new"})])
    assert store.generation == 1
    assert (store.calls("seq"), store.calls("seq", "a")) == (0, 0)
    assert answer(store, facts("new")) == "new"


def test_replace_base_keeps_run_time_fixtures() -> None:
    store = FixtureStore([entry("old", {"user": "x"})])
    store.add(fixture("rt", {"user": "y"}))
    store.replace_base([entry("new", {"user": "x"})])
    assert [e.name for e in store.entries()] == ["rt", "new"]


def test_wait_for_generation() -> None:
    store = FixtureStore()
    assert store.wait_for_generation(0, timeout=0)
    assert not store.wait_for_generation(1, timeout=0.01)
    worker = threading.Thread(target=store.replace_base, args=([entry("late", {})],))
    worker.start()
    assert store.wait_for_generation(1, timeout=10)
    worker.join()
    assert answer(store, facts()) == "late"


# --- adding and removing -------------------------------------------------------------------------------------------


def test_adding_a_name_again_replaces_it() -> None:
    store = FixtureStore()
    store.add(fixture("same", {"user": "a"}, content="one"))
    store.add(fixture("same", {"user": "a"}, content="two"))
    [only] = store.entries()
    assert only.fixture.reply is not None
    assert only.fixture.reply.content == "two"


def test_unnamed_fixtures_get_names_that_never_collide() -> None:
    store = FixtureStore()
    first = store.add(fixture(None, {"user": "a"}))
    second = store.add(fixture(None, {"user": "b"}))
    assert (first.name, second.name) == ("runtime#0", "runtime#1")
    assert store.remove(first.name)
    third = store.add(fixture(None, {"user": "c"}))
    assert third.name == "runtime#2"
    assert sorted(e.name for e in store.entries()) == sorted([second.name, third.name])


def test_remove() -> None:
    store = FixtureStore([entry("file", {})])
    store.add(fixture("rt", {}), namespace="a")
    assert not store.remove("rt")
    assert not store.remove("file", "a")
    assert store.remove("rt", "a")
    assert [e.name for e in store.entries("a")] == ["file"]


# --- misses --------------------------------------------------------------------------------------------------------


def test_miss_report_names_the_closest_fixtures_and_their_failing_keys() -> None:
    store = FixtureStore(
        [
            entry("far", {"user": "weather", "turn": 3, "stream": True}, source="a.yaml"),
            entry("near", {"user": "weather", "turn": 1}, source="b.yaml"),
        ]
    )
    found = store.resolve(facts("What's the weather?"))
    assert isinstance(found, Miss)
    assert found.closest == [
        NearMiss("near", "b.yaml", ["turn: wants 1, got 0"]),
        NearMiss("far", "a.yaml", ["turn: wants 3, got 0", "stream: wants True, got False"]),
    ]
    assert found.report() == (
        "No fixture matched this request. Closest:\n"
        "  - 'near' (b.yaml): turn: wants 1, got 0\n"
        "  - 'far' (a.yaml): turn: wants 3, got 0; stream: wants True, got False"
    )


def test_miss_report_without_fixtures() -> None:
    found = FixtureStore([entry("emb", {"endpoint": "embeddings"})]).resolve(facts())
    assert isinstance(found, Miss)
    assert found.closest == []
    assert found.report() == "No fixture matched this request, and no fixture is loaded for this endpoint."


def test_near_miss_ranking() -> None:
    entries = [
        entry("two-failures", {"user": "forecast", "stream": True}),
        entry("one-failure-vague", {"user": "billing"}),
        entry("one-failure-specific", {"user": "refund", "turn": 1, "stream": False}),
        entry("one-failure-same-words", {"user": {"equals": "refund my order please"}}),
        entry("other-endpoint", {"endpoint": "embeddings"}),
        entry("one-failure-last", {"user": "invoice"}),
    ]
    closest = closest_fixtures(entries, facts("Refund my order"))
    # Fewest failures first; on ties, shared words with the request, then more keys, then load order.
    assert [near.name for near in closest] == ["one-failure-same-words", "one-failure-specific", "one-failure-vague"]
    everything = closest_fixtures(entries, facts("Refund my order"), limit=10)
    assert [near.name for near in everything][-1] == "two-failures"
    assert "other-endpoint" not in [near.name for near in everything]


# --- the index -----------------------------------------------------------------------------------------------------

WORDS = ["weather", "paris", "hi", "this", "history", "order", "refund", "New", "york", "straße", "İstanbul", "a-b"]


def random_match(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["contains", "phrase", "loose", "equals", "regex", "none", "turn"])
    word = rng.choice(WORDS)
    if kind == "contains":
        return {"user": {"contains": word, "case_sensitive": rng.random() < 0.2}}
    if kind == "phrase":
        return {"user": f"{word} {rng.choice(WORDS)}"}
    if kind == "loose":
        return {"user": {"contains": word[:3], "whole_word": False}}
    if kind == "equals":
        return {"user": {"equals": " ".join(rng.sample(WORDS, 2))}}
    if kind == "regex":
        return {"user": {"regex": rf"{word[:2]}\w*"}}
    if kind == "turn":
        return {"turn": rng.randint(0, 1), "user": word}
    return {}


def random_text(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(1, 3)) + rng.sample(["istanbul", "STRASSE", "this,", "Hi!", "x"], 1)
    rng.shuffle(words)
    return " ".join(w.upper() if rng.random() < 0.2 else w for w in words)


def test_index_agrees_with_a_plain_scan() -> None:
    rng = random.Random(20240601)
    for _ in range(30):
        entries = [entry(f"f{i}", random_match(rng)) for i in range(rng.randint(1, 40))]
        store = FixtureStore(entries)
        for _ in range(30):
            request = facts(random_text(rng))
            expected = next((e.name for e in entries if not e.compiled.failures(request)), "<miss>")
            assert answer(store, request) == expected, request.conversation.last_user


def test_ten_thousand_fixtures_look_at_a_handful_of_candidates() -> None:
    entries = [entry(f"exact-{i}", {"user": {"equals": f"prompt number {i}"}}) for i in range(5_000)]
    # Phrases that share their first words, as real prompts do: each is filed under its rarest word.
    entries += [entry(f"order-{i}", {"user": f"status of order {i:05d}"}) for i in range(5_000)]
    entries.append(entry("catch-all", {}))
    layer = Layer(entries)
    assert [e.name for e in layer.candidates(facts("Prompt number 4999"))] == ["exact-4999", "catch-all"]
    candidates = layer.candidates(facts("What is the status of order 04999?"))
    assert [e.name for e in candidates] == ["order-4999", "catch-all"]
    both = layer.candidates(facts("status of order 00007, then status of order 00042"))
    assert [e.name for e in both] == ["order-7", "order-42", "catch-all"]
    assert answer(FixtureStore(entries), facts("status of order 04999")) == "order-4999"


def fillers(count: int = SCANNED) -> list[Entry]:
    """Fixtures no test request matches, enough of them that a layer uses its word index."""
    return [entry(f"filler-{i}", {"user": f"filler {i}"}) for i in range(count)]


def test_a_shared_word_still_finds_every_fixture_that_needs_it() -> None:
    entries = [entry("a", {"user": "common rare"}), entry("b", {"user": "common"}), entry("c", {"user": "common"})]
    layer = Layer(entries + fillers())
    assert [e.name for e in layer.candidates(facts("common rare"))] == ["a", "b", "c"]
    assert [e.name for e in layer.candidates(facts("rare"))] == ["a"]


def test_a_small_layer_tries_every_fixture_of_the_endpoint_in_order() -> None:
    entries = [entry("a", {"user": "common rare"}), entry("e", {"user": "x", "endpoint": "embeddings"})]
    entries += fillers(SCANNED - 2)
    names = [e.name for e in Layer(entries).candidates(facts("rare"))]
    assert names == ["a", *(f"filler-{i}" for i in range(SCANNED - 2))]


def test_texts_the_word_index_cannot_handle_are_scanned() -> None:
    # re.IGNORECASE equates U+0345 (not a word character) with the Greek iota (a word character).
    entries = [entry("iota", {"user": "\u03b9"}), entry("other", {"user": "other"})]
    store = FixtureStore(entries)
    request = facts("say \u0345 please")
    assert not entries[0].compiled.failures(request)
    assert answer(store, request) == "iota"
    assert len(list(Layer(entries).candidates(request))) == 2


@pytest.mark.parametrize("endpoint", ["chat.completions", "embeddings"])
def test_index_is_per_endpoint(endpoint: str) -> None:
    layer = Layer([entry("chat", {"user": "hi"}), entry("emb", {"user": "hi", "endpoint": "embeddings"}), *fillers()])
    expected = "chat" if endpoint == "chat.completions" else "emb"
    assert [e.name for e in layer.candidates(facts("hi", endpoint=endpoint))] == [expected]
