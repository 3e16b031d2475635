"""``{{ path }}`` placeholders in scripted replies, filled from the request (last user message, tool results, model)."""

from __future__ import annotations

import json
import re
from typing import Any

from mockserver.conversation import Conversation

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
ROOTS = ("last_user", "system", "model", "turn", "tool_result", "tool_results")


def template_context(conversation: Conversation, model: str) -> dict[str, Any]:
    """The values a template can name; ``tool_result`` is the first trailing result, ``tool_results`` all of them
    in order (``tool_results.1.temperature``), each parsed when it is JSON."""
    results = [r.value() for r in conversation.tool_results]
    return {
        "last_user": conversation.last_user,
        "system": conversation.system,
        "model": model,
        "turn": conversation.turn,
        "tool_result": results[0] if results else None,
        "tool_results": results,
    }


def _is_index(key: str) -> bool:
    return key.isascii() and key.isdigit() and len(key) < 10


def _lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and _is_index(key) and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def render(text: str, context: dict[str, Any] | None) -> str:
    """Replace each ``{{ path }}``; a path that leads nowhere becomes empty text; no context, no templating."""
    if context is None or "{{" not in text:
        return text
    return PLACEHOLDER.sub(lambda m: _text(_lookup(context, m.group(1))), text)


def render_value(value: Any, context: dict[str, Any] | None) -> Any:
    """``render`` applied to every string inside a JSON-like value (tool-call arguments)."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, dict):
        return {k: render_value(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, context) for v in value]
    return value


def unknown_roots(text: str) -> list[str]:
    """Placeholder roots that no request can fill, for fixture validation."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1).split(".")[0] not in ROOTS]
