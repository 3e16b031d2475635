"""Run one model turn for any surface: authenticate, decode, resolve the model and the reply, build, charge, journal.

Every model endpoint goes through ``run``, so a fixture, a scenario, a fault or a fix applies to all of them alike.
The journal entry is written here and only here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import orjson

from mockserver import errors
from mockserver.clarifai.auth import Caller, authenticate
from mockserver.clarifai.catalog import ResolvedModel
from mockserver.clarifai.tokens import TokenCounter, counter_for, loaded_counter
from mockserver.config import Settings
from mockserver.context import AppContext
from mockserver.engine import ids
from mockserver.engine.responder import Completion
from mockserver.fixtures.facts import RequestFacts
from mockserver.fixtures.templating import needs_filling, render, render_reply, template_context
from mockserver.journal import JournalEntry
from mockserver.json_body import decode_json_object
from mockserver.schema import Reply
from mockserver.turn.resolve import Forward, Resolved, resolve_reply
from mockserver.turn.surface import Incoming, Job, Product, Surface, Turn
from mockserver.turn.warnings import check_reply, log_warnings, note_warnings
from mockserver.types import JSON
from mockserver.wire.answer import Answer
from mockserver.wire.headers import (
    FIXTURE_HEADER,
    NAMESPACE_HEADER,
    SEED_HEADER,
    USAGE_METHOD_HEADER,
    header_safe,
    retry_count,
)
from mockserver.wire.stream import reply_delay


class Sent(Protocol):
    """Anything answered with an HTTP status: an ``Answer``, or the response of a forwarded request."""

    @property
    def status_code(self) -> int: ...


R = TypeVar("R", bound=Sent)
S = TypeVar("S", bound=Sent)
Forwarder = Callable[[Forward], Awaitable[R]]
_VOLATILE = ("stream", "stream_options")


async def journaled(
    ctx: AppContext, incoming: Incoming, endpoint: str, work: Callable[[JournalEntry], Awaitable[S]]
) -> S:
    """Run ``work`` and journal the request with its status and latency, errors included."""
    headers = incoming.headers
    entry = JournalEntry.begin(
        headers.get(NAMESPACE_HEADER), incoming.method, incoming.path, endpoint, retry_count(headers)
    )
    started = time.perf_counter()
    try:
        result = await work(entry)
        entry.status = result.status_code
        return result
    except errors.ApiError as error:
        entry.status, entry.error = error.status, error.message
        note_warnings(entry, error.headers)
        raise
    finally:
        # to the microsecond by integer rounding: ``round(ms, 3)`` goes through the float's decimal digits, 3x slower
        entry.latency_ms = round((time.perf_counter() - started) * 1_000_000) / 1000
        ctx.journal.add(entry)
        log_warnings(entry)
        ctx.observer.journaled(entry)  # metrics and hit counts, from this one place


def authorise(ctx: AppContext, incoming: Incoming, entry: JournalEntry) -> Caller:
    """Authenticate and throttle the caller, and note who it is (PAT fingerprint, namespace) in the journal."""
    header = incoming.headers.get("authorization")
    caller = ctx.callers.get(header) if header else None
    if caller is None:
        caller = authenticate(incoming.headers, ctx.settings)  # raises for a missing, unknown or refused key
        if header:
            ctx.callers.put(header, caller)
    entry.pat = caller.fingerprint
    entry.namespace = ctx.namespace(incoming.headers, caller.pat)
    ctx.throttle(caller)
    return caller


def request_hash(data: JSON, canonical_model: str) -> str:
    """Hash of the request's content; streaming flags are left out and the model id normalised, so every id form
    and both modes get the same answer."""
    stable = {k: v for k, v in data.items() if k not in _VOLATILE} | {"model": canonical_model}
    try:
        encoded = orjson.dumps(stable, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # integers past 64 bits, which only the json module writes
        encoded = json.dumps(stable, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def seed_pin(headers: Mapping[str, str], settings: Settings) -> int | None:
    """The seed that pins ids and timestamps: the ``x-mock-seed`` header, else the ``seed`` setting."""
    header = headers.get(SEED_HEADER)
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
    error = errors.error_from_spec(reply.error.model_copy(update={"message": message}))
    error.headers = {**reply.headers, **error.headers, FIXTURE_HEADER: header_safe(fixture)}
    raise error


def _filled(
    ctx: AppContext, turn: Turn[Any], model: ResolvedModel, resolved: Resolved, entry: JournalEntry
) -> tuple[Reply, str]:
    """The resolved reply with its templates filled (placeholders that led nowhere become warnings), and the name
    of what gave it; a scripted error is raised here."""
    reply, fixture, captures = resolved
    if not needs_filling(reply):  # most replies: no template context to build
        raise_scripted_error(reply, fixture, {})
        return reply, fixture
    template = template_context(turn.conversation, model.reply_name(ctx.settings.response_model), captures)
    reply, missing = render_reply(reply, template)
    for problem in missing:
        entry.warn(f"fixture {fixture!r}: {problem}")
    raise_scripted_error(reply, fixture, template)
    return reply, fixture


def _model(ctx: AppContext, surface: Surface[Any], turn: Turn[Any], entry: JournalEntry) -> ResolvedModel:
    model = ctx.catalog.resolve(turn.model)
    entry.model = model.canonical
    if model.info.kind is not surface.kind:
        raise errors.wrong_model_kind(turn.model, model.info.kind.value, surface.label)
    surface.check(turn, model)
    return model


PREPARED_BODY = 8 * 1024
"""Bodies up to this size have their turn, model, hash and seed remembered (``AppContext.prepared``)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a request body alone decides: its decoded JSON (read, never changed), its turn, its model, its hash and the
    seed generation draws from it."""

    data: JSON
    turn: Turn[Any]
    model: ResolvedModel
    counter: TokenCounter
    usage_method: str  # the ``x-mock-usage-method`` header: how tokens are counted for this model
    digest: str
    seed: int
    big: bool  # a big body, or many embedding inputs: answers built in a worker thread
    schema: bool  # the request offers a schema that generated text or arguments must fill
    completions: dict[int, tuple[Reply, Completion]] = field(default_factory=dict)  # by reply, for ``completed``


async def _prepare(ctx: AppContext, surface: Surface[Any], body: bytes, entry: JournalEntry) -> Prepared:
    """``Prepared`` for a body not met before (or too big to remember): decoded (in a worker thread when big),
    read by its surface and its model resolved; remembered per endpoint and body, because suites and load tests send
    the same request again and again (decoding, validating and reading it was a quarter of a scripted request)."""
    data = await asyncio.to_thread(decode_json_object, body) if len(body) > HEAVY_BODY else decode_json_object(body)
    entry.request_body = body  # once it decodes (the journal decodes it again when read), before validation may fail
    turn = surface.read(data)
    entry.stream = turn.stream
    model = _model(ctx, surface, turn, entry)
    digest = request_hash(data, model.canonical)
    exact = model.info.owner == "openai"
    counter = loaded_counter(model.info.tokenizer, exact=exact)
    if counter is None:  # the encoding's first use: ~50 ms to load, more from a cold disk, off the event loop
        counter = await asyncio.to_thread(counter_for, model.info.tokenizer, exact=exact)
    inputs = data.get("input")
    big = len(body) > HEAVY_BODY or (isinstance(inputs, list) and len(inputs) > _HEAVY_INPUTS)
    schema = any(key in data for key in _SCHEMA_KEYS)
    method = f"{counter.method}; {'exact' if counter.exact else 'approximate'}"
    found = Prepared(data, turn, model, counter, method, digest, ids.seed_of(digest), big, schema)
    if len(body) <= PREPARED_BODY:
        ctx.prepared.put((surface.endpoint, body), found)
    return found


def _job(ctx: AppContext, incoming: Incoming, prepared: Prepared, pin: int | None, verbatim: bool) -> Job:
    """What building needs; a reply used as loaded (``verbatim``, not filled from templates) may reuse the completion
    built for it before."""
    ids_ = ids.IdSource(prepared.digest, pin)
    completions = prepared.completions if verbatim else None
    return Job(
        ctx.settings,
        prepared.model,
        prepared.counter,
        ids_,
        prepared.seed,
        incoming.request_id,
        incoming.base_url,
        completions,
    )


def _charge(ctx: AppContext, caller: Caller, model: ResolvedModel, product: Product, entry: JournalEntry) -> None:
    entry.usage = product.journal_usage
    entry.cost_usd = ctx.ledger.charge(
        caller.fingerprint, model.canonical, entry.namespace, product.usage, model.info.price, amount=product.amount
    )


async def _turn(
    ctx: AppContext, incoming: Incoming, surface: Surface[Any], entry: JournalEntry, forward: Forwarder[R]
) -> Answer | R:
    caller = authorise(ctx, incoming, entry)
    body = await incoming.body()
    prepared = ctx.prepared.get((surface.endpoint, body)) or await _prepare(ctx, surface, body, entry)
    entry.request_body, entry.stream, entry.model = body, prepared.turn.stream, prepared.model.canonical
    data, turn, model = prepared.data, prepared.turn, prepared.model
    pin = seed_pin(incoming.headers, ctx.settings)
    if pin is not None:
        incoming.state["req_id"] = ids.request_id(pin, prepared.digest)
    facts = RequestFacts(surface.endpoint, model.canonical, turn.conversation, caller.pat, incoming.headers, data)
    resolved = resolve_reply(ctx, caller, facts, entry, surface.records)
    if isinstance(resolved, Forward):
        return await forward(resolved)
    reply, fixture = _filled(ctx, turn, model, resolved, entry)
    job = _job(ctx, incoming, prepared, pin, verbatim=reply is resolved[0])
    if prepared.big or (prepared.schema and _generates(reply)):  # a thread hop (~0.1 ms) only when building may be slow
        product = await asyncio.to_thread(surface.build, turn, reply, job)
    else:
        product = surface.build(turn, reply, job)
    check_reply(ctx, incoming, turn, reply, fixture, product, entry)
    _charge(ctx, caller, model, product, entry)
    delay = 0.0 if turn.stream else reply_delay(ctx.settings, reply, product.usage.completion_tokens)
    if delay:
        await asyncio.sleep(delay)
    answer = product.answer
    answer.headers[FIXTURE_HEADER] = header_safe(fixture)
    answer.headers[USAGE_METHOD_HEADER] = prepared.usage_method
    note_warnings(entry, answer.headers)
    ctx.observer.answered(entry, answer)  # keeps the reply (a stream's frames, timed) for the inspector
    return answer


HEAVY_BODY = 64 * 1024
"""Bodies past this size are decoded and built in a worker thread, so other clients are not stalled meanwhile; so
are the answers to more than ``_HEAVY_INPUTS`` embedding inputs, and replies that generate what a schema describes."""
_HEAVY_INPUTS = 16
_SCHEMA_KEYS = ("response_format", "tools", "text")


def _generates(reply: Reply) -> bool:
    """Whether building ``reply`` may generate text or tool-call arguments (misbehaving replies may do both)."""
    calls = reply.tool_calls or []
    if reply.misbehave is not None or any(call.arguments is None for call in calls):
        return True
    return not calls and reply.content is None


def run(ctx: AppContext, incoming: Incoming, surface: Surface[Any], forward: Forwarder[R]) -> Awaitable[Answer | R]:
    """Answer one request to ``surface`` (awaited by the caller); what nothing here answers while recording goes to
    ``forward`` (the web layer's proxy), whose response is journaled like any other."""
    # Not a coroutine itself, and a partial rather than a closure: the journal's work is then the turn, awaited
    # directly, two coroutines fewer on every model request.
    return journaled(ctx, incoming, surface.endpoint, partial(_turn, ctx, incoming, surface, forward=forward))
