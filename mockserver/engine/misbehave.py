"""The faults a real model shows on purpose, as pure, seeded edits of a reply: broken JSON arguments, arguments that
break the tool's schema, an unknown tool, a cut argument string, a half-filtered text, a refusal.

Each helper takes what it breaks and a seed, and gives back the broken form; ``engine/responder.py`` applies them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Collection, Mapping
from typing import Any

from mockserver.fixtures.validation import validator

REFUSALS = (
    "I'm sorry, but I can't help with that.",
    "I can't assist with that request.",
    "Sorry, I won't be able to help with this one.",
)
UNKNOWN_TOOLS = ("search_web", "run_python", "browse_page", "send_email", "query_database")


def _breakers() -> list[Callable[[str], str]]:
    return [
        lambda text: text[:-1],  # the closing brace is missing
        lambda text: text.replace('"', "'"),  # Python-style quotes
        lambda text: text[:-1] + ",}" if len(text) > 2 else "{,}",  # a trailing comma
        lambda text: "```json\n" + text + "\n```",  # wrapped in a Markdown fence
    ]


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def invalid_json(arguments: str, seed: int) -> str:
    """``arguments`` made unparsable in one of the ways models get JSON wrong, picked by ``seed``."""
    breakers = _breakers()
    start = random.Random(seed).randrange(len(breakers))
    for step in range(len(breakers)):
        broken = breakers[(start + step) % len(breakers)](arguments)
        if not _parses(broken):
            return broken
    return arguments + "}"


def _type_clash(node: Mapping[str, Any]) -> Any:
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds:
        return 42 if not {"integer", "number"} & set(kinds) else ["not", "this"]
    if {"integer", "number"} & set(kinds) or "boolean" in kinds:
        return "not a number"
    return "wrong type" if kinds != [None] or "enum" in node else None


def _violations(schema: Mapping[str, Any], arguments: dict[str, Any]) -> list[dict[str, Any] | list[Any]]:
    """Candidate argument objects, each breaking ``schema`` in one way derived from it."""
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    assert isinstance(props, Mapping)
    required = [k for k in schema.get("required", []) if isinstance(k, str) and k in arguments]
    found: list[dict[str, Any] | list[Any]] = []
    for key in required:  # a required property left out
        found.append({k: v for k, v in arguments.items() if k != key})
    for key, node in props.items():
        if not isinstance(node, Mapping):
            continue
        if isinstance(node.get("enum"), list):  # a value outside the enum
            found.append({**arguments, key: f"not-{'-'.join(map(str, node['enum']))[:40]}"})
        clash = _type_clash(node)
        if clash is not None:  # a value of the wrong type
            found.append({**arguments, key: clash})
    if schema.get("additionalProperties") is False:
        found.append({**arguments, "unexpected_field": True})
    return [*found, [arguments]]  # last resort: an array where an object belongs


def _breaks(schema: Mapping[str, Any], value: Any) -> bool:
    try:
        return not validator(schema).is_valid(value)
    except Exception:  # an unreadable schema: any non-object breaks a tool's arguments
        return not isinstance(value, dict)


def schema_violation(schema: Mapping[str, Any] | None, arguments: str, seed: int) -> str:
    """Arguments that are valid JSON but break the tool's ``schema``: a required property left out, a value of the
    wrong type or outside its enum, or an extra property where none is allowed; the kind is picked by ``seed``."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        value = {}
    value = value if isinstance(value, dict) else {}
    schema = schema or {"type": "object"}
    candidates = [c for c in _violations(schema, value) if _breaks(schema, c)]
    if not candidates:
        return json.dumps([value], ensure_ascii=False, separators=(",", ":"))
    pick = candidates[random.Random(seed).randrange(len(candidates))]
    return json.dumps(pick, ensure_ascii=False, separators=(",", ":"))


def unknown_tool(name: str, offered: Collection[str], seed: int) -> str:
    """A tool name that the request does not offer (a plausible one, or ``name`` with a version suffix)."""
    choices = [n for n in (*UNKNOWN_TOOLS, f"{name}_v2") if n not in offered]
    if not choices:
        return name + "_unknown"
    return choices[random.Random(seed).randrange(len(choices))]


def cut(text: str, seed: int) -> str:
    """``text`` cut somewhere in its second quarter (never whole, never empty when it has two characters)."""
    if len(text) < 2:
        return ""
    low, high = max(1, len(text) // 4), max(1, len(text) // 2)
    return text[: random.Random(seed).randint(low, high)]


def refusal(seed: int) -> str:
    """A refusal sentence, picked by ``seed``."""
    return REFUSALS[random.Random(seed).randrange(len(REFUSALS))]
