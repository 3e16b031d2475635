"""The Responses API request as the mock reads it, and its conversion into the chat request that asks the same."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, ValidationError

from mockserver import errors
from mockserver.chat_request import LENIENT, ChatRequest, FunctionDef, NamedFunction, field_error
from mockserver.types import JSON

MIN_OUTPUT_TOKENS = 16
_IMAGE_DETAILS = ("auto", "low", "high")


class InputPart(BaseModel):
    """One content part: ``input_text`` / ``output_text`` are read, ``input_image`` is counted, others accepted."""

    model_config = LENIENT

    type: str
    text: str | None = None
    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class MessageItem(BaseModel):
    """``{"role", "content"}``, with or without ``"type": "message"``."""

    model_config = LENIENT

    type: Literal["message"] | None = None
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[InputPart]


class FunctionCallItem(BaseModel):
    """A tool call the model made earlier, sent back by the client."""

    model_config = LENIENT

    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    id: str | None = None


class FunctionCallOutputItem(BaseModel):
    """The client's result for an earlier ``function_call``."""

    model_config = LENIENT

    type: Literal["function_call_output"]
    call_id: str
    output: str | list[InputPart]


class OtherItem(BaseModel):
    """Any other item (``reasoning``, ``item_reference``, …): accepted and left out of the conversation."""

    model_config = LENIENT

    type: str


_TAGS = {"message": "Message", "function_call": "FunctionCall", "function_call_output": "FunctionCallOutput"}


def _item_tag(value: Any) -> str:
    kind = value.get("type", "message") if isinstance(value, dict) else "message"
    return _TAGS.get(kind, "Other") if isinstance(kind, str) else "Message"


# Capitalised tags stay out of the field paths that ``field_error`` reports (``input[0].call_id``).
InputItem = Annotated[
    Annotated[MessageItem, Tag("Message")]
    | Annotated[FunctionCallItem, Tag("FunctionCall")]
    | Annotated[FunctionCallOutputItem, Tag("FunctionCallOutput")]
    | Annotated[OtherItem, Tag("Other")],
    Discriminator(_item_tag),
]


class ToolDef(BaseModel):
    """A tool: flat ``{"type": "function", "name", "parameters"}`` or Chat-style ``{"function": {...}}``."""

    model_config = LENIENT

    type: str
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None
    function: FunctionDef | None = None


class ToolChoiceObject(BaseModel):
    """``{"type": "function", "name"}`` (or the Chat-style ``{"function": {"name"}}``)."""

    model_config = LENIENT

    type: str
    name: str | None = None
    function: NamedFunction | None = None


class TextFormat(BaseModel):
    """``text.format``."""

    model_config = LENIENT

    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None


class TextConfig(BaseModel):
    """``text``."""

    model_config = LENIENT

    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class ReasoningConfig(BaseModel):
    """``reasoning`` (accepted and echoed; the mock's reasoning does not depend on it)."""

    model_config = LENIENT

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None


class ResponsesRequest(BaseModel):
    """``POST /responses`` body."""

    model_config = LENIENT

    model: str
    input: str | list[InputItem]
    instructions: str | None = None
    tools: list[ToolDef] | None = None
    tool_choice: Literal["none", "auto", "required"] | ToolChoiceObject | None = None
    parallel_tool_calls: bool | None = None
    text: TextConfig | None = None
    max_output_tokens: int | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    stream: bool | None = None
    previous_response_id: str | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    reasoning: ReasoningConfig | None = None
    truncation: Literal["auto", "disabled"] | None = None
    user: str | None = None


def parse_responses_request(data: JSON) -> ResponsesRequest:
    """Validate a decoded body; a wrong field raises a 400 that names it (``input[1].call_id``)."""
    try:
        request = ResponsesRequest.model_validate(data)
    except ValidationError as exc:
        raise field_error(exc) from None
    limit = request.max_output_tokens
    if limit is not None and limit < MIN_OUTPUT_TOKENS:
        raise errors.invalid_field(
            "max_output_tokens",
            f"integer below minimum value. Expected a value >= {MIN_OUTPUT_TOKENS}, but got {limit} instead.",
            "integer_below_min_value",
        )
    return request


def _part(part: InputPart) -> JSON | None:
    if part.type in ("input_text", "output_text", "text") and part.text is not None:
        return {"type": "text", "text": part.text}
    if part.type == "input_image":
        image: JSON = {"url": part.image_url or f"file:{part.file_id}"}
        if part.detail in _IMAGE_DETAILS:
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    return None


def _content(content: str | list[InputPart]) -> str | list[JSON]:
    if isinstance(content, str):
        return content
    return [converted for part in content if (converted := _part(part)) is not None]


def _output_text(output: str | list[InputPart]) -> str:
    if isinstance(output, str):
        return output
    return "\n".join(part.text for part in output if part.text is not None)


def _add_call(messages: list[JSON], item: FunctionCallItem) -> None:
    """Calls made in one model turn (consecutive items, or right after its text) join one assistant message."""
    call = {"id": item.call_id, "type": "function", "function": {"name": item.name, "arguments": item.arguments}}
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant":
        last["tool_calls"] = [*last.get("tool_calls", []), call]
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _messages(request: ResponsesRequest) -> list[JSON]:
    messages: list[JSON] = []
    if request.instructions is not None:
        messages.append({"role": "system", "content": request.instructions})
    if isinstance(request.input, str):
        return [*messages, {"role": "user", "content": request.input}]
    for item in request.input:
        if isinstance(item, MessageItem):
            messages.append({"role": item.role, "content": _content(item.content)})
        elif isinstance(item, FunctionCallItem):
            _add_call(messages, item)
        elif isinstance(item, FunctionCallOutputItem):
            messages.append({"role": "tool", "tool_call_id": item.call_id, "content": _output_text(item.output)})
    if not messages:
        raise errors.invalid_field("input", "expected at least one message item.", "empty_array")
    return messages


def function_of(tool: ToolDef, index: int) -> JSON:
    """The function definition of a tool in either form, or the 400 that says what is wrong with it."""
    if tool.type != "function":
        raise errors.invalid_field(
            f"tools[{index}].type", f"the mock supports function tools only, not {tool.type!r}.", "unsupported_value"
        )
    if tool.function is not None:
        return tool.function.model_dump(exclude_none=True)
    if tool.name is None:
        raise errors.invalid_field(f"tools[{index}].name", "missing required parameter.", "missing_required_parameter")
    fields = {"name": tool.name, "description": tool.description, "parameters": tool.parameters, "strict": tool.strict}
    return {k: v for k, v in fields.items() if v is not None}


def forced_name(choice: ToolChoiceObject) -> str:
    """The function a ``tool_choice`` object forces."""
    if choice.type != "function":
        raise errors.invalid_field("tool_choice.type", f"the mock supports 'function', not {choice.type!r}.")
    name = choice.name or (choice.function.name if choice.function else None)
    if name is None:
        raise errors.invalid_field("tool_choice.name", "missing required parameter.", "missing_required_parameter")
    return name


def _response_format(text: TextConfig | None) -> JSON | None:
    form = text.format if text is not None else None
    if form is None:
        return None
    if form.type != "json_schema":
        return {"type": form.type}
    for field, value in (("name", form.name), ("schema", form.schema_)):
        if value is None:
            raise errors.invalid_field(
                f"text.format.{field}", "missing required parameter.", "missing_required_parameter"
            )
    schema = {"name": form.name, "schema": form.schema_, "strict": form.strict}
    return {"type": "json_schema", "json_schema": {k: v for k, v in schema.items() if v is not None}}


def to_chat_request(request: ResponsesRequest) -> ChatRequest:
    """The chat request that asks the same thing, for ``read_conversation`` and ``build_completion``."""
    data: JSON = {"model": request.model, "messages": _messages(request), "stream": request.stream}
    if request.tools:
        data["tools"] = [{"type": "function", "function": function_of(t, i)} for i, t in enumerate(request.tools)]
    choice = request.tool_choice
    if isinstance(choice, ToolChoiceObject):
        data["tool_choice"] = {"type": "function", "function": {"name": forced_name(choice)}}
    elif choice is not None:
        data["tool_choice"] = choice
    optional = {
        "parallel_tool_calls": request.parallel_tool_calls,
        "response_format": _response_format(request.text),
        "max_completion_tokens": request.max_output_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
    }
    data |= {k: v for k, v in optional.items() if v is not None}
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        raise field_error(exc) from None


_CHAT_PARAMS = (
    (re.compile(r"^response_format\.json_schema\.schema"), "text.format.schema"),
    (re.compile(r"^tools\[(\d+)\]\.function\.parameters"), r"tools[\1].parameters"),
)


def responses_error(error: errors.ApiError) -> errors.ApiError:
    """A 400 raised by the chat pipeline, with its field path spelled as in the Responses request."""
    param = error.param
    if param is None:
        return error
    for pattern, replacement in _CHAT_PARAMS:
        renamed = pattern.sub(replacement, param)
        if renamed != param:
            details = error.details.replace(f"'{param}'", f"'{renamed}'")
            return dataclasses.replace(error, details=details, param=renamed)
    return error
