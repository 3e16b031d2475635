"""``clarifai-mock serve`` start-up in a real process: "serving on" only once it serves; failures are one line."""

from __future__ import annotations

import os
import re
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "mockserver", "serve", "--no-reload", *args]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CLARIFAI_MOCK_")}


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other process is listening on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        yield held.getsockname()[1]


def _stderr_until(process: subprocess.Popen[bytes], marker: str) -> list[str]:
    """Lines of stderr up to and including the first that contains ``marker`` (raw reads: a buffered readline
    would hide lines that arrived in the same chunk from the selector)."""
    assert process.stderr is not None
    fd, seen = process.stderr.fileno(), b""
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline and selector.select(timeout=deadline - time.monotonic()):
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
            lines = seen.decode("utf-8", "replace").splitlines()
            for index, line in enumerate(lines):
                if marker in line and (seen.endswith(b"\n") or index < len(lines) - 1):
                    return lines[: index + 1]
    pytest.fail(f"no {marker!r} on stderr; got {seen.decode('utf-8', 'replace')}")


def test_serving_on_is_printed_after_the_fixtures_load_and_names_the_bound_port() -> None:
    argv = _argv("--port", "0", "--fixtures", str(REPO / "fixtures"))
    with subprocess.Popen(argv, cwd=REPO, env=_env(), stderr=subprocess.PIPE) as process:
        try:
            lines = _stderr_until(process, "clarifai-mock serving on ")
            loaded = next(i for i, line in enumerate(lines) if re.search(r"loaded \d+ fixtures", line))
            assert loaded < len(lines) - 1
            url = lines[-1].removeprefix("clarifai-mock serving on ")
            assert url.startswith("http://127.0.0.1:")
            assert not url.startswith("http://127.0.0.1:0/")  # the port actually bound, not the one asked for
            # The line is printed once the socket listens, so the first request already gets an answer.
            health = httpx.get(url.removesuffix("/v2/ext/openai/v1") + "/__mock__/health", timeout=5)
            assert health.json()["status"] == "ok"
        finally:
            process.terminate()
            process.wait(timeout=TIMEOUT)


def _failed_start(*args: str) -> list[str]:
    done = subprocess.run(_argv(*args), cwd=REPO, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 1
    assert "serving on" not in done.stderr
    assert "Traceback" not in done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("Error:")]


def test_a_busy_port_is_one_line_and_a_non_zero_exit(busy_port: int) -> None:
    assert _failed_start("--port", str(busy_port)) == [
        f"Error: cannot listen on 127.0.0.1:{busy_port} (Address already in use), not starting; "
        "choose another port with --port or CLARIFAI_MOCK_PORT (make serve PORT=18080)"
    ]


def test_a_bad_fixture_file_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nfixtures:\n  - match: {usr: x}\n    reply: {}\n", "utf-8")
    assert _failed_start("--port", "0", "--fixtures", str(bad)) == [
        f"Error: invalid fixtures, not starting: {bad}:3: fixtures[0]: match.usr: Extra inputs are not permitted"
    ]
