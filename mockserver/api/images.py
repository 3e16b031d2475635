"""``POST /images/generations`` and the mock-served picture files its ``url`` replies point at."""

from __future__ import annotations

import base64
import hashlib
import re
import time

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
from mockserver.media_requests import parse_image_request
from mockserver.png import gradient_png, parse_size
from mockserver.templating import template_context
from mockserver.usage import Usage

IMAGE_PATH = "/__mock__/images"
_FILE_NAME = re.compile(r"([0-9]{1,20})-([0-9]{1,6}x[0-9]{1,6})\.png")


def _seed(model: str, prompt: str, index: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{model}\x1f{prompt}\x1f{index}".encode(), digest_size=6).digest(), "big")


async def _generate(request: Request, entry: JournalEntry) -> Response:
    call = await begin_call(request, entry, Kind.IMAGE, "image generation")
    body = parse_image_request(call.data)
    conversation = text_conversation(body.prompt)
    reply, fixture = scripted_reply(call.ctx, call.facts("images.generations", conversation, request.headers), entry)
    raise_scripted_error(reply, fixture, template_context(conversation, body.model))
    width, height = parse_size(body.size)
    count = body.n or 1
    data = []
    for index in range(count):
        seed = _seed(call.model.canonical, body.prompt, index)
        if body.response_format == "b64_json":
            picture = base64.b64encode(gradient_png(seed, width, height)).decode("ascii")
            data.append({"b64_json": picture, "revised_prompt": body.prompt})
        else:
            url = f"{str(request.base_url).rstrip('/')}{IMAGE_PATH}/{seed}-{width}x{height}.png"
            data.append({"url": url, "revised_prompt": body.prompt})
    # Image models are billed per picture: the catalog's output price is USD per image.
    amount = count * call.model.info.price.output
    entry.cost_usd = call.ctx.ledger.charge(
        entry.pat or "", call.model.canonical, entry.namespace, Usage(0, 0), call.model.info.price, amount=amount
    )
    result = {"created": int(time.time()), "data": data}
    return JSONResponse(result, headers={"x-mock-fixture": header_safe(fixture), **reply.headers})


images_generations = journaled("images.generations", _generate)


async def image_file(request: Request) -> Response:
    """A generated picture by its URL name ``<seed>-<w>x<h>.png`` (stateless: rebuilt from the name)."""
    found = _FILE_NAME.fullmatch(request.path_params["name"])
    if found is None:
        raise errors.route_not_found("GET", request.url.path)
    width, height = parse_size(found.group(2))
    return Response(gradient_png(int(found.group(1)), width, height), media_type="image/png")
