"""``GET /models`` and ``GET /models/{id}``: the catalog in OpenAI's list shape (from the upstream while recording)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockserver.api.turns import incoming, response, upstream
from mockserver.clarifai.auth import authenticate
from mockserver.context import context
from mockserver.record.proxy import forward
from mockserver.turn import models


async def list_models(request: Request) -> Response:
    """Every catalog entry, canonical ids, in catalog order."""
    ctx = context(request)
    if ctx.recorder is not None and ctx.recorder.forwards:
        return await _passthrough(request)
    return response(await models.list_models(ctx, incoming(request)))


async def get_model(request: Request) -> Response:
    """One model by any id form; raw slashes and ``%2F`` both arrive decoded in the path."""
    ctx = context(request)
    if ctx.recorder is not None and ctx.recorder.forwards:
        return await _passthrough(request)
    return response(await models.get_model(ctx, incoming(request), request.path_params["model_id"]))


async def _passthrough(request: Request) -> Response:
    """While recording, ``/models`` answers from the upstream (unrecorded: the catalog answers it on replay)."""
    ctx = context(request)
    recorder = ctx.recorder
    assert recorder is not None
    caller = authenticate(request.headers, ctx.settings)
    ctx.throttle(caller)
    return await forward(request, upstream(ctx), recorder, caller)
