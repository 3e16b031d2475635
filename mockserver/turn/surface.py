"""What the pipeline asks of an API surface: read a request into a turn, and build and render the answer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

from mockserver.chat_request import ChatRequest
from mockserver.clarifai.catalog import Kind, ResolvedModel
from mockserver.clarifai.tokens import TokenCounter
from mockserver.clarifai.usage import Usage
from mockserver.config import Settings
from mockserver.engine.ids import IdSource
from mockserver.engine.responder import Completion
from mockserver.fixtures.facts import Conversation
from mockserver.schema import Endpoint, Reply
from mockserver.types import JSON
from mockserver.wire.answer import Answer

B = TypeVar("B")


@dataclass(slots=True)  # made per request: a frozen dataclass takes four times as long to build
class Incoming:
    """A request as the pipeline sees it, free of any web framework.

    ``state`` is the per-request state the middleware keeps (``req_id``); the pipeline pins the id there when a seed
    asks for it, so error responses carry the same id.
    """

    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    body: Callable[[], Awaitable[bytes]]
    base_url: str
    state: dict[str, object] = field(default_factory=dict)

    @property
    def request_id(self) -> str:
        """The id sent back as ``x-clarifai-request-id`` (and as ``req_id`` in error bodies)."""
        return str(self.state.get("req_id", ""))


@dataclass(frozen=True)
class Turn(Generic[B]):
    """One request read by its surface: its own parsed body, and the canonical parts every surface shares."""

    body: B
    model: str  # as requested
    conversation: Conversation
    stream: bool = False
    chat: ChatRequest | None = None  # the canonical chat form, for surfaces that converse


@dataclass(slots=True)  # made per request, never changed (not frozen: that takes four times as long to build)
class Job:
    """What building an answer may use besides the turn and the reply."""

    settings: Settings
    model: ResolvedModel
    counter: TokenCounter
    ids: IdSource
    seed: int
    request_id: str
    base_url: str
    # Completions already built for this very request body, by reply (see ``completed``); ``None``: build afresh.
    completions: dict[int, tuple[Reply, Completion]] | None = None


@dataclass
class Product:
    """A built answer and what it costs: the usage to charge, as journaled, and a flat amount when not per token."""

    answer: Answer
    usage: Usage
    journal_usage: JSON | None
    amount: float | None = None
    completion: Completion | None = None  # the text-and-tools answer, for the pipeline's tool-call checks


class Surface(ABC, Generic[B]):
    """One API surface (chat completions, Responses, embeddings, images)."""

    endpoint: ClassVar[Endpoint]
    kind: ClassVar[Kind]  # the model kind it serves
    label: ClassVar[str]  # how errors name it
    records: ClassVar[bool] = False  # whether a miss may be forwarded upstream and recorded

    @abstractmethod
    def read(self, data: JSON) -> Turn[B]:
        """Validate the decoded body into a turn; raise a 400 naming the field when it is wrong."""

    def check(self, turn: Turn[B], model: ResolvedModel) -> None:
        """Refuse what this model does not accept on this surface (quirks); nothing by default."""

    @abstractmethod
    def build(self, turn: Turn[B], reply: Reply, job: Job) -> Product:
        """The answer to the turn with ``reply`` (whose omitted parts are generated), rendered for the wire."""
