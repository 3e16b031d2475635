"""Keep secrets out of recordings: scrub key-shaped strings and known PATs, and scan what is about to be written.

Two layers, so one mistake is not enough to leak a key:

1. ``Scrubber`` replaces secrets by ``<secret>`` in match text, reply fields, error bodies and raw SSE frames (a frame
   keeps its exact bytes except for the secret itself).
2. ``scan_fixtures`` walks the data about to be written and raises ``SecretLeak`` naming the fixture and the field
   path of anything that survived; the recorder then refuses to write the file.

Request ids look like Clarifai PATs (32 hex), so the 32-hex rule skips values under the keys in ``EXEMPT_KEYS``;
every other rule, and the known PATs, apply everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mockserver.errors import MockError
from mockserver.fixtures.secrets import PLACEHOLDER, RULES, scrub_text

EXEMPT_KEYS = frozenset({"req_id", "request_id", "id"})
MIN_LITERAL = 8  # shorter "PATs" (test dummies) would scrub ordinary words


class SecretLeak(MockError):
    """A secret survived scrubbing; nothing was written. The message names where, never the secret."""

    def __init__(self, target: str, findings: list[Finding]) -> None:
        self.findings = findings
        where = "; ".join(f"fixture {f.fixture!r} at {f.path}: {f.kind}" for f in findings)
        super().__init__(f"refusing to write {target}: a secret survived scrubbing ({where})")


@dataclass(frozen=True, slots=True)
class Finding:
    """A secret's location: the fixture name, the field path inside it and what kind of secret it looks like."""

    fixture: str
    path: str
    kind: str


def _secret_strings(text: str, exempt: bool) -> list[str]:
    return [text[s:e] for rule in RULES if not (exempt and rule.hex_like) for s, e in rule.spans(text)]


class Scrubber:
    """Scrubs key shapes plus the literal PATs it was given (the caller's and the upstream PAT)."""

    def __init__(self, literals: Iterable[str] = ()) -> None:
        self.literals = sorted({x for x in literals if len(x) >= MIN_LITERAL}, key=len, reverse=True)

    def text(self, text: str, *, exempt: bool = False) -> str:
        """Known PATs, then key shapes, replaced."""
        for literal in self.literals:
            text = text.replace(literal, PLACEHOLDER)
        return scrub_text(text, exempt=exempt)

    def value(self, value: Any, key: str | None = None) -> Any:
        """A JSON-like value with every string scrubbed; values under ``EXEMPT_KEYS`` keep 32-hex ids."""
        if isinstance(value, str):
            return self.text(value, exempt=key in EXEMPT_KEYS)
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        return value

    def payload(self, raw: str) -> str:
        """A raw SSE ``data`` payload scrubbed in place, so every other byte stays as received."""
        try:
            parsed = json.loads(raw)
        except ValueError:
            return self.text(raw)
        found = {s for text, exempt in _strings(parsed) for s in self._found(text, exempt)}
        for secret in sorted(found, key=len, reverse=True):
            raw = raw.replace(secret, PLACEHOLDER)
        if any(self._found(text, exempt) for text, exempt in _strings(json.loads(raw))):
            # The secret was escaped differently on the wire: give up byte-faithfulness, not safety.
            return json.dumps(self.value(parsed), ensure_ascii=False, separators=(",", ":"))
        return raw

    def _found(self, text: str, exempt: bool) -> list[str]:
        return [x for x in self.literals if x in text] + _secret_strings(text, exempt)


def _strings(value: Any, key: str | None = None) -> Iterator[tuple[str, bool]]:
    if isinstance(value, str):
        yield value, key in EXEMPT_KEYS
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def _kinds(text: str, exempt: bool, literals: Iterable[str]) -> list[str]:
    kinds = ["a PAT in use" for x in literals if len(x) >= MIN_LITERAL and x in text]
    return kinds + [r.kind for r in RULES if not (exempt and r.hex_like) and next(r.spans(text), None)]


def _walk(value: Any, path: str, key: str | None, literals: Iterable[str]) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path and not path.endswith("/") else f"{path}{k}", str(k), literals)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]", key, literals)
    elif isinstance(value, str):
        inner = _json_container(value)
        if inner is not None:
            yield from _walk(inner, f"{path}/", None, literals)
            yield from ((path, "a PAT in use") for x in literals if len(x) >= MIN_LITERAL and x in value)
            return
        yield from ((path, kind) for kind in _kinds(value, key in EXEMPT_KEYS, literals))


def _json_container(text: str) -> Any:
    if not text.startswith(("{", "[")):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def find_secrets(fixtures: list[dict[str, Any]], literals: Iterable[str] = ()) -> list[Finding]:
    """Every secret in fixtures as plain data (what the file will hold); strings holding JSON are searched inside."""
    known = list(literals)
    findings = []
    for index, fixture in enumerate(fixtures):
        name = str(fixture.get("name", f"#{index}"))
        findings += [Finding(name, path, kind) for path, kind in _walk(fixture, "", None, known)]
    return findings


def scan_fixtures(target: str, fixtures: list[dict[str, Any]], literals: Iterable[str] = ()) -> None:
    """Raise ``SecretLeak`` (naming fixture and field path) when any secret is in ``fixtures``."""
    findings = find_secrets(fixtures, literals)
    if findings:
        raise SecretLeak(target, findings)
