"""Load generators for the benchmark: ``wrk`` (with a small Lua script for the POST body) where it is installed, else
a bundled asyncio client on ``httpx``; both keep ``connections`` keep-alive connections busy for ``seconds``."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

WRK = shutil.which("wrk")
CONNECTIONS = 16
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors:.*")


@dataclass(frozen=True)
class Call:
    """One kind of request: where it goes and what it sends."""

    url: str
    body: dict[str, Any] | None = None  # None: GET
    headers: dict[str, str] = field(default_factory=dict)


class LoadError(RuntimeError):
    """The target answered with errors: the number would be meaningless."""


def _lua(call: Call) -> str:
    lines = [f"wrk.method = {json.dumps('GET' if call.body is None else 'POST')}"]
    if call.body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(call.body))}")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in call.headers.items()]
    return "\n".join(lines) + "\n"


def with_wrk(call: Call, seconds: float, cpu: int | None, connections: int = CONNECTIONS) -> float:
    """Requests per second ``wrk -t1`` reaches in ``seconds``, pinned to ``cpu``."""
    assert WRK is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(call))
    try:
        command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", script.name, call.url]
        if cpu is not None and shutil.which("taskset"):
            command = ["taskset", "-c", str(cpu), *command]
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    finally:
        Path(script.name).unlink()
    bad = _NON_2XX.search(out)
    if bad or _ERRORS.search(out):
        raise LoadError(f"{call.url}: {bad.group(0) if bad else _ERRORS.search(out).group(0)}")  # type: ignore[union-attr]
    found = _RATE.search(out)
    if found is None:
        raise LoadError(f"unexpected wrk output: {out}")
    return float(found.group(1))


async def _worker(client: httpx.AsyncClient, call: Call, until: float, counts: list[int]) -> None:
    while time.perf_counter() < until:
        if call.body is None:
            response = await client.get(call.url, headers=call.headers)
        else:
            response = await client.post(call.url, json=call.body, headers=call.headers)
        if response.status_code != 200:
            raise LoadError(f"{call.url}: {response.status_code} {response.text[:200]}")
        counts[0] += 1


async def _drive(call: Call, seconds: float, connections: int) -> float:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        counts = [0]
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(_worker(client, call, until, counts) for _ in range(connections)))
        return counts[0] / (time.perf_counter() - started)


def with_httpx(call: Call, seconds: float, connections: int = CONNECTIONS) -> float:
    """Requests per second of the bundled asyncio client (slower than wrk: read ratios, not absolute numbers)."""
    return asyncio.run(_drive(call, seconds, connections))


async def _count(call: Call, total: int, connections: int) -> None:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        left = [total]

        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                response = await client.post(call.url, json=call.body, headers=call.headers)
                if response.status_code != 200:
                    raise LoadError(f"{call.url}: {response.status_code} {response.text[:200]}")

        await asyncio.gather(*(worker() for _ in range(connections)))


def send(call: Call, total: int, connections: int = CONNECTIONS) -> None:
    """Send exactly ``total`` requests (for memory after a known amount of work)."""
    asyncio.run(_count(call, total, connections))


def rate(call: Call, seconds: float, cpu: int | None) -> float:
    """Requests per second with the best available load generator."""
    return with_wrk(call, seconds, cpu) if WRK else with_httpx(call, seconds)
