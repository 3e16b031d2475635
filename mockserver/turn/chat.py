"""The chat completions surface: the chat request is the canonical turn, answered as JSON or as an SSE stream."""

from __future__ import annotations

from typing import Any

from mockserver import errors
from mockserver.chat_request import ChatRequest, parse_chat_request
from mockserver.clarifai.catalog import Kind, Quirk, ResolvedModel
from mockserver.config import StreamUsage
from mockserver.engine.responder import Completion, ReplyContext, build_completion
from mockserver.fixtures.facts import read_conversation
from mockserver.schema import CHAT, Reply, StreamScript
from mockserver.turn.surface import Job, Product, Surface, Turn
from mockserver.types import JSON
from mockserver.wire.answer import Answer
from mockserver.wire.chat_render import chat_stream, completion_json, replayed_stream
from mockserver.wire.stream import default_script, stream_answer


def reply_context(turn: Turn[Any], job: Job) -> ReplyContext:
    """What building a completion needs, for any surface whose turn has a chat form."""
    assert turn.chat is not None
    return ReplyContext(
        turn.chat, turn.conversation, job.model, job.counter, job.ids, job.seed, job.settings.response_model
    )


REMEMBERED_REPLIES = 8
"""Completions kept per prepared request body: one per reply that answered it (a sequence has a few)."""


def completed(turn: Turn[Any], reply: Reply, job: Job) -> Completion:
    """``build_completion`` for the turn, remembered for the same body and reply: everything in a completion but its
    id and timestamp follows from the request, the reply and the request's seed, so a request sent again gets the
    same choices and usage under a fresh id (or the pinned one) without building them again."""
    memo = job.completions
    found = memo.get(id(reply)) if memo is not None else None
    if found is not None and found[0] is reply:  # the memo holds the reply, so its id names no other object
        done = found[1]
        return Completion(job.ids.completion_id(), job.ids.created(), done.model, done.choices, done.usage)
    completion = build_completion(reply_context(turn, job), reply)
    if memo is not None and len(memo) < REMEMBERED_REPLIES:
        memo[id(reply)] = (reply, completion)
    return completion


def _in_stream_error(script: StreamScript, job: Job) -> JSON:
    error = errors.error_from_spec(script.error) if script.error else errors.internal_error()
    return errors.in_stream_error_body(error, job.settings.error_style, job.request_id)


class ChatSurface(Surface[ChatRequest]):
    """``POST /chat/completions``."""

    endpoint = CHAT
    kind = Kind.CHAT
    label = "chat completions"
    records = True

    def read(self, data: JSON) -> Turn[ChatRequest]:
        chat = parse_chat_request(data)
        return Turn(chat, chat.model, read_conversation(chat), bool(chat.stream), chat)

    def check(self, turn: Turn[ChatRequest], model: ResolvedModel) -> None:
        if turn.body.max_tokens is not None and Quirk.MAX_COMPLETION_TOKENS_ONLY in model.info.quirks:
            raise errors.unsupported_max_tokens()

    def build(self, turn: Turn[ChatRequest], reply: Reply, job: Job) -> Product:
        completion = completed(turn, reply, job)
        usage = completion.usage
        headers = dict(reply.headers)
        if not turn.stream:
            return Product(
                # completion_json joins its pieces, so the body is exactly its size
                Answer({**headers, "content-type": "application/json"}, completion_json(completion), compact=True),
                usage,
                usage.to_wire(),
                completion=completion,
            )
        script = default_script(job.settings, reply.stream)
        if reply.frames:
            stream = replayed_stream(reply.frames, job.settings.replay_speed, reply.stream or StreamScript())
        else:
            stream = chat_stream(
                completion, script, self._include_usage(turn.body, job), lambda: _in_stream_error(script, job)
            )
        return Product(stream_answer(stream, headers), usage, usage.to_wire(), completion=completion)

    @staticmethod
    def _include_usage(chat: ChatRequest, job: Job) -> bool:
        if job.settings.stream_usage is StreamUsage.ALWAYS:
            return True
        return bool(chat.stream_options and chat.stream_options.include_usage)
