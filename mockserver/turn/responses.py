"""The Responses surface: converted to the canonical chat turn, answered as a ``response`` or its typed events."""

from __future__ import annotations

from mockserver import errors
from mockserver.clarifai.catalog import Kind
from mockserver.fixtures.facts import read_conversation
from mockserver.schema import RESPONSES, Reply
from mockserver.turn.chat import completed
from mockserver.turn.surface import Job, Product, Surface, Turn
from mockserver.types import JSON
from mockserver.wire.answer import json_answer
from mockserver.wire.responses_render import ResponseShell, echo, response_body, responses_stream, usage_body
from mockserver.wire.responses_request import (
    ResponsesRequest,
    parse_responses_request,
    responses_error,
    to_chat_request,
)
from mockserver.wire.stream import default_script, stream_answer


class ResponsesSurface(Surface[ResponsesRequest]):
    """``POST /responses``. Recorded chat frames cannot be replayed as Responses events, so a recorded reply is
    answered from its semantic content."""

    endpoint = RESPONSES
    kind = Kind.CHAT
    label = "responses"

    def read(self, data: JSON) -> Turn[ResponsesRequest]:
        body = parse_responses_request(data)
        chat = to_chat_request(body)
        return Turn(body, body.model, read_conversation(chat), bool(body.stream), chat)

    def build(self, turn: Turn[ResponsesRequest], reply: Reply, job: Job) -> Product:
        try:
            completion = completed(turn, reply, job)
        except errors.ApiError as error:
            raise responses_error(error) from None
        shell = ResponseShell(job.ids.completion_id("resp_"), completion.created, completion.model, echo(turn.body))
        usage = completion.usage
        headers = dict(reply.headers)
        if turn.stream:
            stream = responses_stream(shell, completion, default_script(job.settings, reply.stream))
            return Product(stream_answer(stream, headers), usage, usage_body(usage), completion=completion)
        return Product(
            json_answer(response_body(shell, completion), headers), usage, usage_body(usage), completion=completion
        )
