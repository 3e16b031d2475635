"""What a user's message already says that a generated value can reuse: a place, a quoted phrase, numbers, dates
and words naming an enum option.

The rules are plain and predictable (see docs/generation.md):

- a *place* is the run of capitalised words after ``in``, ``at``, ``for``, ``near``, ``to``, ``from`` or ``about``
  ("weather in São Paulo?" → ``São Paulo``; "in Paris, France" → ``Paris, France``);
- a *quoted phrase* is text in double quotes, curly quotes or single quotes that stand apart from words;
- *dates* are ISO dates (``2026-03-14``) and day-month-year or month-day-year dates in words (``14 March 2026``,
  ``March 14, 2026``), given back as ISO dates;
- *numbers* are the other numbers, in the order they appear;
- an *enum option* is named when it appears in the message as a whole word, case aside.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine.synth.hints import hint_key
from mockserver.fixtures.validation import has_pattern, validator

_PLACE_NAMES = frozenset({"location", "city", "town", "place", "destination", "origin", "where"})
_QUERY_NAMES = frozenset({"query", "q", "search", "keywords", "keyword", "term", "phrase", "question", "topic"})
_DATE_NAMES = frozenset({"date", "day", "when", "deadline", "birthday"})
MAX_TEXT = 20_000  # a long prompt's tail is where the question is; the scan stays linear and short
_PREPOSITIONS = frozenset({"in", "at", "for", "near", "to", "from", "about"})
_CONNECTORS = frozenset({"de", "da", "do", "del", "la", "le", "of", "upon", "am", "sur", "y"})
_NOT_PLACES = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "tomorrow",
        "i",
        "celsius",
        "fahrenheit",
    ]
)
_TOKEN = re.compile(r"[^\W\d_][\w'\u2019.-]*|,|\S")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|“([^”\n]{1,200})”|(?<!\w)'([^'\n]{1,200})'(?!\w)")
_MONTHS = {
    name: i
    for i, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
_DATES = (
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})(?!\d)", re.I), ("d", "M", "y")),
    (re.compile(rf"{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I), ("M", "d", "y")),
)
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")


def _iso(match: re.Match[str], order: tuple[str, ...]) -> str | None:
    parts = dict(zip(order, match.groups(), strict=True))
    month = _MONTHS[parts["M"].lower()] if "M" in parts else int(parts["m"])
    try:
        return dt.date(int(parts["y"]), month, int(parts["d"])).isoformat()
    except ValueError:
        return None


def _dates(text: str) -> tuple[list[tuple[int, str]], str]:
    """ISO dates with their positions, and the text with every date blanked out (so its digits are no numbers)."""
    found: list[tuple[int, str]] = []
    for pattern, order in _DATES:
        for match in pattern.finditer(text):
            iso = _iso(match, order)
            if iso is not None:
                found.append((match.start(), iso))
                text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
    return sorted(found), text


def _place(text: str) -> str | None:
    tokens = _TOKEN.findall(text)
    for position, token in enumerate(tokens[:-1]):
        if token.lower() not in _PREPOSITIONS:
            continue
        words: list[str] = []
        for word in tokens[position + 1 :]:
            if word.lower() in _MONTHS or word.lower() in _NOT_PLACES:
                break
            if word[:1].isupper() or (words and (word.lower() in _CONNECTORS or word == ",")):
                words.append(word)
            else:
                break
        while words and (words[-1] == "," or words[-1].lower() in _CONNECTORS):
            words.pop()
        if words:
            return " ".join(words).replace(" ,", ",").rstrip(".'\u2019")
    return None


@dataclass
class Mentions:
    """What one message mentions; numbers and dates are handed out in order, each once."""

    text: str
    place: str | None = None
    quoted: str | None = None
    dates: list[str] = field(default_factory=list)
    numbers: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, text: str) -> Mentions:
        """Read ``text`` (its last ``MAX_TEXT`` characters)."""
        text = text[-MAX_TEXT:]
        quoted = _QUOTED.search(text)
        dates, rest = _dates(text)
        numbers = [float(m.group().replace(",", "")) for m in _NUMBER.finditer(rest)]
        phrase = next((g for g in quoted.groups() if g), None) if quoted else None
        return cls(text, _place(text), phrase, [iso for _, iso in dates], numbers)

    def enum_option(self, options: Sequence[Any]) -> tuple[bool, Any]:
        """``(True, option)`` for the string option named earliest in the text; ``(False, None)`` when none is."""
        found = []
        for option in options:
            if isinstance(option, str) and option.strip():
                hit = re.search(rf"(?<!\w){re.escape(option)}(?!\w)", self.text, re.IGNORECASE)
                if hit:
                    found.append((hit.start(), -len(option), option))
        return (True, min(found)[2]) if found else (False, None)

    def string_for(self, name: str | None, node: Mapping[str, Any]) -> str | None:
        """A mentioned value for a string property: a place for ``location``/``city``…, the quoted phrase for
        ``query``…, a date for a ``date`` (or ``date-time``) format or a date name; only when it fits the node
        (length, pattern)."""
        value: str | None = None
        if node.get("format") == "date" or (node.get("format") is None and hint_key(name, _DATE_NAMES)):
            value = self.take_date()
        elif node.get("format") == "date-time" and self.dates:  # a day named without a time: its midnight, UTC
            value = f"{self.take_date()}T00:00:00Z"
        elif node.get("format") is None and self.place and (key := hint_key(name, _PLACE_NAMES)):
            value = self.place.split(",")[0].strip() if key in ("city", "town") else self.place
        elif node.get("format") is None and hint_key(name, _QUERY_NAMES):
            value = self.quoted
        return value if value is not None and fits(node, value) else None

    def number_for(self, node: Mapping[str, Any], integer: bool) -> float | None:
        """The next mentioned number that fits a numeric node (an integer one takes whole numbers only)."""
        number = self.take_number(lambda n: (not integer or n == int(n)) and fits(node, int(n) if integer else n))
        if number is None:
            return None
        return int(number) if integer or number == int(number) else number

    def take_number(self, fits: Callable[[float], bool]) -> float | None:
        """The first unused number that ``fits`` (a predicate), marked used."""
        for position, number in enumerate(self.numbers):
            if fits(number):
                del self.numbers[position]
                return number
        return None

    def take_date(self) -> str | None:
        """The next unused date, marked used."""
        return self.dates.pop(0) if self.dates else None


def fits(node: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` satisfies a leaf schema node (bounds, length); a node it cannot read says no, and so does
    one with a regex (a user's pattern is never run: the value is built from the pattern instead)."""
    if has_pattern(node):
        return False
    try:
        return bool(validator(node).is_valid(value))
    except Exception:  # a malformed keyword in the caller's schema: the value is invented instead
        return False
