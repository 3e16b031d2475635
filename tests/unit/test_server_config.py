"""uvicorn runs with deliberate timeouts and limits, the same for ``MockServer`` and ``clarifai-mock serve``."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from mockserver import Settings, cli, create_app, server
from mockserver.protocol import HttpProtocol


def test_the_config_sets_every_limit_on_purpose() -> None:
    config = server.uvicorn_config(create_app(Settings()))
    assert config.timeout_keep_alive == server.KEEP_ALIVE_S == 5
    assert config.h11_max_incomplete_event_size == server.MAX_HEAD_BYTES
    assert config.limit_concurrency == server.MAX_CONNECTIONS
    assert config.http is HttpProtocol  # carries the request-head deadline uvicorn lacks


def test_serve_runs_uvicorn_with_that_config(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[uvicorn.Config] = []

    def run(self: uvicorn.Server, sockets: Any = None) -> None:
        ran.append(self.config)

    monkeypatch.setattr(uvicorn.Server, "run", run)
    cli.run_server(Settings(host="127.0.0.1", port=0))
    [config] = ran
    assert (config.host, config.log_level) == ("127.0.0.1", "info")
    assert config.timeout_keep_alive == server.KEEP_ALIVE_S
    assert config.limit_concurrency == server.MAX_CONNECTIONS
    assert config.http is HttpProtocol


def test_mock_server_runs_with_that_config() -> None:
    with server.MockServer(Settings(port=0)) as running:
        assert running._server is not None
        assert running._server.config.http is HttpProtocol
        assert running._server.config.limit_concurrency == server.MAX_CONNECTIONS
