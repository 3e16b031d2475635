"""The ``/__mock__/`` control API: health, journal, reset, run-time fixtures, usage ledger and reload."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver import __version__, errors
from mockserver.context import AppContext, context
from mockserver.fixtures.files import fixture_to_data
from mockserver.json_body import decode_json_object
from mockserver.schema import Fixture, FixtureFile
from mockserver.wire.headers import CONTROL_TOKEN_HEADER as TOKEN_HEADER

_INLINE_BODY = 16 * 1024
"""Fixture bodies up to this size are loaded on the event loop; a thread hop costs more than they do."""


_SAFE_SITES = ("same-origin", "none")  # Sec-Fetch-Site values of a page's own requests and of typed-in URLs


def _refused(status: int, reason: str) -> errors.ApiError:
    return errors.ApiError(status, errors.Code.CONN_INVALID_REQUEST, "Request refused", reason)


def _check_write(request: Request) -> None:
    """Refuse browser writes from other origins, and bodies that are not JSON.

    A web page can send a cross-origin ``POST`` with a ``text/plain`` body and no CORS preflight; these checks stop
    it from planting fixtures or resetting the journal. Tools (curl, SDKs, the pytest plugin) send no
    ``Origin``/``Sec-Fetch-Site`` and pass.
    """
    headers = request.headers
    site = headers.get("sec-fetch-site")
    origin = headers.get("origin")
    own = f"{request.url.scheme}://{headers.get('host', '')}"
    if (site is not None and site not in _SAFE_SITES) or (origin is not None and origin != own):
        raise _refused(403, f"Cross-origin writes to the control API are refused (Origin {str(origin)[:100]!r}).")
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media != "application/json":
        raise _refused(415, f"The control API takes Content-Type: application/json, not {media[:60]!r}.")


def _guarded(request: Request, *, write: bool = False) -> AppContext:
    ctx = context(request)
    if write:
        _check_write(request)
    token = ctx.settings.control_token
    if token is not None:
        given = request.headers.get(TOKEN_HEADER, "")
        if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
            raise errors.invalid_key(f"The control API needs the {TOKEN_HEADER} header.")
    return ctx


def _namespace(request: Request) -> str | None:
    return request.query_params.get("namespace") or None


async def health(request: Request) -> JSONResponse:
    """Readiness for compose healthchecks and the pytest plugin (never needs the control token)."""
    ctx = context(request)
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "models": len(ctx.catalog),
            "fixtures": len(ctx.store.entries()),
            "generation": ctx.store.generation,
            "reload_error": ctx.reloader.last_error if ctx.reloader is not None else None,
        }
    )


async def journal(request: Request) -> JSONResponse:
    """Journal entries, oldest first; ``?namespace=`` narrows to one test, ``?limit=`` to the newest N."""
    entries = _guarded(request).journal.entries(_namespace(request))
    limit = request.query_params.get("limit", "")
    if limit.isascii() and limit.isdigit():
        count = int(limit[-9:]) if len(limit.lstrip("0")) < 10 else len(entries)  # past 10^9: everything
        entries = entries[-count:] if count else []
    return JSONResponse({"entries": [e.to_json() for e in entries]})


async def reset(request: Request) -> JSONResponse:
    """Forget run-time fixtures, sequence counters, journal and ledger (of ``?namespace=`` only, if given)."""
    _guarded(request, write=True).reset(_namespace(request))
    return JSONResponse({"status": "reset"})


async def list_fixtures(request: Request) -> JSONResponse:
    """Every fixture in resolution order for ``?namespace=``, with its hits, and the last reload error."""
    ctx, namespace = _guarded(request), _namespace(request)
    hits = ctx.observer.hits(namespace)
    listed = [
        {"name": e.name, "source": e.source, "hits": hits.get(e.name, 0), **fixture_to_data(e.fixture)}
        for e in ctx.store.entries(namespace)
    ]
    reload_error = ctx.reloader.last_error if ctx.reloader is not None else None
    return JSONResponse({"fixtures": listed, "reload_error": reload_error})


def _parse_fixtures(data: dict[str, Any]) -> list[Fixture]:
    try:
        if "fixtures" in data:
            return FixtureFile.model_validate(data).fixtures
        return [Fixture.model_validate(data)]
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"]) or "body"
        raise errors.invalid_field(path, first["msg"], "invalid_fixture") from None


async def add_fixtures(request: Request) -> JSONResponse:
    """Add run-time fixtures: one fixture, or a fixture file's ``{"fixtures": [...]}``, same schema as files."""
    ctx = _guarded(request, write=True)
    body, namespace = await request.body(), _namespace(request)

    def load() -> list[str]:
        return [entry.name for entry in ctx.store.add_many(_parse_fixtures(decode_json_object(body)), namespace)]

    # Validating and indexing thousands of fixtures takes a while: a worker thread does it, so health and model
    # requests keep being answered meanwhile (the store is thread-safe).
    names = await asyncio.to_thread(load) if len(body) > _INLINE_BODY else load()
    return JSONResponse({"added": names}, status_code=201)


async def delete_fixtures(request: Request) -> Response:
    """Remove the run-time fixture ``?name=`` (or all run-time fixtures of the namespace without a name)."""
    ctx = _guarded(request, write=True)
    name, namespace = request.query_params.get("name"), _namespace(request)
    if name is None:
        ctx.store.reset(namespace)
        return JSONResponse({"removed": "all"})
    if not ctx.store.remove(name, namespace):
        raise errors.route_not_found("DELETE", f"/__mock__/fixtures?name={name}")
    return JSONResponse({"removed": name})


async def usage(request: Request) -> JSONResponse:
    """The billing ledger: tokens and cost per PAT fingerprint, model and namespace, with totals."""
    return JSONResponse(_guarded(request).ledger.summary(_namespace(request)))


async def reload(request: Request) -> JSONResponse:
    """Reload fixture files now; answers 400 with the problems (keeping the old set) when they are invalid."""
    ctx = _guarded(request, write=True)
    if ctx.reloader is None or ctx.reloader.reload():
        return JSONResponse({"status": "reloaded", "generation": ctx.store.generation})
    raise errors.invalid_field("fixtures", ctx.reloader.last_error or "invalid", "invalid_fixture")
