"""``POST /responses``: the Responses API, answered by the chat pipeline and written as a response or its events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mockserver import errors, ids, sse
from mockserver.api.common import (
    Call,
    begin_call,
    header_safe,
    journaled,
    raise_scripted_error,
    request_hash,
    scripted_reply,
    seed_pin,
)
from mockserver.catalog import Kind
from mockserver.chunks import Frame
from mockserver.context import pin_request_id
from mockserver.conversation import read_conversation
from mockserver.journal import JournalEntry
from mockserver.responder import Completion, ReplyContext, build_completion
from mockserver.responses_render import (
    ResponseShell,
    echo,
    error_code,
    failed_event,
    response_body,
    stream_events,
    usage_body,
)
from mockserver.responses_request import parse_responses_request, responses_error, to_chat_request
from mockserver.schema import Reply, StreamScript
from mockserver.streaming import gaps, run_fault
from mockserver.templating import template_context
from mockserver.tokens import counter_for
from mockserver.types import JSON

MALFORMED = b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": [\n\n'


def _fault_position(script: StreamScript, count: int) -> int | None:
    """Before which event the fault strikes; an error or disconnect never waits past the last event."""
    if script.fault in ("error", "disconnect"):
        return min(script.fault_after, count - 1)
    return script.fault_after if script.fault in ("stall", "malformed") else None


async def _event_stream(
    frames: Sequence[Frame], script: StreamScript, failed: Callable[[int], JSON]
) -> AsyncIterator[bytes]:
    """Named events, paced by the script; ``no_done`` drops the final event, ``error`` ends in ``response.failed``."""
    fault_at = _fault_position(script, len(frames))
    for position, (frame, wait) in enumerate(zip(frames, gaps(frames, script), strict=True)):
        if position == fault_at:
            async for piece in run_fault(script, sse.encode_event("response.failed", failed(position)), MALFORMED):
                yield piece
            if script.fault in ("error", "disconnect"):
                return
        if script.fault == "no_done" and position == len(frames) - 1:
            return
        if wait > 0:
            await asyncio.sleep(wait)
        if script.keepalive_every and position and position % script.keepalive_every == 0:
            yield sse.KEEPALIVE
        yield sse.encode_event(frame.data["type"], frame.data)


def _streamed(shell: ResponseShell, completion: Completion, reply: Reply, script: StreamScript) -> StreamingResponse:
    frames = stream_events(shell, completion, script)
    spec = script.error
    code = error_code(spec.status if spec else 500)
    message = spec.message if spec else "The mock server's scripted stream failed."

    def failed(position: int) -> JSON:
        return failed_event(shell, position, code, message)

    headers = dict(reply.headers) | {"content-type": "text/event-stream", "cache-control": "no-cache"}
    return StreamingResponse(_event_stream(frames, script, failed), headers=headers)


def _complete(call: Call, reply_ctx: ReplyContext, reply: Reply) -> Completion:
    try:
        completion = build_completion(reply_ctx, reply)
    except errors.ApiError as error:
        raise responses_error(error) from None
    call.entry.usage = usage_body(completion.usage)
    info = call.model.info
    call.entry.cost_usd = call.ctx.ledger.charge(
        call.caller.fingerprint, call.model.canonical, call.entry.namespace, completion.usage, info.price
    )
    return completion


async def _responses(request: Request, entry: JournalEntry) -> Response:
    call = await begin_call(request, entry, Kind.CHAT, "responses")
    body = parse_responses_request(call.data)
    chat = to_chat_request(body)
    entry.stream = bool(body.stream)
    digest = request_hash(call.data, call.model.canonical)
    pin = seed_pin(request, call.ctx.settings)
    if pin is not None:
        pin_request_id(request, ids.request_id(pin, digest))
    conversation = read_conversation(chat)
    reply, fixture = scripted_reply(call.ctx, call.facts("responses", conversation, request.headers), entry)
    raise_scripted_error(reply, fixture, template_context(conversation, body.model))
    info = call.model.info
    counter = counter_for(info.tokenizer, exact=info.owner == "openai")
    id_source = ids.IdSource(digest, pin)
    settings = call.ctx.settings
    reply_ctx = ReplyContext(
        chat, conversation, call.model, counter, id_source, ids.seed_of(digest), settings.response_model
    )
    completion = _complete(call, reply_ctx, reply)
    shell = ResponseShell(id_source.completion_id("resp_"), completion.created, completion.model, echo(body))
    if body.stream:
        response: Response = _streamed(shell, completion, reply, call.ctx.stream_script(reply.stream))
    else:
        delay = call.ctx.reply_delay(reply, completion.usage.completion_tokens)
        if delay:
            await asyncio.sleep(delay)
        response = JSONResponse(response_body(shell, completion), headers=dict(reply.headers))
    response.headers["x-mock-fixture"] = header_safe(fixture)
    response.headers["x-mock-usage-method"] = f"{counter.method}; {'exact' if counter.exact else 'approximate'}"
    return response


responses = journaled("responses", _responses)
