"""``POST /chat/completions``: authenticate, validate, pick the reply, answer as JSON or as an SSE stream."""

from __future__ import annotations

import asyncio
import hashlib
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mockserver import errors, ids
from mockserver.auth import authenticate
from mockserver.catalog import Kind, Quirk, ResolvedModel
from mockserver.chat_request import ChatRequest, decode_json_object, parse_chat_request
from mockserver.chunks import build_frames
from mockserver.config import StreamUsage
from mockserver.context import AppContext, context, pin_request_id, request_id
from mockserver.conversation import read_conversation
from mockserver.errors import in_stream_error_body
from mockserver.replies import error_from_spec
from mockserver.responder import ReplyContext, build_completion
from mockserver.schema import Reply, StreamScript
from mockserver.streaming import stream_body
from mockserver.tokens import counter_for
from mockserver.types import JSON

_VOLATILE = ("stream", "stream_options")
SEED_HEADER = "x-mock-seed"


def request_hash(data: JSON, canonical_model: str) -> str:
    """Hash of the request's content; streaming flags are left out and the model id normalised, so every id form
    and both modes get the same answer."""
    stable = {k: v for k, v in data.items() if k not in _VOLATILE} | {"model": canonical_model}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _check_model(chat: ChatRequest, resolved: ResolvedModel) -> None:
    info = resolved.info
    if info.kind is not Kind.CHAT:
        raise errors.wrong_model_kind(chat.model, info.kind.value, "chat completions")
    if chat.max_tokens is not None and Quirk.MAX_COMPLETION_TOKENS_ONLY in info.quirks:
        raise errors.unsupported_max_tokens()


def _pin(request: Request, ctx: AppContext) -> int | None:
    header = request.headers.get(SEED_HEADER)
    if header is not None:
        try:
            return int(header)
        except ValueError:
            raise errors.invalid_field(SEED_HEADER, "expected an integer header value.") from None
    return ctx.settings.seed


def _include_usage(chat: ChatRequest, ctx: AppContext) -> bool:
    if ctx.settings.stream_usage is StreamUsage.ALWAYS:
        return True
    return bool(chat.stream_options and chat.stream_options.include_usage)


async def chat_completions(request: Request) -> Response:
    """Answer one chat completion request."""
    ctx = context(request)
    ctx.throttle(authenticate(request.headers, ctx.settings))
    data = decode_json_object(await request.body())
    chat = parse_chat_request(data)
    resolved = ctx.catalog.resolve(chat.model)
    _check_model(chat, resolved)
    digest = request_hash(data, resolved.canonical)
    pin = _pin(request, ctx)
    if pin is not None:
        pin_request_id(request, ids.request_id(pin, digest))
    conversation = read_conversation(chat)
    reply, fixture = Reply(), "(generated)"
    if reply.error is not None:
        raise error_from_spec(reply.error)
    info = resolved.info
    reply_ctx = ReplyContext(
        request=chat,
        conversation=conversation,
        model=resolved,
        counter=counter_for(info.tokenizer, exact=info.owner == "openai"),
        ids=ids.IdSource(digest, pin),
        seed=ids.seed_of(digest),
        response_model=ctx.settings.response_model,
    )
    completion = build_completion(reply_ctx, reply)
    counter = reply_ctx.counter
    headers = {
        "x-mock-fixture": fixture,
        "x-mock-usage-method": f"{counter.method}; {'exact' if counter.exact else 'approximate'}",
        **reply.headers,
    }
    if chat.stream:
        script = reply.stream or StreamScript()
        frames = build_frames(completion, script, _include_usage(chat, ctx))
        error = error_from_spec(script.error) if script.error else errors.internal_error()
        error_body = in_stream_error_body(error, ctx.settings.error_style, request_id(request))
        headers |= {"content-type": "text/event-stream", "cache-control": "no-cache"}
        return StreamingResponse(stream_body(frames, script, error_body), headers=headers)
    if reply.delay_ms:
        await asyncio.sleep(reply.delay_ms / 1000)
    return JSONResponse(completion.body(), headers=headers)
