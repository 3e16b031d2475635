"""Warnings: what went wrong without failing the request (a template path that led nowhere, a tool call the request
does not allow), said where the user looks: the journal entry, the ``x-mock-warnings`` header, one log line, and in
strict mode an error the SDK shows."""

from __future__ import annotations

import logging
from typing import Any

from mockserver.context import AppContext
from mockserver.fixtures.checks import Call, strict_error, tool_call_warnings
from mockserver.journal import JournalEntry
from mockserver.schema import Reply
from mockserver.turn.resolve import is_strict
from mockserver.turn.surface import Incoming, Product, Turn
from mockserver.wire.headers import FIXTURE_HEADER, WARNINGS_HEADER, header_safe

_WARNINGS_LIMIT = 4000  # header bytes: proxies refuse much longer header lines
logger = logging.getLogger("mockserver")


def warnings_header(warnings: list[str]) -> str:
    """The warnings as one header value, joined by `` | `` (percent-encoded where HTTP needs it, cut when long)."""
    value = header_safe(" | ".join(warnings))
    return value if len(value) <= _WARNINGS_LIMIT else value[: _WARNINGS_LIMIT - 1] + "…"


def note_warnings(entry: JournalEntry, headers: dict[str, str]) -> None:
    """Put the entry's warnings in the response headers (an answer's or an error's)."""
    if entry.warnings:
        headers[WARNINGS_HEADER] = warnings_header(entry.warnings)


def log_warnings(entry: JournalEntry) -> None:
    """One server log line per request that has warnings."""
    if entry.warnings:
        warned = " | ".join(entry.warnings)
        logger.warning("%s %s (fixture %s): %s", entry.method, entry.path, entry.fixture, warned)


def check_reply(
    ctx: AppContext,
    incoming: Incoming,
    turn: Turn[Any],
    reply: Reply,
    fixture: str,
    product: Product,
    entry: JournalEntry,
) -> None:
    """Warn about tool calls the request does not allow (asked-for misbehaviour aside); in strict mode, or with
    ``x-mock-strict: true``, refuse the reply with a 422 that names every warning instead."""
    completion = product.completion
    if completion is not None and turn.chat is not None and reply.misbehave is None:
        chat = turn.chat
        for choice in completion.choices:
            if not choice.tool_calls and chat.tool_choice is None:  # no call, and no rule that asks for one
                continue
            calls = [Call(call.name, call.arguments) for call in choice.tool_calls]
            for warning in tool_call_warnings(chat, fixture, calls, cut=choice.finish_reason == "length"):
                entry.warn(warning)
    if entry.warnings and is_strict(ctx, entry, incoming.headers):
        error = strict_error(entry.warnings)
        error.headers |= {FIXTURE_HEADER: header_safe(fixture)}
        raise error
