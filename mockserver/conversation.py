"""Facts about a chat request that matching, generation and templates read: last user text, tool results, turn."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mockserver.chat_request import ChatRequest, Message


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A ``role: tool`` message at the end of the request, with the name of the tool it answers."""

    name: str | None
    call_id: str | None
    content: str

    def value(self) -> Any:
        """The content parsed as JSON when it is JSON, else the text."""
        try:
            return json.loads(self.content)
        except (json.JSONDecodeError, ValueError):
            return self.content


@dataclass(frozen=True, slots=True)
class Conversation:
    """The parts of a request that scripted replies depend on."""

    last_user: str
    system: str
    turn: int
    tool_results: tuple[ToolResult, ...]
    offered_tools: frozenset[str]
    tool_choice: str | None
    response_format: str | None
    stream: bool

    @property
    def has_tool_result(self) -> bool:
        """The request ends with tool results (the model is being asked to use them)."""
        return bool(self.tool_results)


def _tool_names(messages: list[Message]) -> dict[str, str]:
    names = {}
    for message in messages:
        for call in message.tool_calls or []:
            names[call.id] = call.function.name
    return names


def _trailing_tool_results(messages: list[Message]) -> tuple[ToolResult, ...]:
    names = _tool_names(messages)
    results: list[ToolResult] = []
    for message in reversed(messages):
        if message.role not in ("tool", "function"):
            break
        call_id = message.tool_call_id
        name = message.name or (names.get(call_id) if call_id else None)
        results.append(ToolResult(name=name, call_id=call_id, content=message.text()))
    return tuple(reversed(results))


def _tool_choice(request: ChatRequest) -> str | None:
    forced = request.forced_tool()
    if forced is not None:
        return forced
    return request.tool_choice if isinstance(request.tool_choice, str) else None


def read_conversation(request: ChatRequest) -> Conversation:
    """Extract the matching facts from a validated request."""
    messages = request.messages
    last_user = next((m.text() for m in reversed(messages) if m.role == "user"), "")
    system = "\n".join(m.text() for m in messages if m.role in ("system", "developer"))
    offered = frozenset(t.function.name for t in request.tools or [] if t.function is not None)
    return Conversation(
        last_user=last_user,
        system=system,
        turn=sum(1 for m in messages if m.role == "assistant"),
        tool_results=_trailing_tool_results(messages),
        offered_tools=offered,
        tool_choice=_tool_choice(request),
        response_format=request.response_format.type if request.response_format else None,
        stream=bool(request.stream),
    )
