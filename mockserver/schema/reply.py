"""The ``reply`` side of a fixture: content, tool calls, errors, usage, stream scripts, frames, misbehaviour."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    model_validator,
)

from mockserver.schema.base import FORBID, Headers, json_value


class ToolCallSpec(BaseModel):
    """A scripted tool call; ``arguments`` may be an object or a JSON string, and omitted means synthesised."""

    model_config = FORBID

    id: str | None = Field(default=None, description="Generated in the model's id style when omitted.")
    name: str
    arguments: Annotated[dict[str, Any], AfterValidator(json_value)] | str | None = None


class UsageOverride(BaseModel):
    """Token counts to report instead of the computed ones; omitted fields stay computed."""

    model_config = FORBID

    prompt_tokens: int | None = Field(default=None, ge=0)
    completion_tokens: int | None = Field(default=None, ge=0)
    cached_tokens: int | None = Field(default=None, ge=0)
    reasoning_tokens: int | None = Field(default=None, ge=0)


class ErrorSpec(BaseModel):
    """A scripted HTTP error."""

    model_config = FORBID

    status: int = Field(ge=400, le=599)
    code: int | None = Field(default=None, description="Clarifai status code; derived from the status when omitted.")
    message: str = Field(description="The specific details text.")
    description: str | None = Field(default=None, description="Clarifai's short description.")
    type: str | None = Field(default=None, description="OpenAI error type (openai error style).")
    openai_code: str | None = None
    retryable: bool | None = Field(default=None, description="Sets x-should-retry; default: the SDK's status rule.")
    retry_after: float | None = Field(default=None, ge=0, description="Seconds, sent as Retry-After.")
    retry_after_ms: float | None = Field(default=None, ge=0, description="Milliseconds, sent as retry-after-ms.")
    body: Annotated[dict[str, Any], AfterValidator(json_value)] | None = Field(
        default=None, description="A verbatim body, e.g. from a recording."
    )


Fault = Literal["error", "disconnect", "stall", "no_done", "malformed"]


class StreamScript(BaseModel):
    """How a streamed reply is paced and cut, and what goes wrong with it."""

    model_config = FORBID

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

    model_config = FORBID

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

    model_config = FORBID

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
