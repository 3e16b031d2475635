"""Instructions the server process executes per request, counted by valgrind: a reading that repeats to within a few
thousand instructions where a timing on this machine swings by a fifth.

Run: ``python bench/instructions.py [--kind scripted|generated|streaming] [--small 1200] [--large 2200]``. Each server
(bare Starlette, clarifai-mock) runs twice under ``valgrind --tool=cachegrind`` with ``PYTHONHASHSEED=0``, sent
``--small`` and then ``--large`` requests one after another on four kept-alive connections; the difference of the
two totals over the difference in requests is one request, start-up and shutdown cancelled out. Both counts are
past the journal's 1,000 entries, so both runs free as many at exit and each counted request drops its oldest (with
fewer, the larger run frees ~14,000 instructions a request more at exit, which no request pays). Kernel time is not
counted (write and read system calls cost the same instructions in both servers), nor is the client's work.
Needs ``valgrind`` (``apt-get install valgrind``); takes about a minute a server.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import httpx
import run
import targets

START_TIMEOUT = 120.0  # the interpreter starts ~50 times slower under valgrind
CONNECTIONS = 4
_TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")


def total(target: targets.Target, body: dict[str, object], requests: int) -> int:
    """Instructions the server ran, from its start to its exit, serving ``requests`` requests of ``body``."""
    port = targets.free_port()
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    process = subprocess.Popen([*command, *target.command(port)], stderr=subprocess.PIPE, env=env, text=True)
    base = f"http://127.0.0.1:{port}"
    clients = [httpx.Client(base_url=base, headers=run.AUTH, timeout=60) for _ in range(CONNECTIONS)]
    try:
        _wait(clients[0], target.health_path, process)
        for number in range(requests):
            answer = clients[number % CONNECTIONS].post(target.chat_path, json=body)
            answer.raise_for_status()
    finally:
        for client in clients:
            client.close()
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=120)
    found = _TOTAL.search(errors)
    if found is None:
        raise RuntimeError(f"valgrind printed no total for {target.name}:\n{errors[-2000:]}")
    return int(found.group(1).replace(",", ""))


def _wait(client: httpx.Client, path: str, process: subprocess.Popen[str]) -> None:
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if process.poll() is not None:
            raise RuntimeError("the server exited before it answered")
        try:
            if client.get(path).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer in time")


def per_request(target: targets.Target, body: dict[str, object], small: int, large: int) -> int:
    """Instructions one request costs the server."""
    return (total(target, body, large) - total(target, body, small)) // (large - small)


def main() -> None:
    """Count bare Starlette and the mock, and print both with bare Starlette's count over each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("scripted", "generated", "streaming"), default="scripted")
    parser.add_argument("--small", type=int, default=1200)
    parser.add_argument("--large", type=int, default=2200)
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    stream = options.kind == "streaming"
    with tempfile.TemporaryDirectory() as folder:
        fixtures = Path(folder) / "mock.json"
        run.mock_fixtures(fixtures)
        text = {"scripted": "bench scripted reply", "generated": "bench generated reply"}.get(options.kind)
        mock_body = run.chat(text or "bench streamed reply", stream=stream)
        base_body = run.chat("bench scripted reply", stream=stream)
        base = per_request(targets.baseline(), base_body, options.small, options.large)
        # No reloader: its watcher thread wakes on a timer, so it would count wall time, which valgrind stretches.
        mine = per_request(targets.mock(fixtures, "--no-reload"), mock_body, options.small, options.large)
    print(f"instructions a {options.kind} request, server process (valgrind, PYTHONHASHSEED=0)")
    print(f"| bare Starlette | {base:,} | 1.00 |")
    print(f"| clarifai-mock | {mine:,} | {base / mine:.2f} |")


if __name__ == "__main__":
    main()
