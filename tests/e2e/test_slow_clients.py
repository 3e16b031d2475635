"""Slow clients cannot hold connections forever: a late request head is disconnected, a late body gets a 408.

The deadlines are shortened for the test; each check then waits for the server's own action (closing the socket,
sending the 408), so a passing run depends on no timing luck. ``GUARD`` only bounds a failing run.
"""

from __future__ import annotations

import socket

import pytest

from mockserver import MockServer, Settings, middleware
from mockserver.protocol import http as protocol

GUARD = 30.0
CHAT = "/v2/ext/openai/v1/chat/completions"
HEAD = f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Key p\r\nContent-Type: application/json\r\n"


@pytest.fixture
def short_deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "HEAD_TIMEOUT_S", 0.2)
    monkeypatch.setattr(middleware, "BODY_TIMEOUT_S", 0.2)


def connect(server: MockServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=GUARD)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.usefixtures("short_deadlines")
@pytest.mark.parametrize("sent", [b"", HEAD.encode(), b"GET /__mock__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_late_request_head_is_disconnected(server: MockServer, sent: bytes) -> None:
    with connect(server) as sock:
        sock.sendall(sent)
        assert read_all(sock) == b""  # closed without an answer (socket.timeout here would mean: held forever)


@pytest.mark.usefixtures("short_deadlines")
def test_a_late_head_on_a_kept_alive_connection_is_disconnected(server: MockServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /__mock__/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /__mock__/health HTTP/1.1\r\n")  # the next request's head, never finished
        assert read_all(sock) == b""


@pytest.mark.usefixtures("short_deadlines")
def test_a_late_body_gets_a_408(server: MockServer) -> None:
    with connect(server) as sock:
        sock.sendall((HEAD + "Content-Length: 1000\r\n\r\n").encode() + b'{"model": ')
        answer = b""
        while b"did not arrive within" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"did not arrive within" in answer


def test_a_body_the_server_already_holds_is_still_held_to_the_size_limit() -> None:
    # Head and whole chunked body in one packet: the protocol marks the body as held (middleware.BODY_HELD), so its
    # read skips the deadline; the size limit, which the declared length cannot tell here, still applies.
    chunk = b'{"model": "' + b"x" * 200 + b'"}'
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk)
    with MockServer(Settings(port=0, max_body_bytes=100)) as small, connect(small) as sock:
        sock.sendall((HEAD + "Transfer-Encoding: chunked\r\n\r\n").encode() + body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
