"""Request bodies of ``/embeddings`` and ``/images/generations``: lenient about unknown fields, strict about types."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from mockserver import errors
from mockserver.chat_request import LENIENT, WholeInt, field_error
from mockserver.types import JSON

MAX_INPUTS = 2048  # OpenAI's limit on the inputs of one embeddings request


class EmbeddingRequest(BaseModel):
    """``POST /embeddings``."""

    model_config = LENIENT

    model: str
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: WholeInt | None = Field(default=None, ge=1)
    stream: bool | None = None

    def texts(self) -> list[str]:
        """Each input as text; a flat array of token ids is one input, and token ids become their ids joined by
        spaces."""
        if isinstance(self.input, str):
            return [self.input]
        if self.input and all(isinstance(item, int) for item in self.input):
            return [" ".join(map(str, self.input))]
        return [item if isinstance(item, str) else _ids_text(item) for item in self.input]


def _ids_text(item: int | list[int]) -> str:
    return " ".join(map(str, item)) if isinstance(item, list) else str(item)


class ImageRequest(BaseModel):
    """``POST /images/generations``."""

    model_config = LENIENT

    model: str
    prompt: str = Field(min_length=1)
    n: WholeInt | None = Field(default=None, ge=1, le=10)
    size: str | None = None
    response_format: Literal["url", "b64_json"] | None = None
    stream: bool | None = None


def parse_embedding_request(data: JSON) -> EmbeddingRequest:
    """Validate an embeddings body; a wrong field raises a 400 naming it."""
    try:
        request = EmbeddingRequest.model_validate(data)
    except ValidationError as exc:
        raise field_error(exc) from None
    if not request.texts() or any(text == "" for text in request.texts()):
        raise errors.invalid_field("input", "expected a non-empty string or array.", "invalid_value")
    if isinstance(request.input, list) and len(request.input) > MAX_INPUTS:
        raise errors.invalid_field("input", f"expected at most {MAX_INPUTS} inputs.", "array_above_max_length")
    if request.stream:
        raise errors.invalid_field("stream", "streaming is not supported for embeddings.", "unsupported_parameter")
    return request


def parse_image_request(data: JSON) -> ImageRequest:
    """Validate an image generation body; a wrong field raises a 400 naming it."""
    try:
        request = ImageRequest.model_validate(data)
    except ValidationError as exc:
        raise field_error(exc) from None
    # Clarifai's model runner streams chat completions and responses only.
    if request.stream:
        raise errors.invalid_field("stream", "streaming is not supported for images.", "unsupported_parameter")
    return request
