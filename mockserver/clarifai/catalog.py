"""The model catalog: which models exist, what they can do, and how every id form maps to one canonical id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mockserver import errors
from mockserver.config import ResponseModel

_HOSTS = re.compile(r"^https?://(?:www\.)?clarifai\.com/", re.IGNORECASE)
_VERSION = re.compile(r"/versions/([0-9a-fA-F]{32})/?$")
_SHORT = re.compile(r"^[^/\s]+/[^/\s]+/models/[^/\s]+$")


class Kind(StrEnum):
    """What a model answers: chat completions, embeddings, images, or none of the OpenAI routes."""

    CHAT = "chat"
    EMBED = "embed"
    IMAGE = "image"
    CLASSIFIER = "classifier"


class ToolCallIds(StrEnum):
    """How a model's backend spells tool-call ids."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    VLLM = "vllm"


class Quirk(StrEnum):
    """Per-model behaviours that differ from the plain OpenAI contract."""

    MAX_COMPLETION_TOKENS_ONLY = "max_completion_tokens_only"
    REASONING_CONTENT = "reasoning_content"


class Price(BaseModel):
    """USD per 1M input and output tokens (per image for image models)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class ModelInfo(BaseModel):
    """One catalog entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_SHORT.pattern)
    kind: Kind = Kind.CHAT
    tools: bool = True
    vision: bool = False
    reasoning: bool = False
    context: int = Field(default=128000, ge=0)
    max_output: int = Field(default=8192, ge=0)
    price: Price = Price(input=0.0, output=0.0)
    tool_call_ids: ToolCallIds = ToolCallIds.VLLM
    tokenizer: str = "o200k_base"
    backend: str = ""
    quirks: frozenset[Quirk] = frozenset()
    dims: int = Field(default=1536, ge=1)

    @property
    def owner(self) -> str:
        """The Clarifai user that owns the model (``openai``, ``anthropic``, …)."""
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The bare model id, the last path segment."""
        return self.id.rsplit("/", 1)[1]


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A requested model string resolved against the catalog."""

    info: ModelInfo
    requested: str
    version: str | None

    @property
    def canonical(self) -> str:
        """The one id every form of this model normalises to."""
        return self.info.id

    def reply_name(self, style: ResponseModel) -> str:
        """The ``model`` a reply names (and ``{{ model }}`` fills), as the ``response_model`` setting says."""
        if style is ResponseModel.CANONICAL:
            return self.canonical
        if style is ResponseModel.BACKEND:
            return self.info.backend or self.canonical
        return self.requested


def canonical_id(model: str) -> tuple[str, str | None]:
    """Strip the host and any ``/versions/<32 hex>`` suffix: ``(user/app/models/model, version)``."""
    text = _HOSTS.sub("", model.strip())
    version = None
    found = _VERSION.search(text)
    if found:
        version = found.group(1).lower()
        text = text[: found.start()]
    return text.strip("/"), version


class Catalog:
    """All known models, looked up by any id form Clarifai accepts."""

    def __init__(self, models: list[ModelInfo]) -> None:
        self._by_id = {m.id: m for m in models}
        self._by_lower = {m.id.lower(): m for m in models}
        by_name: dict[str, list[ModelInfo]] = {}
        for m in models:
            by_name.setdefault(m.name.lower(), []).append(m)
        # A bare model name resolves only when exactly one owner has it.
        self._by_name = {name: found[0] for name, found in by_name.items() if len(found) == 1}

    def __iter__(self) -> Any:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def find(self, model: str) -> ModelInfo | None:
        """The entry for any accepted id form, or ``None``."""
        text, _ = canonical_id(model)
        for candidate in (text, text.replace(".", "_")):
            found = self._by_id.get(candidate) or self._by_lower.get(candidate.lower())
            if found is None and "/" not in candidate:
                found = self._by_name.get(candidate.lower())
            if found is not None:
                return found
        return None

    def resolve(self, model: str) -> ResolvedModel:
        """Resolve or raise the 404 ``21200 MODEL_DOES_NOT_EXIST`` error."""
        info = self.find(model)
        if info is None:
            raise errors.model_not_found(model)
        return ResolvedModel(info=info, requested=model, version=canonical_id(model)[1])


def _entries(data: Any, source: str) -> list[ModelInfo]:
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise errors.FixtureFileError([f"{source}: a catalog needs a top-level `models:` list"])
    defaults = data.get("defaults") or {}
    models, problems = [], []
    for index, raw in enumerate(data["models"]):
        try:
            models.append(ModelInfo.model_validate({**defaults, **raw}))
        except (ValidationError, TypeError) as exc:
            problems.append(f"{source}: models[{index}]: {exc}")
    if problems:
        raise errors.FixtureFileError(problems)
    return models


@lru_cache(maxsize=1)
def _bundled() -> tuple[ModelInfo, ...]:
    text = resources.files("mockserver.clarifai").joinpath("data/catalog.yaml").read_text("utf-8")
    # libyaml's parser where PyYAML has it (~3 ms here against ~20 ms in pure Python, at every app's start); the
    # same safe constructors either way. A user's catalog keeps the pure-Python loader for its error messages.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(_entries(yaml.load(text, Loader=loader), "bundled catalog"))


def load_catalog(extra: Path | None = None) -> Catalog:
    """The bundled catalog (parsed once per process), with entries from ``extra`` added or replacing by id."""
    merged = {m.id: m for m in _bundled()}
    if extra is not None:
        try:
            data = yaml.safe_load(extra.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise errors.FixtureFileError([f"{extra}: {exc}"]) from None
        merged.update({m.id: m for m in _entries(data, str(extra))})
    return Catalog(list(merged.values()))
