"""The cheap prose of generated replies: deterministic per seed, varied across seeds, well-formed sentences."""

from __future__ import annotations

import pytest

from mockserver.engine import prose


def test_same_seed_same_text_and_seeds_differ() -> None:
    assert prose.text(42) == prose.text(42)
    assert len({prose.text(seed) for seed in range(50)}) == 50


def test_sentences_are_capitalised_and_end_in_one_full_stop() -> None:
    text = prose.text(5, sentences=3)
    assert text.count(".") == 3
    assert all(s.strip()[0].isupper() for s in text.split(".") if s.strip())
    assert set(text.replace(".", "").lower().split()) <= set(prose.WORDS)


def test_sentence_count_comes_from_the_seed_when_not_given() -> None:
    counts = {prose.text(seed).count(".") for seed in range(200)}
    assert counts == {1, 2, 3, 4}


def test_a_known_seed_gives_a_pinned_text() -> None:
    # Pinned so a change of table or algorithm (which would change every generated reply) is a deliberate one.
    assert prose.text(7, sentences=1) == PINNED


def test_zero_sentences_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        prose.text(1, sentences=0)


PINNED = "Age yes necessary control carry."
