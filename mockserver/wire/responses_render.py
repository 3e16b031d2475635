"""Write a finished completion as a Responses API object, and as the numbered events of a Responses stream."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.clarifai.usage import Usage
from mockserver.engine.responder import Choice, Completion, ToolCall
from mockserver.schema import StreamScript
from mockserver.types import JSON
from mockserver.wire import sse
from mockserver.wire.answer import json_bytes
from mockserver.wire.chat_render import Piece, json_pieces
from mockserver.wire.responses_request import (
    ReasoningConfig,
    ResponsesRequest,
    TextConfig,
    ToolChoiceObject,
    forced_name,
    function_of,
)
from mockserver.wire.stream import Stream, token_waits

_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}
# The ``malformed`` fault: a typed event whose data is not valid JSON.
MALFORMED = b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": [\n\n'


@dataclass(frozen=True, slots=True)
class ResponseShell:
    """What every state of one response shares: its id, timestamps, model and the fields echoed from the request."""

    id: str
    created_at: int
    model: str
    echo: JSON

    def body(self, status: str, output: list[JSON], usage: Usage | None = None, **extra: Any) -> JSON:
        """The ``response`` object in ``status`` with ``output``; ``extra`` sets ``error`` or ``incomplete_details``."""
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "completed_at": self.created_at if status in ("completed", "incomplete") else None,
            "status": status,
            "error": None,
            "incomplete_details": None,
            "model": self.model,
            "output": output,
            "usage": usage_body(usage) if usage is not None else None,
            **self.echo,
            **extra,
        }


def usage_body(usage: Usage) -> JSON:
    """The Responses ``usage`` object (output tokens include reasoning tokens, as OpenAI counts them)."""
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _text_echo(text: TextConfig | None) -> JSON:
    form = text.format if text is not None else None
    echoed: JSON = {"format": form.model_dump(by_alias=True, exclude_none=True) if form else {"type": "text"}}
    if text is not None and text.verbosity is not None:
        echoed["verbosity"] = text.verbosity
    return echoed


def _tool_choice_echo(choice: str | ToolChoiceObject | None) -> str | JSON:
    if isinstance(choice, ToolChoiceObject):
        return {"type": "function", "name": forced_name(choice)}
    return choice or "auto"


def echo(request: ResponsesRequest) -> JSON:
    """The fields of a Response that repeat the request (tools always in the flat form)."""
    reasoning = request.reasoning or ReasoningConfig()
    return {
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "metadata": request.metadata or {},
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "previous_response_id": request.previous_response_id,
        "reasoning": {"effort": reasoning.effort, "summary": reasoning.summary},
        "store": request.store is not False,
        "temperature": request.temperature if request.temperature is not None else 1.0,
        "text": _text_echo(request.text),
        "tool_choice": _tool_choice_echo(request.tool_choice),
        "tools": [_tool_echo(function_of(t, i)) for i, t in enumerate(request.tools or [])],
        "top_p": request.top_p if request.top_p is not None else 1.0,
        "truncation": request.truncation or "disabled",
        "user": request.user,
    }


def _tool_echo(function: JSON) -> JSON:
    """A tool as the spec's ``FunctionTool``: ``parameters`` and ``strict`` are required (null allowed); ``strict``
    defaults to true on the Responses API."""
    return {
        "type": "function",
        **function,
        "parameters": function.get("parameters"),
        "strict": function.get("strict", True),
    }


def _item_id(prefix: str, response_id: str, index: int) -> str:
    return prefix + hashlib.blake2b(f"{response_id}\x1f{index}".encode(), digest_size=24).hexdigest()


def _status(choice: Choice) -> str:
    return "incomplete" if choice.finish_reason in _INCOMPLETE else "completed"


def _reasoning_item(item_id: str, text: str, status: str) -> JSON:
    summary = [{"type": "summary_text", "text": text}] if text else []
    return {"type": "reasoning", "id": item_id, "summary": summary, "status": status}


def _message_item(item_id: str, text: str, status: str) -> JSON:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def _refusal_item(item_id: str, text: str, status: str) -> JSON:
    content = [{"type": "refusal", "refusal": text}]
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def _call_item(item_id: str, call: ToolCall, arguments: str, status: str) -> JSON:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.id,
        "name": call.name,
        "arguments": arguments,
        "status": status,
    }


def output_items(choice: Choice, response_id: str) -> list[JSON]:
    """The finished output: a reasoning item when there is reasoning text, the message, then each function call."""
    status = _status(choice)
    items: list[JSON] = []
    if choice.reasoning is not None:
        items.append(_reasoning_item(_item_id("rs_", response_id, len(items)), choice.reasoning, status))
    if choice.refusal is not None:
        items.append(_refusal_item(_item_id("msg_", response_id, len(items)), choice.refusal, status))
    elif choice.content or (choice.content is not None and not choice.tool_calls):  # reasoning_only: no message
        items.append(_message_item(_item_id("msg_", response_id, len(items)), choice.content, status))
    for call in choice.tool_calls:
        items.append(_call_item(_item_id("fc_", response_id, len(items)), call, call.arguments, status))
    return items


def _ending(choice: Choice) -> JSON:
    reason = _INCOMPLETE.get(choice.finish_reason)
    return {"incomplete_details": {"reason": reason}} if reason else {}


def response_body(shell: ResponseShell, completion: Completion) -> JSON:
    """The finished ``response``: ``completed``, or ``incomplete`` when the output budget cut it short."""
    choice = completion.choices[0]
    output = output_items(choice, shell.id)
    return shell.body(_status(choice), output, completion.usage, **_ending(choice))


def _opening(kind: str) -> bytes:  # event kinds are the spec's fixed names: nothing in them needs escaping
    return f'event: {kind}\ndata: {{"type":"{kind}","sequence_number":'.encode()


class _Events:
    """Encodes stream events as they are added, numbering them from 0, each with the tokens it carries (the bytes
    are those of the whole event object encoded at once: ``type``, ``sequence_number``, then its fields)."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.tokens: list[int] = []

    def add(self, kind: str, **fields: Any) -> None:
        self.spliced(kind, b"," + json_bytes(fields)[1:-1])

    def spliced(self, kind: str, rest: bytes) -> None:  # ``rest``: the fields after ``sequence_number``, encoded
        self.pieces.append(_opening(kind) + b"%d" % len(self.pieces) + rest + b"}\n\n")
        self.tokens.append(0)

    def deltas(self, kind: str, where: JSON, pieces: Sequence[Piece], after: bytes = b"") -> None:
        """One ``kind`` event of one token per JSON-encoded piece: ``where`` and ``after`` are encoded once for all."""
        opening, middle, closing = _opening(kind), b"," + json_bytes(where)[1:-1] + b',"delta":', after + b"}\n\n"
        first = len(self.pieces)
        self.pieces += [opening + b"%d" % (first + n) + middle + piece + closing for n, (piece, _) in enumerate(pieces)]
        self.tokens += [1] * len(pieces)


def _reasoning_events(events: _Events, index: int, item: JSON, script: StreamScript) -> None:
    where: JSON = {"item_id": item["id"], "output_index": index, "summary_index": 0}
    events.add("response.output_item.added", output_index=index, item={**item, "summary": [], "status": "in_progress"})
    if item["summary"]:
        text = item["summary"][0]["text"]
        events.add("response.reasoning_summary_part.added", **where, part={"type": "summary_text", "text": ""})
        events.deltas("response.reasoning_summary_text.delta", where, json_pieces(text, script.chunk_tokens))
        events.add("response.reasoning_summary_text.done", **where, text=text)
        events.add("response.reasoning_summary_part.done", **where, part=item["summary"][0])
    events.add("response.output_item.done", output_index=index, item=item)


def _message_events(events: _Events, index: int, item: JSON, script: StreamScript) -> None:
    where: JSON = {"item_id": item["id"], "output_index": index, "content_index": 0}
    part = item["content"][0]
    events.add("response.output_item.added", output_index=index, item={**item, "content": [], "status": "in_progress"})
    if part["type"] == "refusal":
        events.add("response.content_part.added", **where, part={**part, "refusal": ""})
        events.deltas("response.refusal.delta", where, json_pieces(part["refusal"], script.chunk_tokens))
        events.add("response.refusal.done", **where, refusal=part["refusal"])
        events.add("response.content_part.done", **where, part=part)
        events.add("response.output_item.done", output_index=index, item=item)
        return
    events.add("response.content_part.added", **where, part={**part, "text": ""})
    pieces = json_pieces(part["text"], script.chunk_tokens)
    events.deltas("response.output_text.delta", where, pieces, after=b',"logprobs":[]')
    events.add("response.output_text.done", **where, text=part["text"], logprobs=[])
    events.add("response.content_part.done", **where, part=part)
    events.add("response.output_item.done", output_index=index, item=item)


def _argument_pieces(arguments: str, script: StreamScript) -> list[Piece]:
    if script.tool_arguments == "whole" or not arguments:
        return [(json_bytes(arguments), 1)] if arguments else []
    size = script.arguments_chunk_chars
    return [(json_bytes(arguments[start : start + size]), 1) for start in range(0, len(arguments), size)]


def _call_events(events: _Events, index: int, item: JSON, script: StreamScript) -> None:
    where: JSON = {"item_id": item["id"], "output_index": index}
    events.add(
        "response.output_item.added", output_index=index, item={**item, "arguments": "", "status": "in_progress"}
    )
    events.deltas("response.function_call_arguments.delta", where, _argument_pieces(item["arguments"], script))
    events.add("response.function_call_arguments.done", **where, name=item["name"], arguments=item["arguments"])
    events.add("response.output_item.done", output_index=index, item=item)


_ITEM_EVENTS = {"reasoning": _reasoning_events, "message": _message_events, "function_call": _call_events}


def stream_events(shell: ResponseShell, completion: Completion, script: StreamScript) -> _Events:
    """Every event of the stream in order, from ``response.created`` to ``response.completed`` (or ``.incomplete``).

    Text and reasoning deltas carry one token each for pacing; the other events carry none.
    """
    events = _Events()
    in_progress = b',"response":' + json_bytes(shell.body("in_progress", []))
    events.spliced("response.created", in_progress)  # the same response object twice: encoded once
    events.spliced("response.in_progress", in_progress)
    final = response_body(shell, completion)
    for index, item in enumerate(final["output"]):
        _ITEM_EVENTS[item["type"]](events, index, item, script)
    events.add(f"response.{final['status']}", response=final)
    return events


def failed_event(shell: ResponseShell, sequence_number: int, code: str, message: str) -> JSON:
    """``response.failed``: how a stream reports an error after it started (``code`` from ``ResponseErrorCode``)."""
    response = shell.body("failed", [], error={"code": code, "message": message})
    return {"type": "response.failed", "sequence_number": sequence_number, "response": response}


def error_code(status: int) -> str:
    """The ``ResponseErrorCode`` closest to an HTTP status."""
    return "rate_limit_exceeded" if status == 429 else "server_error"


def responses_stream(shell: ResponseShell, completion: Completion, script: StreamScript) -> Stream:
    """The Responses SSE stream: typed events, the final ``response.completed`` (or ``.incomplete``) last; an
    ``error`` fault ends it with ``response.failed`` instead."""
    events = stream_events(shell, completion, script)
    spec = script.error
    code = error_code(spec.status if spec else 500)
    message = spec.message if spec else "The mock server's scripted stream failed."

    def failed(position: int) -> bytes:
        return sse.encode_event("response.failed", failed_event(shell, position, code, message))

    return Stream(
        pieces=events.pieces[:-1],
        waits=token_waits(events.tokens[:-1], script),
        end=events.pieces[-1],
        script=script,
        error_frame=failed,
        malformed=MALFORMED,
    )
