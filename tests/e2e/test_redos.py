"""A backtracking ``pattern`` in any schema the mock fills (structured output, tool parameters, Responses
``text.format``) is answered at once with a matching string, through the official SDK."""

from __future__ import annotations

import json
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionFunctionToolParam, ChatCompletionMessageParam
from openai.types.responses import Response

GPT4O = "openai/chat-completion/models/gpt-4o"
EVIL = {"type": "string", "minLength": 32, "maxLength": 32, "pattern": "(.|.)*!"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"code": EVIL},
    "required": ["code"],
    "additionalProperties": False,
}
ASK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "a code please"}]


def assert_evil_value(value: dict[str, Any]) -> None:
    code = value["code"]
    assert len(code) == 32
    assert "!" in code  # what (.|.)*! means under JSON Schema's search semantics; checked without re on purpose


def test_structured_output(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=GPT4O,
        messages=ASK,
        response_format={"type": "json_schema", "json_schema": {"name": "code", "schema": SCHEMA, "strict": True}},
    )
    ChatCompletion.model_validate(completion.model_dump(by_alias=True))
    assert_evil_value(json.loads(completion.choices[0].message.content or ""))


def test_tool_parameters_under_required(client: openai.OpenAI) -> None:
    tool: ChatCompletionFunctionToolParam = {
        "type": "function",
        "function": {"name": "issue_code", "parameters": SCHEMA},
    }
    completion = client.chat.completions.create(
        model=GPT4O,
        messages=ASK,
        tools=[tool],
        tool_choice="required",
    )
    call = (completion.choices[0].message.tool_calls or [])[0]
    assert call.type == "function"
    assert_evil_value(json.loads(call.function.arguments))


def test_responses_text_format(client: openai.OpenAI) -> None:
    response = client.responses.create(
        model=GPT4O,
        input="a code please",
        text={"format": {"type": "json_schema", "name": "code", "schema": SCHEMA, "strict": True}},
    )
    Response.model_validate(response.model_dump(by_alias=True))
    assert_evil_value(json.loads(response.output_text))
