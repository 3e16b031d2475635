"""Deterministic stand-ins for what a scripted reply leaves out: text, JSON for a schema, tool calls and arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from mockserver import errors
from mockserver.chat_request import ChatRequest
from mockserver.engine import prose, synth
from mockserver.engine.intent import (
    asked_tools,
    called_tools,
    ends_with_user,
    last_user_text,
    offered,
    schema_in_prompt,
)
from mockserver.schema import ToolCallSpec


def generated_tool_calls(request: ChatRequest, seed: int) -> list[ToolCallSpec]:
    """The call a model makes when nothing scripts one (docs/generation.md): the forced function; under
    ``required``, an offered tool not called yet (the one the user asks for first, else a seeded pick); under
    ``auto``, the first offered tool the last user message asks for, and only when that message ends the request."""
    forced = request.forced_tool()
    if forced is not None:
        return [ToolCallSpec(name=forced)]
    if request.tool_choice == "required":
        return [ToolCallSpec(name=name)] if (name := required_pick(request, seed)) else []
    if request.tool_choice in (None, "auto") and request.tools and ends_with_user(request):
        # Under ``auto`` a call is optional: a tool whose schema cannot be satisfied is skipped, not a 400.
        asked = [name for name in asked_tools(request) if _generable(request, name, seed)]
        return [ToolCallSpec(name=asked[0])] if asked else []
    return []


def _generable(request: ChatRequest, name: str, seed: int) -> bool:
    try:
        generated_arguments(request, name, seed)
    except errors.ApiError:
        return False
    return True


def required_pick(request: ChatRequest, seed: int) -> str | None:
    """The tool a ``required`` turn calls: among the tools not called yet (all, once every one was), the first
    the user asks for, else the seeded pick."""
    names = [tool.name for tool in offered(request)]
    if not names:
        return None
    called = called_tools(request)
    fresh = [name for name in names if name not in called] or names
    asked = [name for name in asked_tools(request) if name in fresh]
    return asked[0] if asked else fresh[seed % len(fresh)]


def generated_content(request: ChatRequest, seed: int) -> str:
    """Prose, or JSON that validates against the requested ``response_format`` schema."""
    response_format = request.response_format
    said = last_user_text(request)
    if response_format is not None and response_format.type == "json_schema":
        schema = response_format.json_schema.schema_ if response_format.json_schema else None
        value = _from_schema(
            "response_format.json_schema.schema",
            lambda: synth.generate_value(schema or {"type": "object"}, seed, context=said),
        )
        return dumps(value)
    if response_format is not None and response_format.type == "json_object":
        prompt_schema = schema_in_prompt(request)
        if prompt_schema is not None:  # instructor's JSON mode writes the schema into the system prompt
            return dumps(_from_schema("messages", lambda: synth.generate_value(prompt_schema, seed, context=said)))
        return dumps({"answer": prose.text(seed, sentences=1), "confidence": 0.5 + seed % 50 / 100})
    return prose.text(seed)


def generated_arguments(request: ChatRequest, name: str, seed: int) -> dict[str, Any]:
    """Arguments that satisfy the offered tool's JSON schema (``{}`` when the tool is not offered), filled first
    with what the last user message mentions (a place, a quoted phrase, numbers, dates, an enum option)."""
    tool = request.tool_named(name)
    if tool is None:
        return {}
    position = next(i for i, t in enumerate(request.tools or []) if t.function is tool)
    said = last_user_text(request)
    return _from_schema(
        f"tools[{position}].function.parameters",
        lambda: synth.generate_arguments(tool.parameters, seed, context=said),
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
