"""The lean response head writes what uvicorn's own ``send`` writes, leaves its state, and raises where it raises."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from mockserver.protocol import head as response_head
from mockserver.protocol.head import lean_send, render

DATE = [(b"date", b"Wed, 02 Dec 2026 10:00:00 GMT")]
STATUS_200 = b"HTTP/1.1 200 OK\r\n"


class Transport:
    """Records what is written and whether it was closed."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def cycle(
    method: str = "GET", *, keep_alive: bool = True, access_log: bool = False, access_logger: str = "test.access"
) -> RequestResponseCycle:
    transport = Transport()
    scope: Any = {"type": "http", "method": method, "http_version": "1.1", "path": "/", "raw_path": b"/"}
    scope["query_string"] = b""
    scope["client"] = ("127.0.0.1", 1)
    return RequestResponseCycle(
        scope=scope,
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger(access_logger),
        access_log=access_log,
        default_headers=list(DATE),
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=keep_alive,
        on_response=lambda: None,
    )


def outcome(found: RequestResponseCycle, messages: list[Any], *, lean: bool) -> tuple[Any, ...]:
    """Bytes written, the cycle's state after ``messages``, and the error raised, if any."""
    send = lean_send(found.send) if lean else found.send

    async def run() -> str | None:
        try:
            for message in messages:
                await send(message)
        except Exception as error:  # uvicorn raises RuntimeError, ValueError or KeyError for a bad message
            return f"{type(error).__name__}: {error}"
        return None

    error = asyncio.run(run())
    transport: Any = found.transport
    state = (found.response_started, found.response_complete, found.chunked_encoding, found.expected_content_length)
    return b"".join(transport.written), state, found.keep_alive, transport.closed, error


def response(headers: Iterable[Any], body: bytes = b"hello", status: int = 200) -> list[Any]:
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return [start, {"type": "http.response.body", "body": body, "more_body": False}]


CASES: dict[str, tuple[list[Any], dict[str, Any]]] = {
    "the mock's usual head": (
        response([(b"content-type", b"application/json"), (b"content-length", b"5"), (b"x-request-id", b"ab12")]),
        {},
    ),
    "names lowercased": (response([(b"Content-Length", b"5"), (b"X-Mock-Fixture", b"Greeting")]), {}),
    "headers as lists": (response([[b"content-length", b"5"], [b"x-a", b"b"]]), {}),
    "the first content-length counts": (response([(b"content-length", b"5"), (b"content-length", b"9")]), {}),
    "a tab and non-ASCII bytes in a value": (response([(b"content-length", b"5"), (b"x-a", b"caf\xc3\xa9\tb")]), {}),
    "a HEAD request": (response([(b"content-length", b"5")], body=b""), {"method": "HEAD"}),
    "204 with a zero length": (response([(b"content-length", b"0")], body=b"", status=204), {}),
    "no content-length: chunked": (response([(b"content-type", b"text/plain")]), {}),
    "connection: close": (response([(b"content-length", b"5"), (b"connection", b"close")]), {}),
    "transfer-encoding": (response([(b"transfer-encoding", b"chunked")]), {}),
    "a connection that will close": (response([(b"content-length", b"5")]), {"keep_alive": False}),
    "an access log below info": (response([(b"content-length", b"5")]), {"access_log": True}),
    "a body shorter than its length": (response([(b"content-length", b"9")]), {}),
    "a body longer than its length": (response([(b"content-length", b"2")]), {}),
    "a signed content-length": (response([(b"content-length", b"+5")]), {}),
    "a content-length that is no number": (response([(b"content-length", b"five")]), {}),
    "a name with a space": (response([(b"content-length", b"5"), (b"x a", b"b")]), {}),
    "a name with a colon": (response([(b"content-length", b"5"), (b"x:a", b"b")]), {}),
    "a name with CRLF": (response([(b"content-length", b"5"), (b"x\r\ny", b"b")]), {}),
    "a value with CRLF (header injection)": (response([(b"content-length", b"5"), (b"x-a", b"b\r\nx-b: c")]), {}),
    "a value with a lone LF": (response([(b"content-length", b"5"), (b"x-a", b"b\nc")]), {}),
    "a value with a lone CR": (response([(b"content-length", b"5"), (b"x-a", b"b\rc")]), {}),
    "a value with NUL": (response([(b"content-length", b"5"), (b"x-a", b"b\x00")]), {}),
    "a value with DEL": (response([(b"content-length", b"5"), (b"x-a", b"\x7f")]), {}),
    "a status uvicorn does not know": (response([(b"content-length", b"5")], status=799), {}),
    "a bytearray name and value": (response([(b"content-length", b"5"), (bytearray(b"X-A"), bytearray(b"b"))]), {}),
    "a str name": (response([(b"content-length", b"5"), ("x-a", b"b")]), {}),
    "a str value": (response([(b"content-length", b"5"), (b"x-a", "b")]), {}),
    "a body before the head": ([{"type": "http.response.body", "body": b"x"}], {}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_lean_head_is_uvicorns_head(name: str) -> None:
    messages, options = CASES[name]
    expected = outcome(cycle(**options), messages, lean=False)
    assert outcome(cycle(**options), messages, lean=True) == expected


def test_a_bad_value_is_refused_even_after_its_name_was_remembered() -> None:
    assert render(STATUS_200, [(b"x-remembered", b"ok"), (b"content-length", b"1")]) is not None
    assert render(STATUS_200, [(b"x-remembered", b"ok\r\nx-evil: 1"), (b"content-length", b"1")]) is None


def test_the_usual_head_is_written_lean(lean_heads: list[bytes]) -> None:
    outcome(cycle(), response([(b"content-length", b"5"), (b"x-request-id", b"ab12")]), lean=True)
    assert lean_heads == [
        b"HTTP/1.1 200 OK\r\ndate: Wed, 02 Dec 2026 10:00:00 GMT\r\ncontent-length: 5\r\nx-request-id: ab12\r\n\r\n"
    ]


def test_names_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response_head, "_NAMES", {})
    for number in range(response_head.NAMES_KEPT + 50):
        assert render(STATUS_200, [(f"x-n{number}".encode(), b"v"), (b"content-length", b"0")]) is not None
    assert len(response_head._NAMES) == response_head.NAMES_KEPT
    assert render(STATUS_200, [(b"x bad", b"v"), (b"content-length", b"0")]) is None  # still checked past the bound


def test_an_access_log_that_shows_is_left_to_uvicorn(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="test.shown")
    messages = response([(b"content-length", b"5")])
    expected = outcome(cycle(access_log=True, access_logger="test.shown"), messages, lean=False)
    assert outcome(cycle(access_log=True, access_logger="test.shown"), messages, lean=True) == expected
    lines = [record.getMessage() for record in caplog.records if record.name == "test.shown"]
    assert lines == ['127.0.0.1:1 - "GET / HTTP/1.1" 200'] * 2  # one line from each path: uvicorn wrote both


def test_headers_given_as_an_iterator_reach_uvicorn_whole() -> None:
    def messages() -> list[Any]:  # a fresh iterator for each path: reading it is using it up
        return response(iter([(b"x-a", b"b")]))  # no length: a head uvicorn writes (chunked)

    expected = outcome(cycle(), messages(), lean=False)
    assert expected[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"x-a: b\r\n" in expected[0]
    assert outcome(cycle(), messages(), lean=True) == expected
