"""``POST /chat/completions``: authenticate, validate, pick the reply, answer as JSON or as an SSE stream."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mockserver import errors, ids
from mockserver.api.common import (
    authenticated_body,
    header_safe,
    journaled,
    lookup,
    raise_scripted_error,
    request_hash,
    seed_pin,
    unmatched,
)
from mockserver.auth import Caller
from mockserver.catalog import Kind, Quirk, ResolvedModel
from mockserver.chat_request import ChatRequest, parse_chat_request
from mockserver.chunks import build_frames
from mockserver.config import RecordMode, StreamUsage
from mockserver.context import AppContext, pin_request_id, request_id
from mockserver.conversation import read_conversation
from mockserver.errors import in_stream_error_body
from mockserver.journal import JournalEntry
from mockserver.matching import RequestFacts
from mockserver.proxy import forward_chat
from mockserver.recorder import Recorder, merged_report
from mockserver.replay import replay_frames
from mockserver.replies import error_from_spec
from mockserver.responder import Completion, ReplyContext, build_completion
from mockserver.schema import Reply
from mockserver.store import Miss
from mockserver.streaming import stream_body
from mockserver.templating import template_context
from mockserver.tokens import counter_for


def _check_model(chat: ChatRequest, resolved: ResolvedModel) -> None:
    info = resolved.info
    if info.kind is not Kind.CHAT:
        raise errors.wrong_model_kind(chat.model, info.kind.value, "chat completions")
    if chat.max_tokens is not None and Quirk.MAX_COMPLETION_TOKENS_ONLY in info.quirks:
        raise errors.unsupported_max_tokens()


def _include_usage(chat: ChatRequest, ctx: AppContext) -> bool:
    if ctx.settings.stream_usage is StreamUsage.ALWAYS:
        return True
    return bool(chat.stream_options and chat.stream_options.include_usage)


def _from_recording(
    recorder: Recorder, miss: Miss, facts: RequestFacts, entry: JournalEntry
) -> tuple[Reply, str] | None:
    """A recorded reply; ``None`` when the recorder forwards what it lacks; otherwise a miss is a 404 naming the
    nearest recordings and the keys that differ."""
    found = lookup(recorder.store, facts, entry)
    if not isinstance(found, Miss):
        return found
    if recorder.forwards:
        return None
    entry.near_miss = merged_report(found, miss)
    raise errors.no_fixture_matched(entry.near_miss)


def _pick_reply(ctx: AppContext, facts: RequestFacts, entry: JournalEntry) -> tuple[Reply, str] | None:
    """The scripted reply for the request, or the generated one; strict mode turns a miss into a 404. ``None``
    means: forward upstream and record (record modes)."""
    recorder = ctx.recorder
    if recorder is not None and recorder.mode is RecordMode.ALL:
        return None
    found = lookup(ctx.store, facts, entry)
    if not isinstance(found, Miss):
        return found
    if recorder is not None:
        return _from_recording(recorder, found, facts, entry)
    return unmatched(ctx, found, entry)


def _respond(request: Request, ctx: AppContext, chat: ChatRequest, reply: Reply, completion: Completion) -> Response:
    headers = dict(reply.headers)
    if chat.stream and reply.frames:
        headers |= {"content-type": "text/event-stream", "cache-control": "no-cache"}
        return StreamingResponse(replay_frames(reply.frames, ctx.settings.replay_speed), headers=headers)
    if chat.stream:
        script = ctx.stream_script(reply.stream)
        frames = build_frames(completion, script, _include_usage(chat, ctx))
        error = error_from_spec(script.error) if script.error else errors.internal_error()
        error_body = in_stream_error_body(error, ctx.settings.error_style, request_id(request))
        headers |= {"content-type": "text/event-stream", "cache-control": "no-cache"}
        return StreamingResponse(stream_body(frames, script, error_body), headers=headers)
    return JSONResponse(completion.body(), headers=headers)


def _charge(
    ctx: AppContext, caller: Caller, resolved: ResolvedModel, completion: Completion, entry: JournalEntry
) -> None:
    entry.usage = completion.usage.to_wire()
    entry.cost_usd = ctx.ledger.charge(
        caller.fingerprint, resolved.canonical, entry.namespace, completion.usage, resolved.info.price
    )


async def _chat(request: Request, entry: JournalEntry) -> Response:
    ctx, caller, data = await authenticated_body(request, entry)
    chat = parse_chat_request(data)
    entry.stream = bool(chat.stream)
    resolved = ctx.catalog.resolve(chat.model)
    entry.model = resolved.canonical
    _check_model(chat, resolved)
    digest = request_hash(data, resolved.canonical)
    pin = seed_pin(request, ctx.settings)
    if pin is not None:
        pin_request_id(request, ids.request_id(pin, digest))
    conversation = read_conversation(chat)
    headers = {k.lower(): v for k, v in request.headers.items()}
    facts = RequestFacts("chat.completions", resolved.canonical, conversation, caller.pat, headers)
    picked = _pick_reply(ctx, facts, entry)
    if picked is None:
        return await forward_chat(request, ctx, caller, facts, entry)
    reply, fixture = picked
    raise_scripted_error(reply, fixture, template_context(conversation, chat.model))
    info = resolved.info
    counter = counter_for(info.tokenizer, exact=info.owner == "openai")
    reply_ctx = ReplyContext(
        chat,
        conversation,
        resolved,
        counter,
        ids.IdSource(digest, pin),
        ids.seed_of(digest),
        ctx.settings.response_model,
    )
    completion = build_completion(reply_ctx, reply)
    _charge(ctx, caller, resolved, completion, entry)
    delay = 0.0 if chat.stream else ctx.reply_delay(reply, completion.usage.completion_tokens)
    if delay:
        await asyncio.sleep(delay)
    response = _respond(request, ctx, chat, reply, completion)
    response.headers["x-mock-fixture"] = header_safe(fixture)
    response.headers["x-mock-usage-method"] = f"{counter.method}; {'exact' if counter.exact else 'approximate'}"
    return response


chat_completions = journaled("chat.completions", _chat)
