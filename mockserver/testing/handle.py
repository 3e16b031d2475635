"""``MockHandle``: one test's isolated slice of a shared mock server, as the pytest plugin's ``clarifai_mock`` gives it.

Isolation works by namespace. Every client the handle builds sends ``x-mock-namespace: <namespace>``, and the
handle's PAT is bound to the same namespace on the server, so code that builds its own client from ``env()`` lands
there too. Run-time fixtures, sequence counters, the journal and the usage ledger are all kept per namespace, so
tests sharing one server (one per session or xdist worker) never see each other's state.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.config import ErrorStyle, NoMatch
from mockserver.fixtures.files import load_fixture_files
from mockserver.journal import JournalEntry
from mockserver.schema import Fixture
from mockserver.server import MockServer
from mockserver.testing.transcript import Transcript, UsageTotals, conversation_of
from mockserver.wire.headers import NAMESPACE_HEADER

if TYPE_CHECKING:
    import openai

FixtureSource = str | os.PathLike[str] | Fixture | Mapping[str, Any]
"""What a marker's ``fixtures=[...]`` holds: a fixture file or folder, a ``Fixture`` or a fixture as a dict."""


class FixtureWarning(UserWarning):
    """A fixture loaded for a test can never answer (shadowed) or refers to an unknown template value."""


def namespace_for(node_id: str) -> str:
    """A short namespace that stays the same for one test id: ``t-`` and 12 hex digits of its SHA-256."""
    return "t-" + hashlib.sha256(node_id.encode()).hexdigest()[:12]


def as_fixture(fixture: Fixture | Mapping[str, Any] | None, fields: Mapping[str, Any]) -> Fixture:
    """A ``Fixture`` from a ``Fixture``, a dict or keyword fields, validated by the same schema as fixture files."""
    if fixture is not None and fields:
        raise TypeError("give either a fixture or keyword fields (match=..., reply=...), not both")
    if isinstance(fixture, Fixture):
        return fixture
    return Fixture.model_validate(dict(fixture) if fixture is not None else dict(fields))


class MockHandle(Transcript):
    """One test's view of a running ``MockServer``: clients, fixtures, journal and usage of its own namespace.

    Args:
        server: the running (usually shared) server.
        namespace: this test's namespace (``namespace_for(request.node.nodeid)`` in the plugin).
        root: folder that relative fixture paths start from (the test file's folder in the plugin).
        strict: ``True``: unmatched requests get a 404 and unused pinned fixtures are problems; ``False``: unmatched
            requests get a generated reply; ``None``: the server's ``no_match`` setting decides.
    """

    def __init__(
        self, server: MockServer, namespace: str, *, root: Path | None = None, strict: bool | None = None
    ) -> None:
        self.server = server
        self.namespace = namespace
        self.root = root if root is not None else Path.cwd()
        self.strict = strict
        self._ctx = server.context
        allowed = self._ctx.settings.pats
        # With an allow-list only its PATs authenticate, so the handle uses the first and relies on the header.
        self.pat = allowed[0].get_secret_value() if allowed else f"mock-pat-{namespace}"
        self._pinned: list[Fixture] = []
        self._pinned_names: list[str] = []
        self._clients: list[openai.OpenAI] = []

    @property
    def url(self) -> str:
        """The server root, ``http://127.0.0.1:<port>`` (what Clarifai's SDK takes as ``CLARIFAI_API_BASE``)."""
        return self.server.url

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``<url>/v2/ext/openai/v1``."""
        return self.server.base_url

    @property
    def headers(self) -> dict[str, str]:
        """Headers that put a hand-made request (httpx, requests) in this test's namespace."""
        return {NAMESPACE_HEADER: self.namespace, "Authorization": f"Bearer {self.pat}"}

    @property
    def error_style(self) -> ErrorStyle:
        """The error body style of the server this handle talks to."""
        return self._ctx.settings.error_style

    def begin(self) -> MockHandle:
        """Start the test: forget what the namespace held, bind the PAT to it and apply ``strict``."""
        no_match = None if self.strict is None else NoMatch.STRICT if self.strict else NoMatch.GENERATE
        self._ctx.bind_namespace(self.namespace, None if self._ctx.settings.pats else self.pat, no_match)
        return self

    def finish(self) -> list[str]:
        """End the test: its problems (see ``problems()``), after closing clients and releasing the namespace."""
        try:
            return self.problems()
        finally:
            for client in self._clients:
                client.close()
            self._clients.clear()
            self._ctx.release_namespace(self.namespace, self.pat)

    def problems(self) -> list[str]:
        """Reasons to fail the test: requests no fixture matched (strict mode), replies with warnings (a tool call
        the request does not allow, a template path that leads nowhere), and unused pinned fixtures when
        ``strict`` is ``True``."""
        found = []
        journal = self.journal
        unmatched = [entry for entry in journal if entry.near_miss and entry.status == 404]
        if unmatched:
            found.append(unmatched_report(unmatched))
        warned = [entry for entry in journal if entry.warnings]
        if warned:
            found.append(warnings_report(warned))
        if self.strict:
            unused = [name for name in self._pinned_names if self.calls(name) == 0]
            if unused:
                found.append(
                    f"{len(unused)} fixture(s) from @pytest.mark.clarifai_mock(strict=True) never answered a request: "
                    + ", ".join(repr(name) for name in unused)
                )
        return found

    def client(self, **options: Any) -> openai.OpenAI:
        """A sync ``openai.OpenAI`` for this test (``max_retries=0`` unless given); closed after the test.

        Args:
            **options: passed to ``openai.OpenAI``; ``default_headers`` are added to the namespace header.
        """
        import openai

        client = openai.OpenAI(**self._client_options(options))
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` for this test (``max_retries=0`` unless given).

        Close it in the event loop that used it (``async with mock.async_client() as client:``), because its
        connections belong to that loop.
        """
        import openai

        return openai.AsyncOpenAI(**self._client_options(options))

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        headers = {NAMESPACE_HEADER: self.namespace, **(options.pop("default_headers", None) or {})}
        return {"base_url": self.base_url, "api_key": self.pat, "max_retries": 0, **options, "default_headers": headers}

    def env(self) -> dict[str, str]:
        """Environment variables that point code building its own client at this test's slice of the mock."""
        return {
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_KEY": self.pat,
            "CLARIFAI_PAT": self.pat,
            "CLARIFAI_API_BASE": self.url,
        }

    def add_fixture(self, fixture: Fixture | Mapping[str, Any] | None = None, /, **fields: Any) -> str:
        """Script a reply for this test only; tried before file fixtures, replacing one of the same name.

        Args:
            fixture: a ``Fixture`` or a dict in the fixture-file schema; or give its fields as keywords
                (``match={...}, reply={...}`` or ``sequence=[...]``).

        Returns:
            The fixture's name (``runtime#N`` when it has none).

        Raises:
            pydantic.ValidationError: the fixture does not fit the schema.
        """
        return self._ctx.store.add(as_fixture(fixture, fields), self.namespace).name

    def load_fixtures(self, *paths: str | os.PathLike[str]) -> list[str]:
        """Load fixture files or folders into this test only (relative paths start at ``root``); returns names.

        Raises:
            FixtureFileError: listing every problem with file, line, fixture and field.
        """
        result = load_fixture_files(self.root / path for path in paths)
        for warning in result.warnings:
            warnings.warn(warning, FixtureWarning, stacklevel=2)
        fixtures = [entry.fixture.model_copy(update={"name": entry.name}) for entry in result.entries]
        return [self._ctx.store.add(fixture, self.namespace).name for fixture in fixtures]

    def pin_fixtures(self, sources: Iterable[FixtureSource]) -> list[str]:
        """Load fixtures that survive ``reset()`` and, when ``strict`` is ``True``, must each answer a request."""
        names = []
        for source in sources:
            if isinstance(source, Fixture | Mapping):
                fixture = as_fixture(source, {})
                name = self._ctx.store.add(fixture, self.namespace).name
                self._pinned.append(fixture.model_copy(update={"name": name}))
                names.append(name)
            else:
                loaded = self.load_fixtures(source)
                self._pinned += [f for f in (self.fixture(name) for name in loaded) if f is not None]
                names += loaded
        self._pinned_names += names
        return names

    def reset(self) -> None:
        """Forget this test's journal, usage, sequence counters and added fixtures; pinned fixtures stay."""
        self._ctx.reset(self.namespace)
        for fixture in self._pinned:
            self._ctx.store.add(fixture, self.namespace)

    @property
    def journal(self) -> list[JournalEntry]:
        """This test's requests, oldest first (bounded by the server's ``journal_size``)."""
        return self._ctx.journal.entries(self.namespace)

    def calls(self, fixture_name: str) -> int:
        """How many requests of this test fixture ``fixture_name`` answered (file fixtures count per test too)."""
        return self._ctx.store.calls(fixture_name, self.namespace)

    @property
    def usage(self) -> UsageTotals:
        """Tokens and cost of this test, from the server's billing ledger."""
        lines = self._ctx.ledger.lines(self.namespace)
        return UsageTotals(
            requests=sum(line.requests for line in lines),
            prompt_tokens=sum(line.prompt_tokens for line in lines),
            completion_tokens=sum(line.completion_tokens for line in lines),
            cost_usd=round(sum(line.cost_usd for line in lines), 10),
        )

    def fixture(self, name: str) -> Fixture | None:
        """The fixture called ``name`` that this test's requests resolve to, if any."""
        return next((e.fixture for e in self._ctx.store.entries(self.namespace) if e.name == name), None)

    def fixture_names(self) -> list[str]:
        """Names of every fixture this test's requests can match, in resolution order."""
        return [entry.name for entry in self._ctx.store.entries(self.namespace)]


def warnings_report(entries: list[JournalEntry]) -> str:
    """The warnings of each of ``entries``, under the request that got them."""
    lines = [f"{len(entries)} request(s) of this test got a reply with warnings:"]
    for entry in entries:
        lines.append(f"  {entry.method} {entry.path} model={entry.model} status={entry.status}")
        lines += [f"    {warning}" for warning in entry.warnings]
    lines.append(
        "Fix the fixture (or the app's tools), or script the fault on purpose with the reply key `misbehave:`."
    )
    return "\n".join(lines)


def unmatched_report(entries: list[JournalEntry]) -> str:
    """Why each of ``entries`` matched no fixture, with a hint on how to script it."""
    lines = [f"{len(entries)} request(s) of this test matched no fixture (strict mode):"]
    for entry in entries:
        conversation = conversation_of(entry)
        said = f", last user message {conversation.last_user[:120]!r}" if conversation else ""
        lines.append(f"  {entry.method} {entry.path} model={entry.model}{said}")
        lines += [f"    {line}" for line in (entry.near_miss or "").splitlines()]
    lines.append(
        "Script a reply with clarifai_mock.add_fixture(match=..., reply=...) or a fixture file, or use "
        "@pytest.mark.clarifai_mock(strict=False) to get generated replies."
    )
    return "\n".join(lines)
