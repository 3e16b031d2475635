"""Request bodies read as strict JSON objects: parsed, checked for what would break the journal, or the 400."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from mockserver import errors
from mockserver.types import JSON


def decode_json_object(body: bytes) -> JSON:
    """Parse a request body that must be a JSON object, or raise the 400 ``11100`` error."""
    data = _quick_parse(body)
    if data is None:
        return _careful_parse(body)
    if not isinstance(data, dict):
        raise errors.bad_json("The request body must be a JSON object.")
    # Nesting takes a bracket per level: a body with few brackets needs no walk (orjson alone allows 1,024 levels).
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and (problem := json_problem(data)) is not None:
        raise errors.bad_json(f"The request body {problem}.")
    return data


_LONG_INTEGER = re.compile(rb"\d{19}")


def _quick_parse(body: bytes) -> Any:
    """``body`` parsed by orjson, or ``None`` to leave it to ``_careful_parse``: orjson refuses everything that path
    refuses (non-finite numbers, lone surrogates, bad UTF-8) but reads integers past 64 bits as floats, so bodies
    with 19 digits in a row, and everything orjson refuses, go the careful way (which also words the error)."""
    if _LONG_INTEGER.search(body):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _careful_parse(body: bytes) -> JSON:
    """``body`` parsed by the json module, with every check a stored body needs, or the 400 saying what is wrong."""
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.bad_json(f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise errors.bad_json("The request body is nested too deeply.") from None
    except ValueError as exc:  # NaN/Infinity, or an integer past Python's 4300-digit conversion limit
        raise errors.bad_json(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise errors.bad_json("The request body must be a JSON object.")
    problem = json_problem(data)
    if problem is not None:
        raise errors.bad_json(f"The request body {problem}.")
    if _LONE_SURROGATE.search(body) and not _encodable(data):
        raise errors.bad_json("The request body has a lone UTF-16 surrogate escape, which is not valid Unicode.")
    return data


_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
MAX_DEPTH = 100
"""Deepest nesting of arrays and objects the mock accepts anywhere (requests, fixtures); real bodies stay far below."""


def json_problem(data: Any, limit: int = MAX_DEPTH) -> str | None:
    """Why ``data`` could not be stored and sent back as strict JSON (too deep, or a non-finite number), else None.

    ``1e999`` parses to ``inf`` and deep nesting parses fine, yet either one would later break every journal or
    fixture listing; walked iteratively, so the check itself cannot overflow the stack.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return f"has a number out of JSON's range ({value!r}; 1e999 and the like)"
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return f"is nested more than {limit} levels deep"
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list | float))
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _encodable(data: JSON) -> bool:
    # Surrogate pairs (emoji escaped by ASCII-only clients) decode to one character; a lone half cannot be encoded.
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
