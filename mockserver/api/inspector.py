"""The inspector page (``/__mock__/ui``, assets shipped in the package), what it polls (the journal's tail, where a
fixture comes from), and Prometheus ``/__mock__/metrics``."""

from __future__ import annotations

import asyncio
import html
from importlib import resources
from pathlib import Path

import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from mockserver import errors
from mockserver.api.control import _guarded
from mockserver.wire.headers import CONTROL_TOKEN_HEADER

TAIL_LIMIT = 500
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
JS = "text/javascript; charset=utf-8"
ASSETS = {"app.js": JS, "transcript.js": JS, "util.js": JS, "views.js": JS, "style.css": "text/css; charset=utf-8"}
# The page is static and holds no data; every number on it comes from the guarded control API, and only its own
# scripts run (no CDN, nothing inline).
PAGE_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
}
ASK_FOR_TOKEN = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inspector: token needed</title>
<link rel="stylesheet" href="/__mock__/ui/style.css"></head><body class="gate"><form method="get" action="/__mock__/ui">
<h1>clarifai-mock inspector</h1><p>{message}</p><label>Control token
<input name="token" type="password" autocomplete="off" autofocus required></label><button>Open</button>
</form></body></html>
"""


def _asset(name: str) -> bytes:
    return resources.files("mockserver.observe").joinpath("static", name).read_bytes()


def _with_query_token(request: Request) -> Request:
    """``request`` with its ``?token=`` as the control token header, so the page is guarded exactly as the API."""
    token = request.query_params.get("token")
    if token is None or request.headers.get(CONTROL_TOKEN_HEADER):
        return request
    name = CONTROL_TOKEN_HEADER.encode()
    headers = [(k, v) for k, v in request.scope["headers"] if k != name]
    scope = {**request.scope, "headers": [*headers, (name, token.encode("latin-1", "replace"))]}
    return Request(scope, request.receive)


async def page(request: Request) -> Response:
    """The inspector; with a control token configured it needs ``?token=`` (or the header), and asks for it."""
    try:
        _guarded(_with_query_token(request))
    except errors.ApiError as error:
        asked = "A control token is configured: enter it to open the inspector."
        message = asked if "token" not in request.query_params else f"That token was refused ({error.status})."
        return HTMLResponse(ASK_FOR_TOKEN.format(message=html.escape(message)), error.status, PAGE_HEADERS)
    return HTMLResponse(_asset("index.html"), headers=PAGE_HEADERS)


async def asset(request: Request) -> Response:
    """The page's scripts and style sheet (public: the same files the package ships)."""
    name = request.path_params["name"]
    if name not in ASSETS:
        raise errors.route_not_found(request.method, request.url.path)
    return Response(_asset(name), media_type=ASSETS[name], headers={"cache-control": "no-cache"})


async def metrics(request: Request) -> Response:
    """Request, token, cost, latency, miss, warning and stream metrics in the Prometheus text format."""
    ctx = _guarded(request)
    return Response(ctx.observer.metrics.exposition(), media_type=PROMETHEUS_TEXT)


def _count(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name, "")
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise errors.invalid_field(name, "expected a non-negative integer.")
    return int(text)


async def journal_tail(request: Request) -> JSONResponse:
    """Entries after ``?after=`` (a ``seq``; the newest ``?limit=`` of them), plus any whose stream is still being
    written: the page polls this, so it moves only what changed and keeps what it saw after a test ends.
    ``last_seq`` lower than the page's ``after`` means the server restarted."""
    ctx = _guarded(request)
    after, limit = _count(request, "after", 0), min(_count(request, "limit", TAIL_LIMIT), TAIL_LIMIT)
    entries = ctx.journal.entries()
    fresh = [e for e in entries if e.seq > after][-limit:] if limit else []
    ongoing = [e for e in entries if e.streaming and e.seq <= after]
    body = {"last_seq": ctx.journal.last_seq, "entries": [e.to_json() for e in ongoing + fresh]}
    return JSONResponse(body)


def fixture_line(source: str, index: int) -> int | None:
    """1-based line where ``fixtures[index]`` starts in file ``source``; ``None`` when it cannot be read there."""
    try:
        root = yaml.compose(Path(source).read_text("utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    items = next((value for key, value in root.value if getattr(key, "value", None) == "fixtures"), None)
    if isinstance(items, yaml.SequenceNode) and index < len(items.value):
        line: int = items.value[index].start_mark.line + 1
        return line
    return None


async def fixture_source(request: Request) -> JSONResponse:
    """Where the fixture ``?name=`` that answers ``?namespace=`` comes from: its file and line (``runtime`` if added
    through the API). The file is read only now, when someone asks."""
    ctx = _guarded(request)
    name, namespace = request.query_params.get("name", ""), request.query_params.get("namespace") or None
    entries = ctx.store.entries(namespace)
    position = next((i for i, entry in enumerate(entries) if entry.name == name), None)
    if position is None:
        raise errors.route_not_found("GET", f"/__mock__/fixtures/source?name={name}")
    found = entries[position]
    index = sum(1 for entry in entries[:position] if entry.source == found.source)  # a file's entries are contiguous
    line = None if found.source == "runtime" else await asyncio.to_thread(fixture_line, found.source, index)
    return JSONResponse({"name": name, "source": found.source, "line": line})
