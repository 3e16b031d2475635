"""The one ``Settings`` object: every knob, read from init kwargs, then ``CLARIFAI_MOCK_*`` env vars, then defaults."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_PREFIX = "/v2/ext/openai/v1"
DEFAULT_UPSTREAM = "https://api.clarifai.com/v2/ext/openai/v1"


class ErrorStyle(StrEnum):
    """Shape of error bodies: Clarifai's ``{"status": …}`` or OpenAI's ``{"error": …}``."""

    CLARIFAI = "clarifai"
    OPENAI = "openai"


class NoMatch(StrEnum):
    """What to answer when no fixture matches a request."""

    GENERATE = "generate"
    STRICT = "strict"


class StreamUsage(StrEnum):
    """When a stream ends with a usage chunk: always (Clarifai forces it) or only when the client asks."""

    ALWAYS = "always"
    REQUESTED = "requested"


class ResponseModel(StrEnum):
    """What the ``model`` field of a reply holds."""

    REQUEST = "request"
    CANONICAL = "canonical"
    BACKEND = "backend"


class LogLevel(StrEnum):
    """uvicorn's log levels."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"
    TRACE = "trace"


class Scenario(StrEnum):
    """Canned behaviours a PAT can be configured with."""

    OK = "ok"
    REVOKED = "revoked"
    NO_SCOPES = "no_scopes"
    OUT_OF_CREDIT = "out_of_credit"


class RecordMode(StrEnum):
    """Record modes after VCR.py: what happens to requests when recording is configured."""

    NONE = "none"  # replay only; a request no fixture or recording matches is a 404 naming the nearest one
    ONCE = "once"  # record like new_episodes when the recording file does not exist yet, else like none
    NEW_EPISODES = "new_episodes"  # replay what is recorded, forward and append what is missing
    ALL = "all"  # forward everything and rewrite the recording file with this session


RATE_LIMIT = "rate_limit"
"""The scenario prefix of ``rate_limit:N`` (N requests per second), parsed next to the named ``Scenario`` values."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


def _split_mapping(value: Any) -> Any:
    """Accept ``{"pat": "revoked"}`` JSON or ``pat=revoked,pat2=rate_limit:5`` from env and flags."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            return json.loads(text)
        value = [item for item in text.split(",") if item.strip()]
    if isinstance(value, list | tuple):
        pairs = {}
        for item in value:
            key, sep, scenario = str(item).partition("=")
            if not sep:
                raise ValueError(f"expected PAT=SCENARIO, got {item!r}")
            pairs[key.strip()] = scenario.strip()
        return pairs
    return value


class Settings(BaseSettings):
    """Configuration of one mock server; CLI flags, pytest options and compose all build this object."""

    model_config = SettingsConfigDict(env_prefix="CLARIFAI_MOCK_", frozen=True, populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    prefix: str = DEFAULT_PREFIX
    # Plain defaults rather than ``default_factory=list``: pydantic copies them for each instance, and reading a
    # builtin factory's signature for every such field cost ~2 ms of the import.
    fixtures: Annotated[list[Path], NoDecode] = Field(default=[])
    error_style: ErrorStyle = ErrorStyle.CLARIFAI
    no_match: NoMatch = NoMatch.GENERATE
    pats: Annotated[list[SecretStr], NoDecode] = Field(
        default=[], description="Allow-list of PATs; empty accepts any non-empty PAT."
    )
    pat_scenarios: Annotated[dict[str, str], NoDecode] = Field(
        default={}, description="PAT → revoked | no_scopes | out_of_credit | rate_limit:N"
    )
    pat_budgets: Annotated[dict[str, float], NoDecode] = Field(
        default={}, description="PAT → USD it may spend; past it, Clarifai's billing error (402, 11000)."
    )
    ttft_ms: float = Field(default=0, ge=0, description="Default time to first token of replies without a script.")
    tokens_per_second: float | None = Field(
        default=None, gt=0, description="Default pace of replies without a stream script; unset means no delay."
    )
    jitter: float = Field(default=0, ge=0, le=1, description="Default ± fraction of each gap, seeded.")
    log_level: LogLevel = LogLevel.INFO
    seed: int | None = Field(
        default=None, description="Pins ids, timestamps and request ids for byte-identical replies."
    )
    max_body_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    stream_usage: StreamUsage = StreamUsage.ALWAYS
    response_model: ResponseModel = ResponseModel.REQUEST
    rate_limit: float | None = Field(default=None, gt=0, description="Requests per second per PAT; off when unset.")
    catalog: Path | None = Field(default=None, description="Extra model catalog file merged over the bundled one.")
    reload: bool = Field(default=True, description="Reload fixture files when they change on disk.")
    journal_size: int = Field(default=1000, ge=1)
    workers: int = Field(
        default=1, ge=1, description="Server processes on one port; journal, usage, sequences, rate limits per process."
    )
    control_token: SecretStr | None = Field(default=None, description="Required on /__mock__/ routes when set.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Extra Host names to answer (besides loopback, IPs and dotless names like compose services); "
        "'*' answers any. A guard against DNS rebinding.",
    )
    record_mode: RecordMode = RecordMode.NONE
    upstream: str = Field(default=DEFAULT_UPSTREAM, description="Base URL requests are forwarded to when recording.")
    record_dir: Path | None = Field(
        default=None, description="Recording folder (file recording.yaml inside) or a .yaml/.json recording file."
    )
    replay_speed: float = Field(default=1.0, ge=0, description="Recorded stream timing: 1 = as recorded, 0 = none.")
    normalize_patterns: Annotated[list[str], NoDecode] = Field(
        default=[], description="Extra regexes whose matches are volatile in recorded match text."
    )
    upstream_pat: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CLARIFAI_MOCK_UPSTREAM_PAT", "CLARIFAI_PAT"),
        description="PAT sent upstream when the caller uses the mock's dummy PAT; never logged.",
    )

    @field_validator("fixtures", "pats", "normalize_patterns", "allowed_hosts", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("pat_scenarios", "pat_budgets", mode="before")
    @classmethod
    def _scenarios(cls, value: Any) -> Any:
        return _split_mapping(value)

    @field_validator("pat_scenarios")
    @classmethod
    def _check_scenarios(cls, value: dict[str, str]) -> dict[str, str]:
        for scenario in value.values():
            parse_scenario(scenario)
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return "/" + value.strip("/") if value.strip("/") else ""

    @field_validator("upstream")
    @classmethod
    def _upstream(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("upstream_pat")
    @classmethod
    def _empty_pat(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("control_token")
    @classmethod
    def _real_token(cls, value: SecretStr | None) -> SecretStr | None:
        # An empty token would look set yet guard nothing (CLARIFAI_MOCK_CONTROL_TOKEN= in a shell or compose file).
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is empty: give the control API a real token, or unset it to leave the API open")
        return value

    @field_validator("normalize_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _record_target(self) -> Settings:
        if self.record_mode is not RecordMode.NONE and self.record_dir is None and not self.fixtures:
            mode = self.record_mode.value
            raise ValueError(f"record mode {mode} needs record_dir (or a fixtures folder to write to)")
        return self


def parse_scenario(text: str) -> tuple[Scenario | None, float | None]:
    """Split ``rate_limit:5`` into ``(None, 5.0)`` and ``revoked`` into ``(Scenario.REVOKED, None)``."""
    name, _, arg = text.partition(":")
    if name == RATE_LIMIT:
        try:
            rate = float(arg)
        except ValueError:
            raise ValueError(f"rate_limit needs a number of requests per second, got {text!r}") from None
        if rate <= 0:
            raise ValueError(f"rate_limit must be positive, got {text!r}")
        return None, rate
    try:
        return Scenario(name), None
    except ValueError:
        choices = ", ".join([s.value for s in Scenario] + ["rate_limit:N"])
        raise ValueError(f"unknown PAT scenario {text!r}; choose from {choices}") from None
