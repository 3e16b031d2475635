"""Read a request the way a generated reply needs to: which offered tool the user asks for, which tools were called
already, and the JSON Schema a prompt spells out (instructor's JSON mode).

The tool rule, kept plain so a test can predict it (docs/generation.md): a tool's *name words* are its name cut at
``_``, ``-``, ``.``, digits and camelCase, lower-cased, without common verbs and fillers (``get``, ``fetch``,
``search``, ``the``…); its *description words* are the description's words of four letters or more, without
common words. The last user message asks for the tool when it holds every name word (``get_weather``: "weather"),
or at least two description words. Words compare case-aside and singular ("flights" = "flight").
"""

from __future__ import annotations

import json
import re
from typing import Any

from mockserver.chat_request import ChatRequest, FunctionDef
from mockserver.engine.synth.hints import singular

_WORD = re.compile(r"[^\W\d_]+")
_NAME_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
GENERIC = frozenset(
    [
        "get",
        "set",
        "fetch",
        "list",
        "find",
        "search",
        "lookup",
        "look",
        "check",
        "show",
        "retrieve",
        "query",
        "compute",
        "calculate",
        "create",
        "make",
        "do",
        "run",
        "call",
        "tool",
        "tools",
        "api",
        "the",
        "a",
        "an",
        "of",
        "for",
        "to",
        "by",
        "and",
        "or",
        "with",
        "from",
        "in",
        "on",
        "info",
        "data",
        "details",
        "current",
        "my",
        "is",
        "it",
    ]
)
COMMON = GENERIC | frozenset(
    [
        "this",
        "that",
        "these",
        "those",
        "which",
        "will",
        "when",
        "where",
        "what",
        "given",
        "return",
        "returns",
        "returned",
        "user",
        "users",
        "using",
        "used",
        "value",
        "values",
        "about",
        "into",
        "your",
        "their",
        "them",
        "then",
        "than",
        "there",
        "some",
        "such",
        "only",
        "also",
        "each",
        "more",
        "most",
        "other",
        "should",
        "would",
        "could",
        "function",
        "parameter",
        "parameters",
        "specified",
        "specific",
        "based",
        "provided",
        "must",
        "have",
        "been",
        "being",
        "does",
        "like",
    ]
)
MIN_DESCRIPTION_WORDS = 2
MAX_SCAN = 200_000  # characters of prompt searched for a schema
MAX_TRIES = 200  # ``{`` positions tried per message: the scan stays linear on prompts full of braces


def _words(text: str) -> set[str]:
    return {singular(w.lower()) or w for w in _WORD.findall(text)}


def name_words(name: str) -> set[str]:
    """The content words of a tool name: ``getCurrentWeather`` → ``{"weather"}``."""
    parts = [p.lower() for chunk in re.split(r"[_\-.\d\s]+", name) for p in _NAME_PART.findall(chunk)]
    return {singular(p) or p for p in parts if p not in GENERIC and len(p) > 2}


def description_words(description: str | None) -> set[str]:
    """The content words of a tool description: four letters or more, common words left out."""
    return {w for w in _words(description or "") if len(w) >= 4 and w not in COMMON}


def asks_for(tool: FunctionDef, message: str) -> bool:
    """Whether ``message`` asks for what ``tool`` does (the rule in this module's docstring)."""
    said = _words(message)
    named = name_words(tool.name)
    if named and named <= said:
        return True
    return len(description_words(tool.description) & said) >= MIN_DESCRIPTION_WORDS


def last_user_text(request: ChatRequest) -> str:
    """The text of the last user message ("" when there is none)."""
    return next((m.text() for m in reversed(request.messages) if m.role == "user"), "")


def offered(request: ChatRequest) -> list[FunctionDef]:
    """The offered function tools, in order."""
    return [t.function for t in request.tools or [] if t.function is not None]


def asked_tools(request: ChatRequest) -> list[str]:
    """Names of the offered tools the last user message asks for, in offered order."""
    message = last_user_text(request)
    return [tool.name for tool in offered(request) if asks_for(tool, message)] if message else []


def called_tools(request: ChatRequest) -> set[str]:
    """Names of the tools the conversation's assistant turns already called."""
    return {call.function.name for m in request.messages for call in m.tool_calls or []}


def ends_with_user(request: ChatRequest) -> bool:
    """Whether the last message is the user's (not a tool result the model is asked to use)."""
    return request.messages[-1].role == "user"


def _looks_like_schema(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("properties"), dict) or "$schema" in value:
        return True
    return value.get("type") == "array" and isinstance(value.get("items"), dict)


def _schema_in(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    text, start, tries = text[:MAX_SCAN], 0, 0
    while (start := text.find("{", start)) != -1 and tries < MAX_TRIES:
        tries += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            start += 1
            continue
        if _looks_like_schema(value):
            return dict(value)
        start = end
    return None


def schema_in_prompt(request: ChatRequest) -> dict[str, Any] | None:
    """The first JSON Schema written out in the system (or developer) messages, else in the user messages from
    the last one back: the outermost JSON object that has ``properties`` (or ``$schema``)."""
    system = [m for m in request.messages if m.role in ("system", "developer")]
    users = [m for m in reversed(request.messages) if m.role == "user"]
    for message in [*system, *users]:
        found = _schema_in(message.text())
        if found is not None:
            return found
    return None
