"""The model catalog endpoints: authenticated and journaled like a turn, answered from the catalog."""

from __future__ import annotations

from mockserver.clarifai.catalog import ModelInfo
from mockserver.context import AppContext
from mockserver.journal import JournalEntry
from mockserver.turn.pipeline import authorise, journaled
from mockserver.turn.surface import Incoming
from mockserver.types import JSON
from mockserver.wire.answer import Answer, json_answer

CATALOG_CREATED = 1735689600  # 2025-01-01: a stable timestamp, so listings never change between runs


def _model_body(info: ModelInfo) -> JSON:
    return {"id": info.id, "object": "model", "created": CATALOG_CREATED, "owned_by": info.owner}


async def list_models(ctx: AppContext, incoming: Incoming) -> Answer:
    """Every catalog entry, canonical ids, in catalog order."""

    async def work(entry: JournalEntry) -> Answer:
        authorise(ctx, incoming, entry)
        return json_answer({"object": "list", "data": [_model_body(m) for m in ctx.catalog]}, {})

    return await journaled(ctx, incoming, "models", work)


async def get_model(ctx: AppContext, incoming: Incoming, model_id: str) -> Answer:
    """One model by any id form."""

    async def work(entry: JournalEntry) -> Answer:
        authorise(ctx, incoming, entry)
        resolved = ctx.catalog.resolve(model_id)
        entry.model = resolved.canonical
        return json_answer(_model_body(resolved.info), {})

    return await journaled(ctx, incoming, "models.retrieve", work)
