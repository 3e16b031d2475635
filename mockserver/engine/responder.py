"""Turn a scripted (templates already filled by the pipeline) or empty ``Reply`` into a finished chat completion."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mockserver.chat_request import ChatRequest
from mockserver.clarifai.catalog import Quirk, ResolvedModel
from mockserver.clarifai.tokens import TokenCounter
from mockserver.clarifai.usage import Usage, output_tokens, prompt_tokens, reasoning_budget
from mockserver.config import ResponseModel
from mockserver.engine import misbehave, prose
from mockserver.engine.generate import (
    dumps,
    generated_arguments,
    generated_content,
    generated_tool_calls,
    required_pick,
)
from mockserver.engine.ids import IdSource
from mockserver.engine.intent import last_user_text, offered
from mockserver.fixtures.facts import Conversation
from mockserver.schema import MISBEHAVIOUR_CALLS, Reply, ToolCallSpec


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
    refusal: str | None = None  # ``message.refusal``: the model declined, and there is no content


@dataclass(slots=True)  # made per request, never changed (not frozen: that takes four times as long to build)
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
        return self.model.reply_name(self.response_model)


def _cut_at_stop(text: str, stop: str | list[str] | None) -> tuple[str, bool]:
    stops = [stop] if isinstance(stop, str) else stop or []
    cuts = [text.find(s) for s in stops if s and s in text]
    return (text[: min(cuts)], True) if cuts else (text, False)


def _tool_calls(ctx: ReplyContext, specs: list[ToolCallSpec], index: int) -> tuple[ToolCall, ...]:
    calls = []
    for position, spec in enumerate(specs):
        if spec.arguments is None:
            arguments = dumps(generated_arguments(ctx.request, spec.name, ctx.seed + index * 31 + position))
        elif isinstance(spec.arguments, str):
            arguments = spec.arguments
        else:
            arguments = dumps(spec.arguments)
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


def _any_call(ctx: ReplyContext, seed: int) -> list[ToolCallSpec]:
    """A call to break when nothing scripts or forces one: the tool ``required`` would pick, else a made-up one."""
    name = required_pick(ctx.request, seed)
    if name is not None:
        return [ToolCallSpec(name=name)]
    return [ToolCallSpec(name="lookup", arguments={"query": last_user_text(ctx.request)})]


def _broken_calls(ctx: ReplyContext, reply: Reply, index: int, seed: int) -> tuple[tuple[ToolCall, ...], str]:
    """The reply's (or a generated) tool calls, broken the way ``reply.misbehave`` says, and the finish reason."""
    specs = reply.tool_calls or generated_tool_calls(ctx.request, seed) or _any_call(ctx, seed)
    calls = list(_tool_calls(ctx, specs, index))
    first, kind = calls[0], reply.misbehave
    if kind == "invalid_json_arguments":
        calls[0] = replace(first, arguments=misbehave.invalid_json(first.arguments, seed))
    elif kind == "schema_violation":
        tool = ctx.request.tool_named(first.name)
        broken = misbehave.schema_violation(tool.parameters if tool else None, first.arguments, seed)
        calls[0] = replace(first, arguments=broken)
    elif kind == "unknown_tool":
        names = {tool.name for tool in offered(ctx.request)}
        calls[0] = replace(first, name=misbehave.unknown_tool(first.name, names, seed))
    elif kind == "duplicate_call_ids":
        if len(calls) == 1:  # a second call to share the id with: the same tool, other arguments
            again = dumps(generated_arguments(ctx.request, first.name, seed + 7))
            calls.append(replace(first, arguments=again))
        calls = [replace(call, id=first.id) for call in calls]
    elif kind == "truncated_tool_call":
        return (replace(first, arguments=misbehave.cut(first.arguments, seed)),), "length"
    return tuple(calls), "tool_calls"


def _cut_words(text: str, seed: int) -> str:
    part = misbehave.cut(text, seed)
    return part.rsplit(" ", 1)[0] if " " in part else part


def _misbehaving_choice(ctx: ReplyContext, reply: Reply, index: int, prompt: int) -> Choice:
    """The choice of a reply that misbehaves on purpose (docs/misbehaviour.md); seeded like every other one."""
    seed, kind = ctx.seed + index, reply.misbehave
    reasoning, reasoning_tokens = _reasoning(ctx, reply, seed, prompt)
    content = refusal = None
    calls: tuple[ToolCall, ...] = ()
    finish = "stop"
    if kind in MISBEHAVIOUR_CALLS:
        calls, finish = _broken_calls(ctx, reply, index, seed)
    elif kind == "empty":
        content, reasoning, reasoning_tokens = "", None, 0
    elif kind == "refusal":
        refusal = reply.content if reply.content is not None else misbehave.refusal(seed)
    elif kind == "content_filter":
        full = reply.content if reply.content is not None else generated_content(ctx.request, seed)
        content, finish = _cut_words(full, seed), "content_filter"
    elif kind == "reasoning_only" and reasoning is None:
        reasoning = reply.reasoning_content or prose.text(seed ^ 0x5EED, sentences=2)
        reasoning_tokens = ctx.counter.count(reasoning)
    visible = output_tokens(content or refusal, [(c.name, c.arguments) for c in calls], ctx.counter)
    return Choice(index, content, reasoning, calls, finish, reasoning_tokens, visible, refusal)


def _build_choice(ctx: ReplyContext, reply: Reply, index: int, prompt: int) -> Choice:
    if reply.misbehave is not None:
        return _misbehaving_choice(ctx, reply, index, prompt)
    seed = ctx.seed + index
    specs = reply.tool_calls
    if specs is None and reply.content is None:
        specs = generated_tool_calls(ctx.request, seed)
        if ctx.request.parallel_tool_calls is False:
            specs = specs[:1]
    tool_calls = _tool_calls(ctx, specs or [], index)
    content: str | None = None
    if reply.content is not None:
        content = reply.content
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
