"""``POST /embeddings``: deterministic unit vectors per (model, text), as floats or base64 float32."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver import errors
from mockserver.api.common import (
    begin_call,
    header_safe,
    journaled,
    raise_scripted_error,
    scripted_reply,
    text_conversation,
)
from mockserver.catalog import Kind
from mockserver.journal import JournalEntry
from mockserver.media_requests import parse_embedding_request
from mockserver.templating import template_context
from mockserver.tokens import counter_for
from mockserver.usage import Usage
from mockserver.vectors import embedding, to_base64


async def _embeddings(request: Request, entry: JournalEntry) -> Response:
    call = await begin_call(request, entry, Kind.EMBED, "embeddings")
    body = parse_embedding_request(call.data)
    info = call.model.info
    if body.dimensions is not None and not info.name.startswith("text-embedding-3"):
        raise errors.invalid_field("dimensions", "this model does not support specifying dimensions.")
    if body.dimensions is not None and body.dimensions > info.dims:
        raise errors.invalid_field("dimensions", f"expected at most {info.dims} for this model.", "invalid_value")
    texts = body.texts()
    conversation = text_conversation("\n".join(texts))
    reply, fixture = scripted_reply(call.ctx, call.facts("embeddings", conversation, request.headers), entry)
    raise_scripted_error(reply, fixture, template_context(conversation, body.model))
    counter = counter_for(info.tokenizer, exact=info.owner == "openai")
    dims = body.dimensions or info.dims
    data = []
    for index, text in enumerate(texts):
        vector = embedding(call.model.canonical, text, dims)
        encoded = to_base64(vector) if body.encoding_format == "base64" else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    prompt = reply.usage.prompt_tokens if reply.usage and reply.usage.prompt_tokens is not None else None
    tokens = prompt if prompt is not None else sum(counter.count(t) for t in texts)
    usage = Usage(prompt_tokens=tokens, completion_tokens=0, method=counter.method)
    entry.usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    entry.cost_usd = call.ctx.ledger.charge(entry.pat or "", call.model.canonical, entry.namespace, usage, info.price)
    result = {"object": "list", "data": data, "model": body.model, "usage": entry.usage}
    return JSONResponse(result, headers={"x-mock-fixture": header_safe(fixture), **reply.headers})


embeddings = journaled("embeddings", _embeddings)
