"""Every header the mock reads or writes beyond plain HTTP, and how a value is made safe to send."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote

NAMESPACE_HEADER = "x-mock-namespace"  # which test a request belongs to (set by the pytest client factory)
SEED_HEADER = "x-mock-seed"  # pins ids and timestamps for one request
CONTROL_TOKEN_HEADER = "x-mock-control-token"  # the control token, when one is configured
FIXTURE_HEADER = "x-mock-fixture"  # the fixture that answered, or "(generated)"
USAGE_METHOD_HEADER = "x-mock-usage-method"  # how tokens were counted: "<method>; exact|approximate"
WARNINGS_HEADER = "x-mock-warnings"  # what went wrong without failing the request
STRICT_HEADER = "x-mock-strict"  # "true": misses and warnings become errors
RECORDED_HEADER = "x-mock-recorded"  # the recording a forwarded exchange is written under
RETRY_COUNT_HEADER = "x-stainless-retry-count"  # the OpenAI SDKs number their attempts here (0 first)
SSE_HEADERS = {"content-type": "text/event-stream", "cache-control": "no-cache"}

_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


@lru_cache(maxsize=1024)  # fixture names come back on every request they answer
def header_safe(text: str) -> str:
    """``text`` fit for an HTTP header value: printable ASCII kept, anything else percent-encoded (fixture names
    may be in any script, and header values are Latin-1 on the wire)."""
    return quote(text, safe=_HEADER_SAFE)


def retry_count(headers: Mapping[str, str]) -> int:
    """The SDK's attempt number from the request headers (0 when absent or not a small number)."""
    value = headers.get(RETRY_COUNT_HEADER, "0")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0
