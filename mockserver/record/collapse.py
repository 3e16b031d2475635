"""Turn what the upstream answered back into a readable, semantic ``Reply`` (the inverse of the responder).

- ``collapse_chunks``: ``chat.completion.chunk`` payloads → content, reasoning, tool calls merged by ``index``
  (id and type from the first delta, name and arguments concatenated, as the SDK accumulators do), the last
  ``finish_reason`` and the usage of the usage chunk.
- ``collapse_completion``: a ``chat.completion`` body → the same fields.
- ``collapse_error``: a 4xx/5xx status and body → ``reply.error`` with the verbatim body.

Only choice 0 is kept: a fixture reply describes one choice. Usage becomes a full override with the upstream counts,
so replay reports exactly what the upstream billed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.schema import ErrorSpec, Reply, ToolCallSpec, UsageOverride
from mockserver.types import JSON

RETRY_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")
_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter"})  # what ``Reply`` accepts
MAX_TEXT_BODY = 2000


@dataclass
class _Call:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class _Accumulator:
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: UsageOverride | None = None

    def add_delta(self, delta: Mapping[str, Any]) -> None:
        if isinstance(delta.get("content"), str):
            self.content.append(delta["content"])
        if isinstance(delta.get("reasoning_content"), str):
            self.reasoning.append(delta["reasoning_content"])
        for piece in delta.get("tool_calls") or []:
            call = self.calls.setdefault(int(piece.get("index", len(self.calls))), _Call())
            call.id = call.id or piece.get("id")
            function = piece.get("function") or {}
            call.name += function.get("name") or ""
            call.arguments += function.get("arguments") or ""

    def reply(self) -> Reply:
        calls = [ToolCallSpec(id=c.id, name=c.name, arguments=c.arguments) for _, c in sorted(self.calls.items())]
        text = "".join(self.content)
        return Reply(
            content=text if text or not calls else None,
            tool_calls=calls or None,
            reasoning_content="".join(self.reasoning) or None,
            finish_reason=_finish(self.finish_reason),
            usage=self.usage,
            template=False,
        )


def _finish(reason: Any) -> Any:
    return reason if reason in _FINISH_REASONS else None


def usage_override(usage: Any) -> UsageOverride | None:
    """The upstream's token counts as a full override (details it leaves out count as 0)."""
    if not isinstance(usage, Mapping):
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return UsageOverride(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_tokens=int(prompt_details.get("cached_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


def _json(payload: str) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return None


def collapse_chunks(payloads: Iterable[str]) -> Reply:
    """The semantic reply of a stream, from its ``data`` payloads (``[DONE]`` and non-JSON payloads are skipped)."""
    acc = _Accumulator()
    for payload in payloads:
        chunk = _json(payload)
        if not isinstance(chunk, dict):
            continue
        if chunk.get("usage"):
            acc.usage = usage_override(chunk["usage"])
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            acc.add_delta(choice.get("delta") or {})
            acc.finish_reason = choice.get("finish_reason") or acc.finish_reason
    return acc.reply()


def collapse_completion(body: JSON) -> Reply:
    """The semantic reply of a non-streamed ``chat.completion`` body."""
    acc = _Accumulator()
    choices = [c for c in body.get("choices") or [] if isinstance(c, dict) and c.get("index", 0) == 0]
    if choices:
        message = choices[0].get("message") or {}
        acc.add_delta(message)
        acc.finish_reason = choices[0].get("finish_reason")
    acc.usage = usage_override(body.get("usage"))
    return acc.reply()


def _error_message(body: Any, status: int) -> str:
    if isinstance(body, dict):
        native = body.get("status")
        if isinstance(native, dict) and (native.get("details") or native.get("description")):
            return str(native.get("details") or native.get("description"))
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return f"HTTP {status}"


def _error_code(body: Any) -> int | None:
    native = body.get("status") if isinstance(body, dict) else None
    code = native.get("code") if isinstance(native, dict) else None
    return code if isinstance(code, int) else None


def collapse_error(status: int, body: Any, headers: Mapping[str, str]) -> Reply:
    """An upstream error as ``reply.error``: the status, a readable message, the verbatim body (when it is a JSON
    object; other bodies keep their text as the message) and the retry headers it came with."""
    verbatim = body if isinstance(body, dict) else None
    message = (
        _error_message(body, status) if verbatim is not None else (str(body or "")[:MAX_TEXT_BODY] or f"HTTP {status}")
    )
    error = ErrorSpec(status=status, code=_error_code(body), message=message, body=verbatim)
    kept = {name: headers[name] for name in RETRY_HEADERS if name in headers}
    return Reply(error=error, headers=kept, template=False)
