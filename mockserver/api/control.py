"""The ``/__mock__/`` control API: health, and (with the fixture engine) journal, reset, fixtures and usage."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from mockserver import __version__
from mockserver.context import context


async def health(request: Request) -> JSONResponse:
    """Readiness for compose healthchecks and the pytest plugin."""
    ctx = context(request)
    return JSONResponse({"status": "ok", "version": __version__, "models": len(ctx.catalog)})
