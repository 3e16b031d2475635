"""The upstream side of recording: one httpx client per app, the URL, the PAT and the headers that cross over.

Only ``content-type``, ``accept`` and ``user-agent`` go upstream besides ``Authorization``; only the content type,
cache and retry headers come back (the mock adds its own request ids). Nothing here is ever written to disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mockserver import errors
from mockserver.errors import Code

if TYPE_CHECKING:
    import httpx  # imported when a client is first opened: ~50 ms and ~10 MiB an app that never records never needs

DUMMY_PAT_PREFIX = "mock-pat"
TIMEOUTS = {"connect": 10.0, "read": 300.0, "write": 30.0, "pool": 10.0}  # seconds
_REQUEST_HEADERS = ("content-type", "accept", "user-agent")
_RESPONSE_HEADERS = ("content-type", "cache-control", "retry-after", "retry-after-ms", "x-should-retry")
_RESPONSE_PREFIXES = ("x-ratelimit-",)


class UpstreamClient:
    """Holds the app's ``httpx.AsyncClient``: opened on first use inside the server's event loop, closed by the
    app's lifespan (``aclose``), so an app that never records never builds one."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None

    def get(self) -> httpx.AsyncClient:
        """The client, opened now if needed."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=httpx.Timeout(**TIMEOUTS), follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        """Close the client if it was opened."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def is_dummy(pat: str) -> bool:
    """True for the mock's own placeholder PATs (``mock-pat``, ``mock-pat-ci``, …), which are never sent upstream."""
    return pat.startswith(DUMMY_PAT_PREFIX)


def pat_for_upstream(caller_pat: str, configured: str | None) -> str:
    """The caller's PAT, or the configured ``CLARIFAI_PAT`` when the caller sent the mock's dummy PAT."""
    if not is_dummy(caller_pat):
        return caller_pat
    if configured:
        return configured
    raise errors.ApiError(
        401,
        Code.CONN_KEY_NOT_FOUND,
        "API key not found",
        f"The request uses the mock's dummy PAT ({DUMMY_PAT_PREFIX}…) and CLARIFAI_PAT is not set, "
        "so there is no PAT to send upstream.",
        openai_code="invalid_api_key",
        headers={"x-should-retry": "false"},
    )


def request_headers(headers: Mapping[str, str], pat: str) -> dict[str, str]:
    """Headers for the upstream request: the caller's scheme (``Bearer`` or ``Key``) with ``pat``, no compression."""
    scheme = (headers.get("authorization") or "Bearer").strip().partition(" ")[0] or "Bearer"
    sent = {name: headers[name] for name in _REQUEST_HEADERS if name in headers}
    return sent | {"authorization": f"{scheme} {pat}", "accept-encoding": "identity"}


def response_headers(headers: httpx.Headers) -> dict[str, str]:
    """The upstream response headers passed on to the client."""
    return {
        name: value
        for name, value in headers.items()
        if name in _RESPONSE_HEADERS or name.startswith(_RESPONSE_PREFIXES)
    }


def upstream_url(base: str, path: str, prefix: str, query: str) -> str:
    """``base`` + the request path below the mock's ``prefix`` (+ the query string)."""
    rest = path.removeprefix(prefix) if prefix else path
    return base.rstrip("/") + "/" + rest.lstrip("/") + (f"?{query}" if query else "")


def unreachable(url: str, exc: Exception) -> errors.ApiError:
    """The 502 a client gets when the upstream cannot be reached (never recorded)."""
    return errors.ApiError(
        502,
        Code.INTERNAL_SERVER_ISSUE,
        "Upstream unreachable",
        f"The mock could not reach the upstream {url}: {type(exc).__name__}",
        headers={"x-should-retry": "true"},
    )
