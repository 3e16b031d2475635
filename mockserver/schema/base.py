"""What every fixture model shares: strictness, JSON-safe values and header rules."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
)

# ``defer_build``: a model's validator is built when it first validates, so a session that never loads, say, a
# Responses fixture never pays for it (building them all was ~30 ms of the pytest plugin's start-up).
FORBID = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_FRAMING_HEADERS = {"content-length", "content-type", "transfer-encoding", "connection"}


def json_value(value: Any) -> Any:
    """Reject what JSON cannot carry (NaN, Infinity), so a fixture can always be served and listed."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    return value


def _headers(value: dict[str, str]) -> dict[str, str]:
    """Header names must be HTTP tokens and values printable Latin-1 without line breaks; framing stays the mock's."""
    for name, text in value.items():
        if not _TOKEN.match(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP token")
        if name.lower() in _FRAMING_HEADERS:
            raise ValueError(f"header {name!r} is set by the mock itself")
        if any(ord(c) > 0xFF or c in "\r\n\0" for c in text):
            raise ValueError(f"header {name!r} has a value HTTP cannot carry (line breaks or non-Latin-1)")
    return value


Headers = Annotated[dict[str, str], AfterValidator(_headers)]
