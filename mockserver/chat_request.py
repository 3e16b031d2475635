"""The chat-completions request as the mock reads it: lenient about unknown fields, strict about types."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from mockserver import errors
from mockserver.types import JSON

LENIENT = ConfigDict(extra="allow", strict=True, frozen=True, defer_build=True)
"""The request models' config (chat, Responses, embeddings, images): unknown fields kept, types strict, the validator
built on first use as in ``schema/base``."""


def _whole(value: Any) -> Any:
    # JSON Schema (and OpenAI) count 1.0 as an integer; strict mode alone would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeInt = Annotated[int, BeforeValidator(_whole)]
"""An integer field that also takes a float with no fraction (``"n": 1.0``)."""
_TYPE_NAMES = {"str", "int", "float", "bool", "none", "dict", "list", "function-after", "function-before"}


class ImageUrl(BaseModel):
    """``image_url`` of an image content part."""

    model_config = LENIENT

    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ContentPart(BaseModel):
    """One part of multimodal content; only ``text`` and ``image_url`` are read, the rest are accepted."""

    model_config = LENIENT

    type: str
    text: str | None = None
    image_url: ImageUrl | None = None


class FunctionCall(BaseModel):
    """``function`` of an assistant tool call in the history."""

    model_config = LENIENT

    name: str
    arguments: str


class ToolCall(BaseModel):
    """An assistant tool call in the history."""

    model_config = LENIENT

    id: str
    type: str = "function"
    function: FunctionCall


class Message(BaseModel):
    """One conversation turn."""

    model_config = LENIENT

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    def text(self) -> str:
        """The text of the message, parts joined with newlines."""
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "\n".join(part.text for part in self.content if part.text is not None)

    def images(self) -> list[ImageUrl]:
        """Image parts, for usage counting."""
        if not isinstance(self.content, list):
            return []
        return [part.image_url for part in self.content if part.image_url is not None]


class FunctionDef(BaseModel):
    """A function tool's definition."""

    model_config = LENIENT

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(BaseModel):
    """A tool offered to the model."""

    model_config = LENIENT

    type: str = "function"
    function: FunctionDef | None = None


class NamedFunction(BaseModel):
    """``{"name": ...}`` inside a forced tool choice."""

    model_config = LENIENT

    name: str


class ToolChoiceObject(BaseModel):
    """``{"type": "function", "function": {"name": ...}}``."""

    model_config = LENIENT

    type: str
    function: NamedFunction | None = None


class JsonSchemaFormat(BaseModel):
    """``json_schema`` of a structured-output response format."""

    model_config = LENIENT

    name: str
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(BaseModel):
    """``response_format``."""

    model_config = LENIENT

    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None


class StreamOptions(BaseModel):
    """``stream_options``."""

    model_config = LENIENT

    include_usage: bool | None = None


class ChatRequest(BaseModel):
    """``POST /chat/completions`` body."""

    model_config = LENIENT

    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | ToolChoiceObject | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    max_tokens: WholeInt | None = Field(default=None, ge=0)
    max_completion_tokens: WholeInt | None = Field(default=None, ge=0)
    n: WholeInt | None = Field(default=None, ge=1, le=128)
    stop: str | list[str] | None = None
    seed: WholeInt | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)

    def tool_named(self, name: str) -> FunctionDef | None:
        """The offered function called ``name``."""
        for tool in self.tools or []:
            if tool.function is not None and tool.function.name == name:
                return tool.function
        return None

    def forced_tool(self) -> str | None:
        """The function name ``tool_choice`` forces, if any."""
        if isinstance(self.tool_choice, ToolChoiceObject) and self.tool_choice.function is not None:
            return self.tool_choice.function.name
        return None

    def completion_limit(self) -> int | None:
        """The output budget; ``max_completion_tokens`` wins over ``max_tokens`` as Clarifai's model class does."""
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


def _param_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier() and part.lower() not in _TYPE_NAMES and not part[:1].isupper():
            path += f".{part}" if path else part
    return path or "body"


def _detail_error(detail: ErrorDetails) -> errors.ApiError:
    path = _param_path(detail["loc"])
    kind = detail["type"]
    if kind == "missing":
        return errors.invalid_field(path, "missing required parameter.", "missing_required_parameter")
    if kind == "too_short" and path == "messages":
        return errors.invalid_field(path, "empty array. Expected an array with minimum length 1.", "empty_array")
    return errors.invalid_field(path, f"{detail['msg']}, but got {json.dumps(detail.get('input'))[:80]}.")


def parse_chat_request(data: JSON) -> ChatRequest:
    """Validate a decoded body; a wrong field raises a 400 that names it like OpenAI does (``messages[0].role``)."""
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        raise field_error(exc) from None


def field_error(exc: ValidationError) -> errors.ApiError:
    """The 400 for a request that fails validation, naming the field as OpenAI does (``messages[0].role``)."""
    # In a union the deepest error is the one that names the real culprit.
    return _detail_error(max(exc.errors(), key=lambda d: len(d["loc"])))
