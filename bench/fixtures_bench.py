"""Requests per second of fixture matching, in process: a bare Starlette app, the mock with 10 fixtures, and the mock
with 10,000 fixtures, each driven through ``httpx.ASGITransport`` by one ``httpx.AsyncClient`` sending N requests one
after the other. Also the time to load (parse, validate, compile and index) the 10,000-fixture file.

Run: ``.venv/bin/python bench/fixtures_bench.py [--requests 2000] [--fixtures 10000]``

The fixtures have distinct ``user`` texts that share their first words (as real prompts do: "What is the status of
order 00042?"), and the requests cycle through fixtures spread over the whole file, the last one included, so the
numbers show what the index saves over a scan.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mockserver.app import create_app
from mockserver.config import NoMatch, Settings
from mockserver.fixtures.files import dump_fixture_file, load_fixture_files
from mockserver.fixtures.store import FixtureStore
from mockserver.schema import Fixture

MODEL = "openai/chat-completion/models/gpt-4o"
CHAT = "/v2/ext/openai/v1/chat/completions"
HEADERS = {"Authorization": "Bearer bench-pat"}
WARMUP = 50


@dataclass(frozen=True)
class Result:
    """One measured configuration."""

    label: str
    requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def prompt(index: int) -> str:
    return f"What is the status of order {index:05d}?"


def fixtures(count: int) -> list[Fixture]:
    """``count`` fixtures with distinct user texts, each answering with its own number."""
    return [
        Fixture.model_validate(
            {
                "name": f"order-{index:05d}",
                "match": {"user": f"status of order {index:05d}"},
                "reply": {"content": f"Order {index:05d} has shipped."},
            }
        )
        for index in range(count)
    ]


def targets(count: int, spread: int = 8) -> list[int]:
    """Fixture indexes the requests hit: spread through the file, the last one included."""
    return sorted({round(i * (count - 1) / (spread - 1)) for i in range(spread)})


def bare_app() -> Starlette:
    """The floor: one trivial JSON POST route, no middleware."""

    async def echo(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"ok": True, "model": body.get("model")})

    return Starlette(routes=[Route(CHAT, echo, methods=["POST"])])


async def drive(app: Any, bodies: Sequence[dict[str, Any]], check: Callable[[httpx.Response, int], None]) -> float:
    """Seconds to send ``bodies`` one after the other (after a warm-up that is not timed)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=HEADERS) as client:
        for position in range(WARMUP):
            check(await client.post(CHAT, json=bodies[position % len(bodies)]), position)
        started = time.perf_counter()
        for position, body in enumerate(bodies):
            check(await client.post(CHAT, json=body), position)
        return time.perf_counter() - started


def request_bodies(count: int, fixture_count: int) -> tuple[list[dict[str, Any]], list[int]]:
    hits = targets(fixture_count)
    chosen = [hits[i % len(hits)] for i in range(count)]
    bodies = [{"model": MODEL, "messages": [{"role": "user", "content": prompt(index)}]} for index in chosen]
    return bodies, chosen


def measure_mock(label: str, path: Path, count: int, fixture_count: int) -> Result:
    app = create_app(Settings(fixtures=[path], no_match=NoMatch.STRICT, reload=False))
    bodies, chosen = request_bodies(count, fixture_count)

    def check(response: httpx.Response, position: int) -> None:
        expected = f"order-{chosen[position % len(chosen)]:05d}"
        if response.status_code != 200 or response.headers.get("x-mock-fixture") != expected:
            raise SystemExit(f"{label}: unexpected answer {response.status_code} {response.text[:300]}")

    return Result(label, count, asyncio.run(drive(app, bodies, check)))


def measure_bare(count: int) -> Result:
    bodies, _ = request_bodies(count, 10)

    def check(response: httpx.Response, position: int) -> None:
        if response.status_code != 200:
            raise SystemExit(f"bare Starlette: unexpected answer {response.status_code}")

    return Result("bare Starlette (1 JSON route)", count, asyncio.run(drive(bare_app(), bodies, check)))


def time_load(path: Path, count: int) -> float:
    """Seconds to load ``path`` into a fixture store, as start-up and hot reload do."""
    started = time.perf_counter()
    loaded = load_fixture_files([path])
    FixtureStore().replace_base(loaded.entries)
    seconds = time.perf_counter() - started
    assert len(loaded.entries) == count
    return seconds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per configuration")
    parser.add_argument("--fixtures", type=int, default=10_000, help="size of the big fixture file")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # fixture warnings and access logs are not what is measured

    with tempfile.TemporaryDirectory(prefix="fixtures-bench-") as folder:
        small, big, big_json = (Path(folder) / name for name in ("small.yaml", "big.yaml", "big.json"))
        dump_fixture_file(small, fixtures(10))
        dump_fixture_file(big, fixtures(args.fixtures))
        dump_fixture_file(big_json, fixtures(args.fixtures))
        load_seconds = {path.suffix: time_load(path, args.fixtures) for path in (big, big_json)}

        bare = measure_bare(args.requests)
        ten = measure_mock("mock, 10 fixtures", small, args.requests, 10)
        many = measure_mock(f"mock, {args.fixtures:,} fixtures", big, args.requests, args.fixtures)

    for suffix, seconds in load_seconds.items():
        print(f"load {args.fixtures:,} fixtures from {suffix} (parse, validate, index): {seconds * 1000:,.0f} ms")
    print(f"{args.requests:,} sequential requests each, httpx.AsyncClient over httpx.ASGITransport:")
    for result in (bare, ten, many):
        per_request = result.seconds * 1000 / result.requests
        print(f"  {result.label:<32} {result.per_second:>9,.0f} req/s  ({per_request:.3f} ms/request)")
    print(f"ratio {args.fixtures:,} fixtures / 10 fixtures:     {many.per_second / ten.per_second:.2f}")
    print(f"ratio 10 fixtures / bare Starlette:         {ten.per_second / bare.per_second:.2f}")
    print(f"ratio {args.fixtures:,} fixtures / bare Starlette:  {many.per_second / bare.per_second:.2f}")


if __name__ == "__main__":
    main()
