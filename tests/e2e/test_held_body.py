"""A request body that comes in the same read as its head reaches the app from the protocol, not through uvicorn's
``receive``; where uvicorn's ``receive`` has work to do (``100 Continue``, a body past its high-water mark) it runs.

Each request goes out in one ``sendall`` on a raw socket: on loopback a write smaller than the segment size arrives
whole, so the server reads head and body together. Which path ran is read from calls to uvicorn's ``receive`` for
requests carrying this module's probe header (other tests' requests on the session server are not counted).
"""

from __future__ import annotations

import json
import socket

import pytest
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT

from mockserver import MockServer

CHAT = "/v2/ext/openai/v1/chat/completions"
PROBE = (b"x-held-body-probe", b"1")
GUARD = 30.0


@pytest.fixture
def receives(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths of the probe's requests whose app called uvicorn's ``receive``, one entry a call."""
    calls: list[str] = []
    original = httptools_impl.RequestResponseCycle.receive

    async def counted(self: httptools_impl.RequestResponseCycle) -> object:
        if PROBE in self.scope["headers"]:
            calls.append(self.scope["path"])
        return await original(self)

    monkeypatch.setattr(httptools_impl.RequestResponseCycle, "receive", counted)
    return calls


def request(text: str, *extra: str) -> bytes:
    messages = [{"role": "user", "content": text}]
    body = json.dumps({"model": "openai/chat-completion/models/gpt-4o", "messages": messages})
    head = [f"POST {CHAT} HTTP/1.1", "Host: 127.0.0.1", "Authorization: Key test-pat", "x-held-body-probe: 1"]
    head += ["Content-Type: application/json", f"Content-Length: {len(body.encode())}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body.encode()


def answer(sock: socket.socket) -> tuple[bytes, dict[str, object]]:
    """The next response on ``sock``: everything before its body (a ``100 Continue`` included), and its body as JSON."""
    data = b""
    while b"\r\n\r\n" not in data.partition(b"HTTP/1.1 200")[2]:
        chunk = sock.recv(65536)
        assert chunk, f"closed early: {data[:300]!r}"
        data += chunk
    head, _, body = data.partition(b"HTTP/1.1 200")[2].partition(b"\r\n\r\n")
    head = data.partition(b"HTTP/1.1 200")[0] + b"HTTP/1.1 200" + head
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed mid-body"
        body += chunk
    assert len(body) == length, "more bytes than the declared length"
    return head, json.loads(body)


def completion_text(body: dict[str, object]) -> str:
    choices = body["choices"]
    assert isinstance(choices, list)
    return str(choices[0]["message"]["content"])


def test_a_body_that_came_with_its_head_skips_uvicorns_receive(server: MockServer, receives: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=GUARD) as sock:
        for text in ("held body one", "held body two"):  # two on one connection: the first leaves nothing behind
            sock.sendall(request(text))
            head, body = answer(sock)
            assert head.startswith(b"HTTP/1.1 200")
            assert completion_text(body)
            assert body["object"] == "chat.completion"
    assert receives == []


def test_a_client_waiting_for_100_continue_is_sent_it(server: MockServer, receives: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=GUARD) as sock:
        sock.sendall(request("continue", "Expect: 100-continue"))
        head, body = answer(sock)
    assert head.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert completion_text(body)
    assert receives == [CHAT]


def test_a_body_past_the_high_water_mark_leaves_the_connection_reading(server: MockServer) -> None:
    # uvicorn pauses reading past its high-water mark and only its ``receive`` resumes it, so such a body is never
    # taken from the cycle (tests/unit/test_body_taken.py); the next request on the connection must still be read.
    big = "word " * (HIGH_WATER_LIMIT // 4)
    with socket.create_connection(("127.0.0.1", server.port), timeout=GUARD) as sock:
        sock.sendall(request(big))
        _, first = answer(sock)
        sock.sendall(request("after the big one"))
        _, second = answer(sock)
    assert completion_text(first)
    assert completion_text(second)
