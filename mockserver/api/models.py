"""``GET /models`` and ``GET /models/{id}``: the catalog in OpenAI's list shape."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver.auth import authenticate
from mockserver.catalog import ModelInfo
from mockserver.context import context
from mockserver.types import JSON

CATALOG_CREATED = 1735689600  # 2025-01-01: a stable timestamp, so listings never change between runs


def _model_body(info: ModelInfo) -> JSON:
    return {"id": info.id, "object": "model", "created": CATALOG_CREATED, "owned_by": info.owner}


async def list_models(request: Request) -> JSONResponse:
    """Every catalog entry, canonical ids, in catalog order."""
    ctx = context(request)
    ctx.throttle(authenticate(request.headers, ctx.settings))
    return JSONResponse({"object": "list", "data": [_model_body(m) for m in ctx.catalog]})


async def get_model(request: Request) -> JSONResponse:
    """One model by any id form; raw slashes and ``%2F`` both arrive decoded in the path."""
    ctx = context(request)
    ctx.throttle(authenticate(request.headers, ctx.settings))
    resolved = ctx.catalog.resolve(request.path_params["model_id"])
    return JSONResponse(_model_body(resolved.info))
