"""Shared fixtures: one real mock server per session, SDK clients pointed at it, and in-process app clients."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from starlette.testclient import TestClient

from mockserver import MockServer, Settings, create_app
from mockserver.protocol import head

PAT = "test-pat"

AppClientFactory = Callable[..., TestClient]


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    """The mock on a free port with default settings, shared by the whole session."""
    with MockServer(Settings(port=0)) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: MockServer) -> str:
    """The OpenAI-compatible base URL of the session server."""
    return server.base_url


@pytest.fixture
def client(base_url: str) -> Iterator[openai.OpenAI]:
    """A sync SDK client for the session server; no retries, so every error surfaces at once."""
    with openai.OpenAI(base_url=base_url, api_key=PAT, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def async_client(base_url: str) -> openai.AsyncOpenAI:
    """An async SDK client for the session server.

    Tests drive it inside ``asyncio.run`` and close it there (``async with async_client:``), because its
    connections belong to the event loop that opened them.
    """
    return openai.AsyncOpenAI(base_url=base_url, api_key=PAT, max_retries=0)


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    """Raw HTTP to the session server, authenticated; paths are relative to the base URL (``"chat/completions"``)."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {PAT}"}) as raw:
        yield raw


@pytest.fixture
def app_client() -> Iterator[AppClientFactory]:
    """Build in-process ``TestClient``s: ``app_client(error_style="openai")`` → an app with those settings."""
    made: list[TestClient] = []

    def build(**settings: Any) -> TestClient:
        test_client = TestClient(create_app(Settings(**settings)), raise_server_exceptions=False)
        test_client.__enter__()
        made.append(test_client)
        return test_client

    yield build
    for test_client in made:
        test_client.__exit__(None, None, None)


@pytest.fixture
def lean_heads(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> list[bytes]:
    """The response heads the protocol's lean path wrote from now on. The bytes would be the same either way: only this
    shows uvicorn's path was not taken (an uvicorn change that stops the lean path from applying would otherwise go
    unnoticed)."""
    caplog.set_level(logging.WARNING, logger="uvicorn.access")  # as the server runs it (another test may lower it)
    written: list[bytes] = []
    original = head.render

    def counted(line: bytes, headers: Any) -> tuple[bytes, int] | None:
        found = original(line, headers)
        if found is not None:
            written.append(found[0])
        return found

    monkeypatch.setattr(head, "render", counted)
    return written
