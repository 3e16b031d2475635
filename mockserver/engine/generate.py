"""Deterministic stand-ins for what a scripted reply leaves out: text, JSON for a schema, tool calls and arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from mockserver import errors
from mockserver.chat_request import ChatRequest
from mockserver.engine import prose
from mockserver.schema import ToolCallSpec


def generated_tool_calls(request: ChatRequest, seed: int) -> list[ToolCallSpec]:
    """The calls a model would be forced to make: the named function, or one offered tool when ``required``."""
    forced = request.forced_tool()
    if forced is not None:
        return [ToolCallSpec(name=forced)]
    if request.tool_choice != "required":
        return []
    names = [t.function.name for t in request.tools or [] if t.function is not None]
    return [ToolCallSpec(name=names[seed % len(names)])] if names else []


def generated_content(request: ChatRequest, seed: int) -> str:
    """Prose, or JSON that validates against the requested ``response_format`` schema."""
    response_format = request.response_format
    if response_format is not None and response_format.type == "json_schema":
        schema = response_format.json_schema.schema_ if response_format.json_schema else None
        from mockserver.engine import synth  # Faker loads with it (~70 ms): only once a schema needs a value

        value = _from_schema(
            "response_format.json_schema.schema", lambda: synth.generate_value(schema or {"type": "object"}, seed)
        )
        return dumps(value)
    if response_format is not None and response_format.type == "json_object":
        return dumps({"answer": prose.text(seed, sentences=1), "confidence": 0.5 + seed % 50 / 100})
    return prose.text(seed)


def generated_arguments(request: ChatRequest, name: str, seed: int) -> dict[str, Any]:
    """Arguments that satisfy the offered tool's JSON schema (``{}`` when the tool is not offered)."""
    tool = request.tool_named(name)
    if tool is None:
        return {}
    position = next(i for i, t in enumerate(request.tools or []) if t.function is tool)
    from mockserver.engine import synth  # see generated_content

    return _from_schema(
        f"tools[{position}].function.parameters", lambda: synth.generate_arguments(tool.parameters, seed)
    )


_T = TypeVar("_T")


def _from_schema(param: str, make: Callable[[], _T]) -> _T:
    """Run a generator on a caller's JSON schema; a schema it cannot handle is the caller's 400, never a 500."""
    try:
        return make()
    except Exception as exc:  # the schema is user input: malformed keywords surface as TypeError, ValueError, …
        raise errors.invalid_field(
            param, f"cannot generate a value for this JSON schema ({type(exc).__name__}).", "invalid_schema"
        ) from None


def dumps(value: Any) -> str:
    """Compact JSON the way models emit it (non-ASCII kept, except lone surrogates, which UTF-8 cannot carry)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # e.g. an enum value "\ud800" in a caller's schema: escaping keeps the same value
        return json.dumps(value, separators=(",", ":"))
    return text
