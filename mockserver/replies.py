"""Scripted reply pieces turned into runtime objects: an ``ErrorSpec`` into the ``ApiError`` the client sees."""

from __future__ import annotations

from mockserver.errors import ApiError, Code
from mockserver.schema import ErrorSpec

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
