"""The fixture schema, one set of pydantic models for files, the Python API, the control API and recordings.

A fixture file::

    version: 1
    fixtures:
      - name: weather-ask            # unique; shown in x-mock-fixture, the journal and near-miss reports
        match:                       # every key given must hold (AND); {} matches everything
          user: weather              # last user message: whole-word, case-insensitive "contains"
          tools: [get_weather]       # these function names are offered
        reply:
          tool_calls: [{name: get_weather, arguments: {location: "Paris, France"}}]
      - name: weather-answer
        match: {tool_result: {name: get_weather}}
        reply: {content: "It is {{ tool_result.temperature }} degrees."}

Matching rules: the first fixture in load order whose match holds answers. Fixtures added at run time (control
API, pytest) are tried before files. A fixture whose reply makes tool calls does not match a request that ends in
tool results unless its match names ``has_tool_result``, ``tool_result`` or ``turn`` (so agent loops end).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

_FORBID = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_FRAMING_HEADERS = {"content-length", "content-type", "transfer-encoding", "connection"}


def _json_value(value: Any) -> Any:
    """Reject what JSON cannot carry (NaN, Infinity), so a fixture can always be served and listed."""
    try:
        json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    return value


def _headers(value: dict[str, str]) -> dict[str, str]:
    """Header names must be HTTP tokens and values printable Latin-1 without line breaks; framing stays the mock's."""
    for name, text in value.items():
        if not _TOKEN.match(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP token")
        if name.lower() in _FRAMING_HEADERS:
            raise ValueError(f"header {name!r} is set by the mock itself")
        if any(ord(c) > 0xFF or c in "\r\n\0" for c in text):
            raise ValueError(f"header {name!r} has a value HTTP cannot carry (line breaks or non-Latin-1)")
    return value


Headers = Annotated[dict[str, str], AfterValidator(_headers)]


NormalizerName = Literal["secrets", "timestamps", "uuids", "hex_ids"]


class PatternNormalizer(BaseModel):
    """A volatile part given as a regex: every match becomes ``replace`` before comparing."""

    model_config = _FORBID

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

    model_config = _FORBID

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

    model_config = _FORBID

    name: str | None = Field(default=None, description="A result for this tool is among them.")
    contains: TextMatch | None = Field(default=None, description="A result's content holds this text.")


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

    model_config = _FORBID

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
    endpoint: Endpoint | None = Field(
        default=None,
        description="Narrows to one endpoint. Omitted: every endpoint that can carry the reply (text and tool calls: "
        "chat.completions and responses; errors and replies with no text: every endpoint).",
    )


class ToolCallSpec(BaseModel):
    """A scripted tool call; ``arguments`` may be an object or a JSON string, and omitted means synthesised."""

    model_config = _FORBID

    id: str | None = Field(default=None, description="Generated in the model's id style when omitted.")
    name: str
    arguments: Annotated[dict[str, Any], AfterValidator(_json_value)] | str | None = None


class UsageOverride(BaseModel):
    """Token counts to report instead of the computed ones; omitted fields stay computed."""

    model_config = _FORBID

    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)
    cached_tokens: int | None = Field(default=None, ge=0)
    reasoning_tokens: int | None = Field(default=None, ge=0)


class ErrorSpec(BaseModel):
    """A scripted HTTP error."""

    model_config = _FORBID

    status: int = Field(ge=400, le=599)
    code: int | None = Field(default=None, description="Clarifai status code; derived from the status when omitted.")
    message: str = Field(description="The specific details text.")
    description: str | None = Field(default=None, description="Clarifai's short description.")
    type: str | None = Field(default=None, description="OpenAI error type (openai error style).")
    openai_code: str | None = None
    retryable: bool | None = Field(default=None, description="Sets x-should-retry; default: the SDK's status rule.")
    retry_after: float | None = Field(default=None, ge=0, description="Seconds, sent as Retry-After.")
    retry_after_ms: float | None = Field(default=None, ge=0, description="Milliseconds, sent as retry-after-ms.")
    body: Annotated[dict[str, Any], AfterValidator(_json_value)] | None = Field(
        default=None, description="A verbatim body, e.g. from a recording."
    )


Fault = Literal["error", "disconnect", "stall", "no_done", "malformed"]


class StreamScript(BaseModel):
    """How a streamed reply is paced and cut, and what goes wrong with it."""

    model_config = _FORBID

    ttft_ms: float = Field(default=0, ge=0, description="Delay before the first chunk.")
    tokens_per_second: float | None = Field(default=None, gt=0, description="Pace of later chunks; none = no delay.")
    jitter: float = Field(default=0, ge=0, le=1, description="± fraction of each gap, seeded.")
    seed: int = 0
    chunk_tokens: int = Field(default=1, ge=1, description="Words of text per content chunk.")
    tool_arguments: Literal["fragments", "whole"] = Field(
        default="fragments", description="Cut tool-call arguments into pieces, or send each call in one delta."
    )
    arguments_chunk_chars: int = Field(default=8, ge=1)
    keepalive_every: int | None = Field(default=None, ge=1, description="Send `: keep-alive` every N chunks.")
    fault: Fault | None = None
    fault_after: int = Field(default=0, ge=0, description="Chunks sent before the fault.")
    stall_ms: float = Field(default=0, ge=0, description="Length of a `stall` fault before the stream resumes.")
    error: ErrorSpec | None = Field(default=None, description="Body of an in-stream `error` fault.")


class RecordedFrame(BaseModel):
    """One SSE ``data:`` payload as received upstream, with its time offset from the start of the response."""

    model_config = _FORBID

    t_ms: float = Field(ge=0)
    data: str


Misbehaviour = Literal[
    "invalid_json_arguments",
    "schema_violation",
    "unknown_tool",
    "duplicate_call_ids",
    "truncated_tool_call",
    "empty",
    "refusal",
    "content_filter",
    "reasoning_only",
]
MISBEHAVIOUR_CALLS: frozenset[str] = frozenset(
    {"invalid_json_arguments", "schema_violation", "unknown_tool", "duplicate_call_ids", "truncated_tool_call"}
)  # the misbehaviours that answer with (broken) tool calls


class Reply(BaseModel):
    """What the "model" answers. Content and tool calls left out are generated deterministically."""

    model_config = _FORBID

    content: str | None = None
    tool_calls: list[ToolCallSpec] | None = None
    reasoning_content: str | None = None
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter"] | None = None
    usage: UsageOverride | None = None
    error: ErrorSpec | None = None
    headers: Headers = Field(default_factory=dict)
    delay_ms: float = Field(default=0, ge=0, description="Latency before a non-streamed reply.")
    stream: StreamScript | None = None
    frames: list[RecordedFrame] | None = Field(default=None, description="Raw recorded SSE frames for replay.")
    template: bool = Field(
        default=True, description="Fill {{ }} placeholders from the request; recordings send their text verbatim."
    )
    misbehave: Misbehaviour | None = Field(
        default=None,
        description="Answer the way a faulty model does (broken tool calls, refusal, empty, ...); see "
        "docs/misbehaviour.md. Asked-for misbehaviour is never reported as a warning.",
    )

    @model_validator(mode="after")
    def _error_alone(self) -> Reply:
        if self.error is not None and (self.content is not None or self.tool_calls or self.misbehave):
            raise ValueError("an error reply cannot also have content, tool_calls or misbehave")
        return self

    def calls_tools(self) -> bool:
        """Whether this reply answers with tool calls (scripted, or broken ones it misbehaves with)."""
        return bool(self.tool_calls) or self.misbehave in MISBEHAVIOUR_CALLS

    def text_only(self) -> bool:
        """Whether this reply answers with scripted text and no tool call (asked-for misbehaviour is neither)."""
        return self.error is None and self.misbehave is None and not self.tool_calls and self.content is not None


class Fixture(BaseModel):
    """One scripted exchange: a match and either a reply or a sequence of replies."""

    model_config = _FORBID

    name: str | None = Field(default=None, description="Defaults to <file>#<index>.")
    match: Match = Field(default_factory=Match)
    reply: Reply | None = None
    sequence: Annotated[list[Reply], Field(min_length=1)] | None = Field(
        default=None, description="Replies for the 1st, 2nd, … matching call; the last one repeats."
    )

    @model_validator(mode="after")
    def _one_reply(self) -> Fixture:
        if (self.reply is None) == (self.sequence is None):
            raise ValueError("give exactly one of reply, sequence")
        return self

    def replies(self) -> list[Reply]:
        """Every reply this fixture can give."""
        return [self.reply] if self.reply is not None else list(self.sequence or [])

    def endpoints(self) -> tuple[Endpoint, ...]:
        """The endpoints this fixture answers: its ``match.endpoint``, else every one that can carry its replies."""
        if self.match.endpoint is not None:
            return (self.match.endpoint,)
        replies = self.replies()
        speaks = any(
            r.content is not None or r.tool_calls or r.reasoning_content is not None or r.misbehave for r in replies
        )
        if speaks and not any(r.error is not None for r in replies):
            return TEXT_ENDPOINTS
        return ENDPOINTS

    def reply_for(self, call: int) -> Reply:
        """The reply for the ``call``-th (0-based) matching request."""
        if self.sequence is not None:
            return self.sequence[min(call, len(self.sequence) - 1)]
        assert self.reply is not None
        return self.reply


class FixtureFile(BaseModel):
    """A whole fixture file."""

    model_config = _FORBID

    version: Literal[1] = 1
    fixtures: list[Fixture] = Field(default_factory=list)
