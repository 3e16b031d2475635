"""A fixture (a match and a reply or a sequence of replies) and a whole fixture file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from mockserver.schema.base import FORBID
from mockserver.schema.match import ENDPOINTS, TEXT_ENDPOINTS, Endpoint, Match
from mockserver.schema.reply import Reply


class Fixture(BaseModel):
    """One scripted exchange: a match and either a reply or a sequence of replies."""

    model_config = FORBID

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

    model_config = FORBID

    version: Literal[1] = 1
    fixtures: list[Fixture] = Field(default_factory=list)
