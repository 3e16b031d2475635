"""What every API handler shares: journaling each request, whatever its outcome."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from mockserver import errors
from mockserver.context import NAMESPACE_HEADER, context
from mockserver.journal import JournalEntry

Handler = Callable[[Request, JournalEntry], Awaitable[Response]]


def _retry_count(request: Request) -> int:
    # The OpenAI SDKs number their attempts in this header (0 on the first try).
    value = request.headers.get("x-stainless-retry-count", "0")
    return int(value) if value.isdigit() else 0


def journaled(endpoint: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` so the request lands in the journal with its status and latency, errors included."""

    async def endpoint_handler(request: Request) -> Response:
        entry = JournalEntry(
            namespace=request.headers.get(NAMESPACE_HEADER),
            method=request.method,
            path=request.url.path,
            endpoint=endpoint,
            retry_count=_retry_count(request),
        )
        started = time.perf_counter()
        try:
            response = await handler(request, entry)
            entry.status = response.status_code
            return response
        except errors.ApiError as error:
            entry.status = error.status
            raise
        finally:
            entry.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            context(request).journal.add(entry)

    endpoint_handler.__name__ = getattr(handler, "__name__", endpoint)
    endpoint_handler.__doc__ = handler.__doc__
    return endpoint_handler
