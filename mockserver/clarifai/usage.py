"""Billing-style token usage: counts that grow with the input the way a tokenizer's do, plus fixture overrides."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from mockserver.chat_request import ChatRequest, Message
from mockserver.clarifai.tokens import TokenCounter
from mockserver.schema import UsageOverride
from mockserver.types import JSON

# OpenAI's published accounting for chat formats: every message costs a few tokens of framing, and the reply is
# primed with a few more. Images cost 85 tokens at low detail and, assuming a 1024x1024 picture, 765 otherwise.
PER_MESSAGE = 3
PER_NAME = 1
REPLY_PRIMING = 3
PER_TOOL_CALL = 3
TOOLS_OVERHEAD = 12
IMAGE_LOW = 85
IMAGE_HIGH = 765


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one completion and how they were counted."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    method: str = "heuristic"

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion."""
        return self.prompt_tokens + self.completion_tokens

    def to_wire(self) -> JSON:
        """The chat ``usage`` object."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def overridden(self, override: UsageOverride | None) -> Usage:
        """These counts with a fixture's fields put in place of the computed ones."""
        if override is None:
            return self
        given = override.model_dump(exclude_none=True)
        return replace(self, **given)


def _message_tokens(message: Message, counter: TokenCounter) -> int:
    tokens = PER_MESSAGE + counter.count(message.role) + counter.count(message.text())
    if message.name:
        tokens += PER_NAME + counter.count(message.name)
    for image in message.images():
        tokens += IMAGE_LOW if image.detail == "low" else IMAGE_HIGH
    for call in message.tool_calls or []:
        tokens += PER_TOOL_CALL + counter.count(call.function.name) + counter.count(call.function.arguments)
    return tokens


def prompt_tokens(request: ChatRequest, counter: TokenCounter) -> int:
    """Input tokens: messages with their framing, images, and the tool schemas offered."""
    tokens = REPLY_PRIMING + sum(_message_tokens(m, counter) for m in request.messages)
    if request.tools:
        # Python-mode dump: JSON mode refuses the lone surrogates a JSON body may legally carry in its strings.
        schemas = [t.model_dump(exclude_none=True) for t in request.tools]
        tokens += TOOLS_OVERHEAD + counter.count(json.dumps(schemas, ensure_ascii=False, separators=(",", ":")))
    if request.response_format and request.response_format.json_schema:
        tokens += counter.count(json.dumps(request.response_format.json_schema.schema_ or {}))
    return tokens


def output_tokens(content: str | None, tool_calls: list[tuple[str, str]], counter: TokenCounter) -> int:
    """Visible output tokens: the text plus each tool call's name and arguments."""
    tokens = counter.count(content or "")
    for name, arguments in tool_calls:
        tokens += PER_TOOL_CALL + counter.count(name) + counter.count(arguments)
    return tokens


def reasoning_budget(seed: int, prompt: int) -> int:
    """Deterministic hidden reasoning tokens for reasoning models: grows with the prompt, varies by request."""
    return 64 + prompt // 4 + seed % 192
