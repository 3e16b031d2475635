"""Forward a request upstream and tee the answer: every byte goes to the client the moment it arrives, while a copy
(with arrival times) is kept and, once the upstream response is complete, recorded.

The recording is written before the response to the client ends, so a client that has read a whole answer can rely
on it being on disk. A stream cut short (client gone, upstream failure, the process killed) records nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mockserver.clarifai.auth import Caller
from mockserver.errors import StreamDisconnect
from mockserver.record.recorder import Exchange, Recorder, RecordingKey
from mockserver.record.upstream import (
    UpstreamClient,
    pat_for_upstream,
    request_headers,
    response_headers,
    unreachable,
    upstream_url,
)
from mockserver.wire.headers import RECORDED_HEADER, header_safe

if TYPE_CHECKING:
    import httpx  # imported with the upstream client, on the first forwarded request

logger = logging.getLogger("mockserver.record.recorder")

DONE_MARK = b"\ndata: [DONE]"  # at a line start: inside a JSON string a newline is escaped, so never a match
OnDone = Callable[[Exchange], Awaitable[None]]


@dataclass(frozen=True)
class Upstream:
    """Where forwarded requests go: the shared client, and the API prefix to swap for the upstream's."""

    client: UpstreamClient
    prefix: str


def _exchange(response: httpx.Response, pieces: list[tuple[float, bytes]]) -> Exchange:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Exchange(response.status_code, headers, list(pieces))


async def _tee(response: httpx.Response, started: float, on_done: OnDone | None) -> AsyncIterator[bytes]:
    """Yield each upstream piece as it arrives, keeping a timed copy. A stream is recorded as soon as its
    ``[DONE]`` arrives, before that piece goes out: SDKs hang up right after ``[DONE]``, and a client that saw it
    can rely on the recording being on disk. Anything else is recorded at the end of the body."""
    import httpx

    pieces: list[tuple[float, bytes]] = []
    recorded = False
    tail = b""
    try:
        async for chunk in response.aiter_bytes():
            pieces.append(((time.perf_counter() - started) * 1000, chunk))
            window = (tail + chunk).replace(b"\ndata:[", b"\ndata: [")
            tail = window[-len(DONE_MARK) :]
            if on_done is not None and not recorded and DONE_MARK in window:
                recorded = True
                await on_done(_exchange(response, pieces))
            yield chunk
    except httpx.HTTPError as exc:
        logger.warning("upstream %s broke off mid-answer (%s); nothing recorded", response.url, type(exc).__name__)
        raise StreamDisconnect from None
    finally:
        await response.aclose()
    if on_done is not None and not recorded:
        await on_done(_exchange(response, pieces))


async def forward(
    request: Request, upstream: Upstream, recorder: Recorder, caller: Caller, on_done: OnDone | None = None
) -> Response:
    """Send ``request`` upstream with the caller's PAT (or ``CLARIFAI_PAT`` for the dummy PAT) and stream the answer
    back as it arrives; ``on_done`` gets the complete exchange."""
    pat = pat_for_upstream(caller.pat, recorder.upstream_pat)
    recorder.remember(caller.pat)
    recorder.remember(pat)
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path  # keeps %2F in model ids
    url = upstream_url(recorder.upstream, path, upstream.prefix, request.url.query)
    client = upstream.client.get()  # imports httpx
    import httpx

    body = await request.body() if request.method == "POST" else None
    outgoing = client.build_request(request.method, url, content=body, headers=request_headers(request.headers, pat))
    started = time.perf_counter()
    try:
        response = await client.send(outgoing, stream=True)
    except httpx.HTTPError as exc:
        raise unreachable(url, exc) from None
    return StreamingResponse(
        _tee(response, started, on_done), status_code=response.status_code, headers=response_headers(response.headers)
    )


def _record_quietly(recorder: Recorder, key: RecordingKey, exchange: Exchange) -> None:
    # The client already has its answer: a recording that cannot be written is logged and kept for the caller
    # (``recorder.problems``), never turned into a broken response.
    try:
        recorder.record(key, exchange)
    except Exception as exc:
        problem = f"{key.name}: not recorded: {exc}"
        recorder.problems.append(problem)
        logger.error("%s", problem)


async def forward_and_record(
    request: Request, upstream: Upstream, recorder: Recorder, caller: Caller, key: RecordingKey
) -> Response:
    """Forward a request nothing answered and record the exchange under its semantic ``key``."""

    async def record(exchange: Exchange) -> None:
        await asyncio.to_thread(_record_quietly, recorder, key, exchange)

    response = await forward(request, upstream, recorder, caller, record)
    response.headers[RECORDED_HEADER] = header_safe(key.name)
    return response
