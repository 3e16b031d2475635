"""What every model endpoint shares: journaling, authentication, decoding, model resolution and fixture lookup."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from mockserver import errors
from mockserver.auth import Caller, authenticate
from mockserver.catalog import Kind, ResolvedModel
from mockserver.chat_request import decode_json_object
from mockserver.config import NoMatch, Settings
from mockserver.context import NAMESPACE_HEADER, AppContext, context
from mockserver.conversation import Conversation
from mockserver.journal import JournalEntry
from mockserver.matching import RequestFacts
from mockserver.replies import error_from_spec
from mockserver.schema import Reply
from mockserver.store import FixtureStore, Hit, Miss
from mockserver.templating import render
from mockserver.types import JSON

GENERATED = "(generated)"
SEED_HEADER = "x-mock-seed"
_VOLATILE = ("stream", "stream_options")

Handler = Callable[[Request, JournalEntry], Awaitable[Response]]


def header_safe(text: str) -> str:
    """``text`` fit for an HTTP header value: printable ASCII kept, anything else percent-encoded (fixture names
    may be in any script, and header values are Latin-1 on the wire)."""
    return quote(text, safe=_HEADER_SAFE)


_HEADER_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


def _retry_count(request: Request) -> int:
    # The OpenAI SDKs number their attempts in this header (0 on the first try).
    value = request.headers.get("x-stainless-retry-count", "0")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


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


@dataclass(frozen=True)
class Call:
    """An authenticated, decoded request to a model endpoint."""

    ctx: AppContext
    caller: Caller
    data: JSON
    model: ResolvedModel
    entry: JournalEntry

    def facts(self, endpoint: str, conversation: Conversation, headers: Mapping[str, str]) -> RequestFacts:
        """What fixtures match against."""
        lowered = {k.lower(): v for k, v in headers.items()}
        return RequestFacts(endpoint, self.model.canonical, conversation, self.caller.pat, lowered)


def authorise(request: Request, entry: JournalEntry) -> tuple[AppContext, Caller]:
    """Authenticate and throttle the caller, and note who it is (PAT fingerprint, namespace) in the journal."""
    ctx = context(request)
    caller = authenticate(request.headers, ctx.settings)
    entry.pat = caller.fingerprint
    entry.namespace = ctx.namespace(request.headers, caller.pat)
    ctx.throttle(caller)
    return ctx, caller


async def authenticated_body(request: Request, entry: JournalEntry) -> tuple[AppContext, Caller, JSON]:
    """``authorise``, then decode the JSON body."""
    ctx, caller = authorise(request, entry)
    data = decode_json_object(await request.body())
    entry.request = data
    return ctx, caller, data


async def begin_call(request: Request, entry: JournalEntry, kind: Kind, endpoint: str) -> Call:
    """``authenticated_body``, then resolve the body's model, which must be of ``kind``."""
    ctx, caller, data = await authenticated_body(request, entry)
    model = data.get("model")
    if not isinstance(model, str):
        raise errors.invalid_field("model", "expected a model id string.")
    resolved = ctx.catalog.resolve(model)
    entry.model = resolved.canonical
    if resolved.info.kind is not kind:
        raise errors.wrong_model_kind(model, resolved.info.kind.value, endpoint)
    return Call(ctx, caller, data, resolved, entry)


def lookup(store: FixtureStore, facts: RequestFacts, entry: JournalEntry) -> tuple[Reply, str] | Miss:
    """The matching fixture's reply and name (noted in the journal entry), or the miss with its near misses."""
    found = store.resolve(facts, entry.namespace)
    if isinstance(found, Hit):
        entry.fixture = found.entry.name
        return found.reply, found.entry.name
    return found


def unmatched(ctx: AppContext, miss: Miss, entry: JournalEntry) -> tuple[Reply, str]:
    """What a miss gets: a 404 naming the near misses in strict mode, else an empty reply to generate."""
    if ctx.no_match(entry.namespace) is NoMatch.STRICT:
        entry.near_miss = miss.report()
        raise errors.no_fixture_matched(entry.near_miss)
    entry.miss = miss  # generated replies keep their report for the journal, built only if someone reads it
    entry.generated = True
    return Reply(), GENERATED


def scripted_reply(ctx: AppContext, facts: RequestFacts, entry: JournalEntry) -> tuple[Reply, str]:
    """The scripted reply for the request, or an empty one to generate; strict mode turns a miss into a 404."""
    found = lookup(ctx.store, facts, entry)
    return unmatched(ctx, found, entry) if isinstance(found, Miss) else found


def request_hash(data: JSON, canonical_model: str) -> str:
    """Hash of the request's content; streaming flags are left out and the model id normalised, so every id form
    and both modes get the same answer."""
    stable = {k: v for k, v in data.items() if k not in _VOLATILE} | {"model": canonical_model}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def seed_pin(request: Request, settings: Settings) -> int | None:
    """The seed that pins ids and timestamps: the ``x-mock-seed`` header, else the ``seed`` setting."""
    header = request.headers.get(SEED_HEADER)
    if header is None:
        return settings.seed
    try:
        return int(header)
    except ValueError:
        raise errors.invalid_field(SEED_HEADER, "expected an integer header value.") from None


def raise_scripted_error(reply: Reply, fixture: str, template: dict[str, Any]) -> None:
    """Raise the reply's scripted error, if it has one, with its message templated."""
    if reply.error is None:
        return
    message = render(reply.error.message, template if reply.template else None)
    error = error_from_spec(reply.error.model_copy(update={"message": message}))
    error.headers = {**reply.headers, **error.headers, "x-mock-fixture": header_safe(fixture)}
    raise error


def text_conversation(text: str, stream: bool = False) -> Conversation:
    """A conversation of one user text, for endpoints whose input is not a chat (embeddings, images)."""
    return Conversation(text, "", 0, (), frozenset(), None, None, stream)
