"""``GET /models`` and ``GET /models/{id}``: the catalog in OpenAI's list shape."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver.api.common import authorise, journaled
from mockserver.catalog import ModelInfo
from mockserver.journal import JournalEntry
from mockserver.types import JSON

CATALOG_CREATED = 1735689600  # 2025-01-01: a stable timestamp, so listings never change between runs


def _model_body(info: ModelInfo) -> JSON:
    return {"id": info.id, "object": "model", "created": CATALOG_CREATED, "owned_by": info.owner}


async def _list_models(request: Request, entry: JournalEntry) -> Response:
    """Every catalog entry, canonical ids, in catalog order."""
    ctx, _ = authorise(request, entry)
    return JSONResponse({"object": "list", "data": [_model_body(m) for m in ctx.catalog]})


async def _get_model(request: Request, entry: JournalEntry) -> Response:
    """One model by any id form; raw slashes and ``%2F`` both arrive decoded in the path."""
    ctx, _ = authorise(request, entry)
    resolved = ctx.catalog.resolve(request.path_params["model_id"])
    entry.model = resolved.canonical
    return JSONResponse(_model_body(resolved.info))


list_models = journaled("models", _list_models)
get_model = journaled("models.retrieve", _get_model)
