"""The LLM-speaking view of one test's traffic: requests, tools, turns, retries and spend, with readable asserts.

``Transcript`` is a mixin: ``MockHandle`` supplies the journal of its namespace, the fixture counters and the usage
totals, and gets ``requests``, ``tools_offered(i)``, ``tool_calls(i)``, ``tool_results(i)``, ``turns``,
``streamed(i)``, ``retries`` and the ``assert_*`` helpers. Indexes count chat requests of this test, oldest first,
retried attempts included; ``-1`` is the latest.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from mockserver import errors
from mockserver.chat_request import parse_chat_request
from mockserver.fixtures.facts import Conversation, ToolResult, read_conversation
from mockserver.journal import JournalEntry
from mockserver.schema import Fixture

CHAT = "chat.completions"
LISTED = 8


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """Tokens and cost of one test, as the mock's billing ledger counted them."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def describe(self) -> str:
        """``1234 tokens (1000 prompt + 234 completion), $0.000123 over 3 billed requests``."""
        return (
            f"{self.total_tokens} tokens ({self.prompt_tokens} prompt + {self.completion_tokens} completion), "
            f"${self.cost_usd:.6f} over {self.requests} billed request(s)"
        )


def conversation_of(entry: JournalEntry) -> Conversation | None:
    """The matching facts of a journaled chat request; ``None`` when its body was not a valid request."""
    if entry.request is None:
        return None
    try:
        return read_conversation(parse_chat_request(entry.request))
    except errors.ApiError:
        return None


def _assistant_messages(entry: JournalEntry) -> list[dict[str, Any]]:
    messages = (entry.request or {}).get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]


def _call_names(message: dict[str, Any]) -> list[str]:
    names = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def _listing(items: list[str]) -> str:
    if not items:
        return "none"
    shown = ", ".join(items[:LISTED])
    return shown + (f", … ({len(items) - LISTED} more)" if len(items) > LISTED else "")


class Transcript(ABC):
    """Questions about what the code under test sent and what the mock answered, in LLM terms."""

    @property
    @abstractmethod
    def journal(self) -> list[JournalEntry]:
        """This test's journal entries, oldest first."""

    @property
    @abstractmethod
    def usage(self) -> UsageTotals:
        """Tokens and cost of this test."""

    @abstractmethod
    def calls(self, fixture_name: str) -> int:
        """How many requests of this test fixture ``fixture_name`` answered."""

    @abstractmethod
    def fixture(self, name: str) -> Fixture | None:
        """The fixture called ``name`` that this test's requests resolve to, if any."""

    @abstractmethod
    def fixture_names(self) -> list[str]:
        """Names of every fixture this test's requests can match, in resolution order."""

    @property
    def requests(self) -> list[JournalEntry]:
        """Journal entries of this test's chat completion requests, retried attempts included."""
        return [entry for entry in self.journal if entry.endpoint == CHAT]

    def request(self, i: int = -1) -> JournalEntry:
        """The ``i``-th chat request (``-1``: the latest), with a readable error when there is none."""
        found = self.requests
        if not -len(found) <= i < len(found):
            raise IndexError(f"no chat request #{i}: this test made {len(found)} chat request(s)")
        return found[i]

    def messages(self, i: int = -1) -> list[dict[str, Any]]:
        """The ``messages`` the client sent in request ``i``, as sent."""
        messages = (self.request(i).request or {}).get("messages")
        return list(messages) if isinstance(messages, list) else []

    def tools_offered(self, i: int = -1) -> list[str]:
        """Function names offered in request ``i``'s ``tools``, in order."""
        names = []
        for tool in (self.request(i).request or {}).get("tools") or []:
            function = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                names.append(function["name"])
        return names

    def tool_results(self, i: int = -1) -> list[ToolResult]:
        """The tool results request ``i`` sent back (its trailing ``role: tool`` messages, with the tool's name)."""
        conversation = conversation_of(self.request(i))
        return list(conversation.tool_results) if conversation else []

    def tool_calls(self, i: int = -1) -> list[str]:
        """Names of the tool calls the mock answered request ``i`` with.

        Scripted replies say it directly; for generated ones, the assistant message the client sent back in a
        later request is read (so the last generated reply of a test is unknown when nothing followed it).
        """
        found = self.requests
        entry = self.request(i)
        if entry.status != 200:
            return []
        scripted = self._scripted_reply_calls(entry)
        if scripted is not None:
            return scripted
        turn = len(_assistant_messages(entry))
        for later in found[found.index(entry) + 1 :]:
            assistant = _assistant_messages(later)
            if len(assistant) > turn:
                return _call_names(assistant[turn])
        return []

    def _scripted_reply_calls(self, entry: JournalEntry) -> list[str] | None:
        fixture = self.fixture(entry.fixture) if entry.fixture else None
        if fixture is None:
            return None
        # Sequence counters are per (test, fixture), so the call number is the count of earlier hits.
        call = sum(1 for e in self.journal if e.fixture == entry.fixture and e.seq < entry.seq)
        reply = fixture.reply_for(call)
        if reply.tool_calls is not None:
            return [spec.name for spec in reply.tool_calls]
        return [] if reply.content is not None else None

    @property
    def turns(self) -> int:
        """Model calls this test made: chat requests not counting retried attempts."""
        return sum(1 for entry in self.requests if entry.retry_count == 0)

    def streamed(self, i: int = -1) -> bool:
        """Whether request ``i`` asked for a stream."""
        return self.request(i).stream

    @property
    def retries(self) -> int:
        """Retried attempts seen (requests the SDK numbered ``x-stainless-retry-count`` ≥ 1)."""
        return sum(1 for entry in self.requests if entry.retry_count > 0)

    def assert_called(self, fixture_name: str, times: int | None = None) -> None:
        """Fixture ``fixture_name`` answered this test's requests ``times`` times (at least once when ``None``)."""
        count = self.calls(fixture_name)
        if (count >= 1) if times is None else (count == times):
            return
        expected = "at least once" if times is None else f"{times} time(s)"
        lines = [f"fixture {fixture_name!r} answered {count} request(s) of this test, expected {expected}."]
        if self.fixture(fixture_name) is None:
            lines.append(f"  no fixture of that name is loaded; known: {_listing(self.fixture_names())}")
        answered = {e.fixture: self.calls(e.fixture) for e in self.journal if e.fixture}
        lines.append(f"  fixtures that answered: {_listing([f'{n!r} x{c}' for n, c in answered.items()])}")
        unmatched = sum(1 for e in self.journal if e.near_miss or e.miss)
        if unmatched:
            lines.append(f"  {unmatched} request(s) matched no fixture (see their near-miss reports in .journal)")
        raise AssertionError("\n".join(lines))

    def assert_tool_called(self, name: str) -> None:
        """Some reply of the mock in this test called tool ``name``."""
        made = [tool for i in range(len(self.requests)) for tool in self.tool_calls(i)]
        if name in made:
            return
        offered = sorted({tool for i in range(len(self.requests)) for tool in self.tools_offered(i)})
        raise AssertionError(
            f"the mock never called tool {name!r} in this test.\n"
            f"  tool calls it made: {_listing(made)}\n"
            f"  tools the client offered: {_listing(offered)}\n"
            f"  chat requests: {len(self.requests)}"
        )

    def assert_cost_below(self, usd: float) -> None:
        """This test's billed cost is below ``usd`` dollars."""
        spent = self.usage
        if spent.cost_usd < usd:
            return
        raise AssertionError(f"this test cost ${spent.cost_usd:.6f}, not below ${usd:.6f}: " + self._spend_detail())

    def assert_tokens_below(self, n: int) -> None:
        """This test's billed tokens (prompt + completion) are below ``n``."""
        spent = self.usage
        if spent.total_tokens < n:
            return
        raise AssertionError(f"this test used {spent.total_tokens} tokens, not below {n}: " + self._spend_detail())

    def _spend_detail(self) -> str:
        lines = [self.usage.describe()]
        for number, entry in enumerate(self.requests):
            if entry.usage:
                tokens = entry.usage.get("total_tokens", 0)
                lines.append(f"  request #{number} {entry.model}: {tokens} tokens, ${entry.cost_usd:.6f}")
        return "\n".join(lines)
