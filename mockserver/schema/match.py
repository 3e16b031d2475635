"""The ``match`` side of a fixture: the request conditions and the endpoints a fixture can answer."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    GetJsonSchemaHandler,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from mockserver.schema.base import FORBID, json_value

NormalizerName = Literal["secrets", "timestamps", "uuids", "hex_ids"]


class PatternNormalizer(BaseModel):
    """A volatile part given as a regex: every match becomes ``replace`` before comparing."""

    model_config = FORBID

    regex: str
    replace: str = "<volatile>"

    @model_validator(mode="after")
    def _compiles(self) -> PatternNormalizer:
        try:
            re.compile(self.regex)
        except re.error as exc:
            raise ValueError(f"invalid regex {self.regex!r}: {exc}") from None
        return self


class TextMatch(BaseModel):
    """How a text key matches; a plain string in a file means ``{contains: <string>}``.

    ``normalize`` replaces volatile parts (ISO timestamps, UUIDs, long hex ids, key-shaped secrets, or any regex) by
    placeholders such as ``<timestamp>`` on both the fixture's text and the request's text before comparing.
    """

    model_config = FORBID

    equals: str | None = None
    contains: str | None = None
    regex: str | None = None
    case_sensitive: bool = False
    whole_word: bool = Field(default=True, description="`contains` only matches whole words: 'hi' misses 'this'.")
    normalize: list[NormalizerName | PatternNormalizer] | None = Field(
        default=None, description="Volatile parts replaced on both sides before comparing, applied in order."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"contains": value} if isinstance(value, str) else value

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # The string shorthand is accepted by ``_from_string``; say so in the exported schema, for editors.
        shorthand = {"type": "string", "description": "Shorthand for {contains: <string>}."}
        return {"anyOf": [shorthand, handler(core)]}

    @model_validator(mode="after")
    def _exactly_one(self) -> TextMatch:
        given = [k for k in ("equals", "contains", "regex") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, contains, regex")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regex {self.regex!r}: {exc}") from None
        return self


class ToolResultMatch(BaseModel):
    """Conditions on the tool results that end the request (the answers to the last assistant tool calls)."""

    model_config = FORBID

    name: str | None = Field(default=None, description="A result for this tool is among them.")
    contains: TextMatch | None = Field(default=None, description="A result's content holds this text.")


_BODY_CONDITIONS = ("equals", "contains", "regex", "exists")


class BodyMatch(BaseModel):
    """A condition on one value of the request JSON; a plain value in a file means ``{equals: <value>}``."""

    model_config = FORBID

    equals: Annotated[Any, AfterValidator(json_value)] = Field(
        default=None, description="The value equals this JSON value (1 and true differ; null is a value)."
    )
    contains: Annotated[Any, AfterValidator(json_value)] = Field(
        default=None, description="A string holds this text (case-sensitive), or a list holds this element."
    )
    regex: str | None = Field(default=None, description="A string (or a number's JSON text) matches this regex.")
    exists: bool | None = Field(default=None, description="The path leads to a value (true) or to nothing (false).")

    @model_validator(mode="before")
    @classmethod
    def _from_value(cls, value: Any) -> Any:
        if isinstance(value, dict) and value and set(value) <= set(_BODY_CONDITIONS):
            return value
        return {"equals": value}

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        conditions = {"type": "object", "minProperties": 1, "propertyNames": {"enum": list(_BODY_CONDITIONS)}}
        shorthand = {"not": conditions, "description": "Shorthand for {equals: <value>}: any other JSON value."}
        return {"anyOf": [handler(core), shorthand]}

    @model_validator(mode="after")
    def _exactly_one(self) -> BodyMatch:
        given = [k for k in _BODY_CONDITIONS if k in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of equals, contains, regex, exists")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regex {self.regex!r}: {exc}") from None
        elif "regex" in self.model_fields_set:
            raise ValueError("regex must be a string")
        return self

    def kind(self) -> str:
        """Which condition this is: ``equals``, ``contains``, ``regex`` or ``exists``."""
        return next(k for k in _BODY_CONDITIONS if k in self.model_fields_set)

    @model_serializer(mode="plain")
    def _dump(self) -> dict[str, Any]:
        # Only the condition given, so `equals: null` survives dumping with exclude_none (files, control API).
        return {self.kind(): getattr(self, self.kind())}


Endpoint = Literal["chat.completions", "responses", "embeddings", "images.generations"]
CHAT: Endpoint = "chat.completions"
RESPONSES: Endpoint = "responses"
EMBEDDINGS: Endpoint = "embeddings"
IMAGES: Endpoint = "images.generations"
ENDPOINTS: tuple[Endpoint, ...] = (CHAT, RESPONSES, EMBEDDINGS, IMAGES)
TEXT_ENDPOINTS: tuple[Endpoint, ...] = (CHAT, RESPONSES)  # the surfaces that can carry text and tool calls
ResponseFormatType = Literal["text", "json_object", "json_schema"]


class Match(BaseModel):
    """Request conditions; all given keys must hold."""

    model_config = FORBID

    model: str | None = Field(default=None, description="Canonical id, any Clarifai id form, or a glob.")
    user: TextMatch | None = Field(default=None, description="The last user message.")
    system: TextMatch | None = Field(default=None, description="The system (or developer) messages, joined.")
    tools: list[str] | None = Field(default=None, description="Function names that must all be offered.")
    tool_choice: str | None = Field(default=None, description="none | auto | required | a forced function's name.")
    has_tool_result: bool | None = Field(default=None, description="The request ends with tool results.")
    tool_result: ToolResultMatch | None = None
    turn: int | None = Field(default=None, ge=0, description="Assistant messages already in the conversation.")
    stream: bool | None = None
    response_format: ResponseFormatType | None = None
    pat: str | None = Field(default=None, description="The caller's PAT (exact).")
    headers: dict[str, str] | None = Field(default=None, description="Request headers that must equal these values.")
    body: dict[str, BodyMatch] | None = Field(
        default=None,
        description="Conditions on values of the request JSON by dotted path (`metadata.user_id`, "
        "`tools.0.function.name`); list items by index.",
    )
    endpoint: Endpoint | None = Field(
        default=None,
        description="Narrows to one endpoint. Omitted: every endpoint that can carry the reply (text and tool calls: "
        "chat.completions and responses; errors and replies with no text: every endpoint).",
    )
