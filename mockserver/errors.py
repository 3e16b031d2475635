"""The error tree and the only code that knows what an error body looks like.

::

    MockError
     ├── ApiError            an HTTP error answered to the client (status + Clarifai code + OpenAI type/code)
     ├── StreamDisconnect    raised inside a stream body to drop the connection (the ``disconnect`` fault)
     ├── FixtureFileError    a fixture file that does not load (file, fixture index, field path)
     └── SecretLeak          (record.redact) a recording that would write a secret; nothing is written

Every ``ApiError`` renders in the configured ``error_style``:

- ``clarifai``: ``{"status": {"code": 11009, "description": "...", "details": "...", "req_id": "<32 hex>"}}``
- ``openai``:   ``{"error": {"message": "...", "type": "...", "param": null, "code": null}}``

The HTTP status is identical in both styles because the SDKs pick exception classes from it. Errors the mock itself
originates (``own``: strict misses, control-API refusals) add a top-level ``"message"`` to the Clarifai body, because
that is what the openai SDK puts in ``str(exception)`` (it reads ``body.get("error", body)["message"]``); emulated
Clarifai errors keep Clarifai's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from mockserver.config import ErrorStyle
from mockserver.types import JSON

if TYPE_CHECKING:
    from mockserver.schema import ErrorSpec


class Code(IntEnum):
    """Clarifai status codes the mock answers with (``clarifai_grpc`` ``status_code_pb2``)."""

    SUCCESS = 10000
    CONN_ACCOUNT_ISSUES = 11000
    CONN_THROTTLED = 11005
    CONN_INSUFFICIENT_SCOPES = 11007
    CONN_KEY_INVALID = 11008
    CONN_KEY_NOT_FOUND = 11009
    CONN_BAD_REQUEST_FORMAT = 11100
    CONN_DOES_NOT_EXIST = 11101
    CONN_INVALID_REQUEST = 11102
    CONN_METHOD_NOT_ALLOWED = 11103
    MODEL_DOES_NOT_EXIST = 21200
    MODEL_INVALID_ARGUMENT = 21202
    MODEL_INVALID_REQUEST = 21203
    MODEL_PREDICTION_FAILED = 21313
    MODEL_BUSY_PLEASE_RETRY = 21354
    INTERNAL_SERVER_ISSUE = 98004


_OPENAI_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_exceeded",
}


class MockError(Exception):
    """Base of every error the mock raises on purpose."""


@dataclass(eq=False)
class ApiError(MockError):
    """An error answered over HTTP; ``description`` is Clarifai's short text, ``details`` the specific message."""

    status: int
    code: int
    description: str
    details: str = ""
    param: str | None = None
    openai_code: str | None = None
    openai_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: JSON | None = None  # a verbatim body (recordings, fixtures) overrides the rendered one
    own: bool = False  # the mock's own diagnostic (strict miss, control API), not an emulated Clarifai error

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def body_request_id(self) -> str | None:
        """The ``status.req_id`` of a verbatim (recorded) body, which the response's request id header must echo."""
        status = self.body.get("status") if self.body is not None else None
        rid = status.get("req_id") if isinstance(status, dict) else None
        return rid if isinstance(rid, str) and rid.isascii() and rid.isprintable() else None

    @property
    def message(self) -> str:
        """Human text: the details when there are any, else the description."""
        return self.details or self.description

    def to_body(self, style: ErrorStyle, req_id: str) -> JSON:
        """Render the body in ``style``; ``req_id`` is the same value as the ``x-clarifai-request-id`` header."""
        if self.body is not None:
            return self.body
        if style is ErrorStyle.OPENAI:
            kind = self.openai_type or _OPENAI_TYPE_BY_STATUS.get(self.status, "server_error")
            return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.openai_code}}
        body: JSON = {
            "status": {"code": self.code, "description": self.description, "details": self.details, "req_id": req_id}
        }
        if self.own:  # what the SDK shows in str(exc); exc.body still holds "status"
            body["message"] = self.message
        return body


def in_stream_error_body(error: ApiError, style: ErrorStyle, req_id: str) -> JSON:
    """Body of a ``data:`` frame reporting an error after a 200 stream began; SDKs raise on an ``error`` key."""
    body = error.to_body(ErrorStyle.OPENAI, req_id)
    if style is ErrorStyle.CLARIFAI:
        body["status"] = error.to_body(ErrorStyle.CLARIFAI, req_id)["status"]
    return body


class StreamDisconnect(MockError):
    """Raised inside a response body to drop the connection mid-stream (the ``disconnect`` fault)."""


@dataclass(eq=False)
class FixtureFileError(MockError):
    """A fixture file that cannot be used; each problem names the file, fixture index, line and field."""

    problems: list[str]

    def __post_init__(self) -> None:
        super().__init__("\n".join(self.problems))


# Constructors for the errors the core raises, so wording lives in one place.


def missing_key() -> ApiError:
    """No ``Authorization`` header (Clarifai's observed 11009)."""
    return ApiError(
        401, Code.CONN_KEY_NOT_FOUND, "API key not found", "invalid key(None)", openai_code="invalid_api_key"
    )


def invalid_key(details: str) -> ApiError:
    """A malformed, unknown or revoked PAT."""
    return ApiError(
        401,
        Code.CONN_KEY_INVALID,
        "Invalid API key or Invalid API key/application pair",
        details,
        openai_code="invalid_api_key",
    )


def insufficient_scopes() -> ApiError:
    """A PAT configured as lacking the scopes the call needs."""
    return ApiError(
        403, Code.CONN_INSUFFICIENT_SCOPES, "Insufficient scopes", "The key lacks the scopes required for this request."
    )


def out_of_credit() -> ApiError:
    """A PAT whose account has no credit left (an inferred shape; pin the real one with a recording)."""
    return ApiError(
        402,
        Code.CONN_ACCOUNT_ISSUES,
        "Account has billing issues",
        "Your account has insufficient credits for this request.",
        openai_code="insufficient_quota",
        headers={"x-should-retry": "false"},
    )


def throttled(rate: float, retry_after: int) -> ApiError:
    """Clarifai's documented throttle body, with a ``Retry-After`` the SDKs honour."""
    return ApiError(
        429,
        Code.CONN_THROTTLED,
        "Making too many requests",
        f"exceeded limit of {rate:g} requests per second",
        openai_code="rate_limit_exceeded",
        headers={"retry-after": str(retry_after)},
    )


def bad_json(reason: str) -> ApiError:
    """A body that is not valid JSON, or not a JSON object."""
    return ApiError(400, Code.CONN_BAD_REQUEST_FORMAT, "Failure parsing request body", reason)


def invalid_field(param: str, reason: str, code: str = "invalid_type") -> ApiError:
    """A field of the wrong type or value; ``param`` is the OpenAI-style path such as ``messages[0].content``."""
    return ApiError(
        400, Code.MODEL_INVALID_ARGUMENT, "Invalid argument", f"Invalid '{param}': {reason}", param, openai_code=code
    )


def too_large(limit: int) -> ApiError:
    """A body over ``max_body_bytes``."""
    return ApiError(413, Code.CONN_BAD_REQUEST_FORMAT, "Request body too large", f"The body exceeds {limit} bytes.")


def route_not_found(method: str, path: str) -> ApiError:
    """A path the API does not serve."""
    return ApiError(404, Code.CONN_DOES_NOT_EXIST, "Resource does not exist", f"Invalid URL ({method} {path})")


def method_not_allowed(method: str, path: str) -> ApiError:
    """A known path called with the wrong method."""
    return ApiError(
        405, Code.CONN_METHOD_NOT_ALLOWED, "Method not allowed", f"Method {method} is not allowed on {path}"
    )


def model_not_found(model: str) -> ApiError:
    """A model id that is not in the catalog."""
    return ApiError(
        404,
        Code.MODEL_DOES_NOT_EXIST,
        "Model does not exist",
        f"The model `{model}` does not exist or you do not have access to it.",
        "model",
        openai_code="model_not_found",
    )


def wrong_model_kind(model: str, kind: str, endpoint: str) -> ApiError:
    """A known model called on an endpoint its kind does not serve (e.g. chat on an embedding model)."""
    return ApiError(
        400,
        Code.MODEL_INVALID_REQUEST,
        "Invalid model request",
        f"Model `{model}` is a {kind} model and does not support {endpoint}.",
        "model",
        openai_code="model_not_supported",
    )


def unsupported_max_tokens() -> ApiError:
    """Reasoning models reject ``max_tokens`` (OpenAI's wording, which LiteLLM matches on)."""
    return ApiError(
        400,
        Code.MODEL_INVALID_ARGUMENT,
        "Invalid argument",
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        "max_tokens",
        openai_code="unsupported_parameter",
    )


def internal_error() -> ApiError:
    """The safety net: a bug in the mock, never caused by input."""
    return ApiError(500, Code.INTERNAL_SERVER_ISSUE, "Internal server issue", "The mock server hit an internal error.")


def no_fixture_matched(report: str) -> ApiError:
    """Strict mode's answer to a request no fixture matches: a 404 that names the near misses, never retried."""
    return ApiError(
        404,
        Code.CONN_DOES_NOT_EXIST,
        "No fixture matched",
        report,
        openai_type="mock_no_fixture_matched",
        openai_code="no_fixture_matched",
        headers={"x-should-retry": "false"},
        own=True,
    )


_CODE_BY_STATUS = {
    400: Code.MODEL_INVALID_ARGUMENT,
    401: Code.CONN_KEY_INVALID,
    402: Code.CONN_ACCOUNT_ISSUES,
    403: Code.CONN_INSUFFICIENT_SCOPES,
    404: Code.MODEL_DOES_NOT_EXIST,
    429: Code.CONN_THROTTLED,
    500: Code.MODEL_PREDICTION_FAILED,
    503: Code.MODEL_BUSY_PLEASE_RETRY,
}
_DESCRIPTION_BY_CODE: dict[int, str] = {
    Code.MODEL_INVALID_ARGUMENT: "Invalid argument",
    Code.CONN_KEY_INVALID: "Invalid API key or Invalid API key/application pair",
    Code.CONN_ACCOUNT_ISSUES: "Account has billing issues",
    Code.CONN_INSUFFICIENT_SCOPES: "Insufficient scopes",
    Code.MODEL_DOES_NOT_EXIST: "Model does not exist",
    Code.CONN_THROTTLED: "Making too many requests",
    Code.MODEL_PREDICTION_FAILED: "Model prediction failed",
    Code.MODEL_BUSY_PLEASE_RETRY: "Model is busy, please retry",
}


def error_from_spec(spec: ErrorSpec) -> ApiError:
    """The HTTP error a fixture scripts, with its retry headers (``x-should-retry`` only when the fixture says)."""
    fallback = Code.INTERNAL_SERVER_ISSUE if spec.status >= 500 else Code.MODEL_INVALID_REQUEST
    code = spec.code if spec.code is not None else int(_CODE_BY_STATUS.get(spec.status, fallback))
    headers: dict[str, str] = {}
    if spec.retry_after is not None:
        headers["retry-after"] = f"{spec.retry_after:g}"
    if spec.retry_after_ms is not None:
        headers["retry-after-ms"] = f"{spec.retry_after_ms:g}"
    if spec.retryable is not None:
        headers["x-should-retry"] = "true" if spec.retryable else "false"
    return ApiError(
        status=spec.status,
        code=code,
        description=spec.description or _DESCRIPTION_BY_CODE.get(code, "Request failed"),
        details=spec.message,
        openai_type=spec.type,
        openai_code=spec.openai_code,
        headers=headers,
        body=spec.body,
    )
