"""The servers the benchmark compares, started as their own processes pinned to one core, and how to measure one.

Each target is spawned with ``taskset`` (or ``sched_setaffinity`` without it) on the server core; the time from
spawn to the first 200 on its health route is its start-up, and ``VmRSS`` in ``/proc/<pid>/status`` its memory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).parent
AIMOCK_PACKAGE = "@copilotkit/aimock"
AIMOCK_HOME = Path(os.environ.get("BENCH_AIMOCK_HOME", Path.home() / ".cache" / "clarifai-mock-bench" / "aimock"))
START_TIMEOUT = 30.0


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(command: list[str], cpu: int | None) -> tuple[list[str], Callable[[], None] | None]:
    """``command`` run on ``cpu`` only: through ``taskset`` when installed, else by setting the affinity in the
    child before it runs."""
    if cpu is None:
        return command, None
    if shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *command], None
    return command, lambda: os.sched_setaffinity(0, {cpu})


def rss_mib(pid: int) -> tuple[float, float]:
    """Resident memory of ``pid`` in MiB: all of it (``VmRSS``) and the private part (``RssAnon``), which leaves
    out file-backed pages such as a shared library's read-only tables."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon"):
            found[name] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["RssAnon"]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time ``pid`` has used, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Running:
    """A started target: its process, port and how long it took to answer its first 200."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    startup: float
    chat_path: str

    @property
    def chat_url(self) -> str:
        """Where chat completions go."""
        return f"http://127.0.0.1:{self.port}{self.chat_path}"

    def rss(self) -> tuple[float, float]:
        """Resident memory now (all, private), MiB."""
        return rss_mib(self.process.pid)

    def stop(self) -> None:
        """End the process this benchmark started."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class Target:
    """How to start one server and where its routes are."""

    name: str
    command: Callable[[int], list[str]]
    health_path: str
    chat_path: str

    def start(self, cpu: int | None, log: Path) -> Running:
        """Spawn on ``cpu`` and wait for the first 200 from the health route."""
        port = free_port()
        command, preexec = pinned(self.command(port), cpu)
        with log.open("ab") as sink:
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=sink, stderr=sink, preexec_fn=preexec)
        url = f"http://127.0.0.1:{port}{self.health_path}"
        with httpx.Client(timeout=2) as client:
            while True:
                try:
                    if client.get(url).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.perf_counter() - started > START_TIMEOUT:
                    process.kill()
                    raise RuntimeError(f"{self.name} did not start; see {log}")
                time.sleep(0.005)
        return Running(self.name, process, port, time.perf_counter() - started, self.chat_path)


def baseline() -> Target:
    """Bare Starlette, the framework's limit."""
    script = str(HERE / "baseline.py")
    return Target("bare Starlette", lambda port: [sys.executable, script, str(port)], "/health", "/v1/chat/completions")


def mock(fixtures: Path, *extra: str, name: str = "clarifai-mock") -> Target:
    """``clarifai-mock serve`` with ``fixtures``, as a user starts it (hot reload on), without the access log."""

    def command(port: int) -> list[str]:
        base = [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", str(port)]
        return [*base, "--fixtures", str(fixtures), "--log-level", "warning", *extra]

    return Target(name, command, "/__mock__/health", "/v2/ext/openai/v1/chat/completions")


def aimock_cli() -> Path | None:
    """The installed aimock CLI, installing it with npm into a cache folder on first use; ``None`` without npm."""
    cli = AIMOCK_HOME / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
    if cli.exists():
        return cli
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None
    AIMOCK_HOME.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(AIMOCK_HOME), "--silent", "--no-audit", "--no-fund", AIMOCK_PACKAGE],
        capture_output=True,
        timeout=300,
        check=False,
    )
    return cli if done.returncode == 0 and cli.exists() else None


def aimock(cli: Path, folder: Path, reply: str) -> Target:
    """aimock (Node) with one fixture answering ``reply``; 12-character chunks give ~20 stream events."""
    fixtures = folder / "aimock.json"
    fixture = {"match": {"userMessage": "bench scripted reply"}, "response": {"content": reply}}
    fixtures.write_text(json.dumps({"fixtures": [fixture]}))

    def command(port: int) -> list[str]:
        flags = ["--port", str(port), "--fixtures", str(fixtures), "--chunk-size", "12", "--log-level", "silent"]
        return ["node", str(cli), *flags]

    return Target("aimock", command, "/health", "/v1/chat/completions")
