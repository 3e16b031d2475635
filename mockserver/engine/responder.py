"""Turn a scripted (or empty) ``Reply`` into a finished chat completion: choices, limits, stop sequences, usage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.chat_request import ChatRequest
from mockserver.clarifai.catalog import Quirk, ResolvedModel
from mockserver.clarifai.tokens import TokenCounter
from mockserver.clarifai.usage import Usage, output_tokens, prompt_tokens, reasoning_budget
from mockserver.config import ResponseModel
from mockserver.engine import prose
from mockserver.engine.generate import dumps, generated_arguments, generated_content, generated_tool_calls
from mockserver.engine.ids import IdSource
from mockserver.fixtures.facts import Conversation
from mockserver.fixtures.templating import render, render_value, template_context
from mockserver.schema import Reply, ToolCallSpec


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call as sent to the client: ``arguments`` is always a JSON string."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Choice:
    """One finished choice."""

    index: int
    content: str | None
    reasoning: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    reasoning_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class Completion:
    """Everything needed to write the reply as one JSON body or as stream chunks."""

    id: str
    created: int
    model: str
    choices: tuple[Choice, ...]
    usage: Usage


@dataclass(frozen=True)
class ReplyContext:
    """What building a completion needs to know about the request and the server."""

    request: ChatRequest
    conversation: Conversation
    model: ResolvedModel
    counter: TokenCounter
    ids: IdSource
    seed: int
    response_model: ResponseModel = ResponseModel.REQUEST

    def model_name(self) -> str:
        """The ``model`` field of the reply."""
        if self.response_model is ResponseModel.CANONICAL:
            return self.model.canonical
        if self.response_model is ResponseModel.BACKEND:
            return self.model.info.backend or self.model.canonical
        return self.model.requested


def _cut_at_stop(text: str, stop: str | list[str] | None) -> tuple[str, bool]:
    stops = [stop] if isinstance(stop, str) else stop or []
    cuts = [text.find(s) for s in stops if s and s in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


def _tool_calls(
    ctx: ReplyContext, specs: list[ToolCallSpec], index: int, template: dict[str, Any] | None
) -> tuple[ToolCall, ...]:
    calls = []
    for position, spec in enumerate(specs):
        if spec.arguments is None:
            arguments = dumps(generated_arguments(ctx.request, spec.name, ctx.seed + index * 31 + position))
        elif isinstance(spec.arguments, str):
            arguments = render(spec.arguments, template)
        else:
            arguments = dumps(render_value(spec.arguments, template))
        call_id = spec.id or ctx.ids.tool_call_id(ctx.model.info.tool_call_ids, index, position)
        calls.append(ToolCall(id=call_id, name=spec.name, arguments=arguments))
    return tuple(calls)


def _reasoning(ctx: ReplyContext, reply: Reply, seed: int, prompt: int) -> tuple[str | None, int]:
    info = ctx.model.info
    text = reply.reasoning_content
    if text is None and Quirk.REASONING_CONTENT in info.quirks:
        text = prose.text(seed ^ 0x5EED, sentences=2)
    if text is not None:
        return text, ctx.counter.count(text)
    return None, reasoning_budget(seed, prompt) if info.reasoning else 0


def _build_choice(ctx: ReplyContext, reply: Reply, index: int, prompt: int) -> Choice:
    seed = ctx.seed + index
    specs = reply.tool_calls
    if specs is None and reply.content is None:
        specs = generated_tool_calls(ctx.request, seed)
        if ctx.request.parallel_tool_calls is False:
            specs = specs[:1]
    template = template_context(ctx.conversation, ctx.model_name()) if reply.template else None
    tool_calls = _tool_calls(ctx, specs or [], index, template)
    content: str | None = None
    if reply.content is not None:
        content = render(reply.content, template)
    elif not tool_calls:
        content = generated_content(ctx.request, seed)
    reasoning, reasoning_tokens = _reasoning(ctx, reply, seed, prompt)
    finish = reply.finish_reason or ("tool_calls" if tool_calls else "stop")
    if content is not None:
        content, stopped = _cut_at_stop(content, ctx.request.stop)
        finish = "stop" if stopped else finish
    limit = ctx.request.completion_limit()
    visible = output_tokens(content, [(c.name, c.arguments) for c in tool_calls], ctx.counter)
    if limit is not None and reasoning_tokens + visible > limit:
        reasoning_tokens = min(reasoning_tokens, limit)
        if reasoning is not None:  # the visible reasoning text is cut where its budget ran out
            reasoning = ctx.counter.truncate(reasoning, reasoning_tokens)
            reasoning_tokens = ctx.counter.count(reasoning)
        content = ctx.counter.truncate(content or "", limit - reasoning_tokens)
        tool_calls, finish = (), "length"
        visible = ctx.counter.count(content)
    return Choice(index, content, reasoning, tool_calls, finish, reasoning_tokens, visible)


def build_completion(ctx: ReplyContext, reply: Reply) -> Completion:
    """The completion for ``reply``; anything the reply leaves out is generated from the request's seed."""
    prompt = prompt_tokens(ctx.request, ctx.counter)
    choices = tuple(_build_choice(ctx, reply, i, prompt) for i in range(ctx.request.n or 1))
    usage = Usage(
        prompt_tokens=prompt,
        completion_tokens=sum(c.output_tokens + c.reasoning_tokens for c in choices),
        reasoning_tokens=sum(c.reasoning_tokens for c in choices),
        method=ctx.counter.method,
    ).overridden(reply.usage)
    return Completion(ctx.ids.completion_id(), ctx.ids.created(), ctx.model_name(), choices, usage)
