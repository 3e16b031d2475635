"""The project's benchmark (``make bench``): the mock against bare Starlette (and aimock where npm is), one core each.

Run: ``python bench/run.py [--quick] [--rounds 3] [--seconds 3] [--no-aimock]``. Servers run on CPU 0, the load
generator (``wrk -t1 -c16`` where installed, else a bundled asyncio client) on CPU 1. Every measurement is repeated
in alternating rounds and the median is reported, as a ratio to bare Starlette answering the same 251-character
reply. Then: spawn to first 200, idle RSS and RSS after 5,000 requests, ``import`` and plugin start-up costs, and the
speed with 10,000 fixtures against 10. The in-process benchmarks ``fixtures_bench.py`` and ``plugin_bench.py`` next
to this file still run on their own. Numbers vary by machine; read the ratios.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import load
import targets
from baseline import REPLY, WORDS_PER_CHUNK

SERVER_CPU, LOAD_CPU = 0, 1
MODEL = "openai/chat-completion/models/gpt-4o"
AUTH = {"Authorization": "Bearer bench-pat"}


@dataclass(frozen=True)
class Options:
    """What to run and for how long."""

    rounds: int
    seconds: float
    requests: int  # before the second RSS reading
    aimock: bool
    quick: bool


def parse(argv: Sequence[str] | None = None) -> Options:
    """Command-line options; ``--quick`` is a smoke run (one short round, fewer requests)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round of 1 s, 500 requests before RSS")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load run")
    parser.add_argument("--no-aimock", action="store_true", help="leave aimock out even where npm is installed")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    if args.quick:
        return Options(rounds=1, seconds=1.0, requests=500, aimock=False, quick=True)
    return Options(args.rounds, args.seconds, 5000, not args.no_aimock, False)


def chat(text: str, *, stream: bool = False) -> dict[str, object]:
    """A chat request body."""
    body: dict[str, object] = {"model": MODEL, "messages": [{"role": "user", "content": text}]}
    return {**body, "stream": True} if stream else body


def mock_fixtures(path: Path) -> None:
    """The mock's fixture file: the scripted reply, and the same reply streamed in ~20 events."""
    import json

    scripted = {"name": "scripted", "match": {"user": "bench scripted reply"}, "reply": {"content": REPLY}}
    streamed = {
        "name": "streamed",
        "match": {"user": "bench streamed reply", "stream": True},
        "reply": {"content": REPLY, "stream": {"chunk_tokens": WORDS_PER_CHUNK}},
    }
    path.write_text(json.dumps({"version": 1, "fixtures": [scripted, streamed]}))


def scale_fixtures(path: Path, count: int) -> str:
    """``count`` fixtures sharing their first words (see fixtures_bench.py); the text that hits the last one."""
    from fixtures_bench import fixtures, prompt

    from mockserver.fixtures.files import dump_fixture_file

    dump_fixture_file(path, fixtures(count))
    return prompt(count - 1)


# (row label, target name, request) — the rows of the throughput table
def calls(running: dict[str, targets.Running]) -> list[tuple[str, str, load.Call]]:
    """Every measured (row, target, request), in the order of one round."""
    plan: list[tuple[str, str, load.Call]] = []
    for name, server in running.items():
        if name == "clarifai-mock":
            plan += [
                ("scripted", name, load.Call(server.chat_url, chat("bench scripted reply"), AUTH)),
                ("generated", name, load.Call(server.chat_url, chat("bench generated reply"), AUTH)),
                ("streaming", name, load.Call(server.chat_url, chat("bench streamed reply", stream=True), AUTH)),
            ]
        else:
            plan += [
                ("scripted", name, load.Call(server.chat_url, chat("bench scripted reply"), AUTH)),
                ("streaming", name, load.Call(server.chat_url, chat("bench scripted reply", stream=True), AUTH)),
            ]
    return plan


Medians = dict[tuple[str, str], float]


def rounds(plan: list[tuple[str, str, load.Call]], pids: dict[str, int], options: Options) -> tuple[Medians, Medians]:
    """Median requests/s of each (row, target) over alternating rounds (the order rotates every round), and the
    median server CPU time per request in µs (steadier than the rate on a busy machine)."""
    if not options.quick:
        for _, _, call in plan:  # warm-up: imports, lazy tables, connection pools
            load.rate(call, 1, LOAD_CPU)
    rates: dict[tuple[str, str], list[float]] = {}
    costs: dict[tuple[str, str], list[float]] = {}
    for number in range(options.rounds):
        shift = number % len(plan)
        for row, name, call in plan[shift:] + plan[:shift]:
            before = targets.cpu_seconds(pids[name])
            rate = load.rate(call, options.seconds, LOAD_CPU)
            used = targets.cpu_seconds(pids[name]) - before
            rates.setdefault((row, name), []).append(rate)
            costs.setdefault((row, name), []).append(used / (rate * options.seconds) * 1e6)
        print(f"  round {number + 1}/{options.rounds} done", file=sys.stderr, flush=True)
    return _medians(rates), _medians(costs)


def _medians(found: dict[tuple[str, str], list[float]]) -> Medians:
    return {key: statistics.median(values) for key, values in found.items()}


def throughput_table(medians: dict[tuple[str, str], float], names: list[str]) -> list[str]:
    """Markdown rows: ratio to bare Starlette, absolute rate in brackets."""
    labels = {
        "scripted": "non-streaming, scripted reply",
        "generated": "non-streaming, generated reply",
        "streaming": "streaming, ~20 events, zero delay",
    }
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for row, label in labels.items():
        floor = medians[("streaming" if row == "streaming" else "scripted", "bare Starlette")]
        cells = []
        for name in names:
            value = medians.get((row, name))
            cells.append("—" if value is None else f"{value / floor:.2f} ({value:,.0f}/s)")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def cost_table(costs: Medians, names: list[str]) -> list[str]:
    """Markdown rows of CPU µs per request, with the capacity ratio to bare Starlette (steady on a busy machine)."""
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for row in ("scripted", "generated", "streaming"):
        floor = costs[("streaming" if row == "streaming" else "scripted", "bare Starlette")]
        cells = [f"{costs[(row, n)]:,.0f} ({floor / costs[(row, n)]:.2f})" if (row, n) in costs else "—" for n in names]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines


Memory = tuple[float, float]  # VmRSS, RssAnon (MiB)


def memory(target: targets.Target, call: load.Call | None, options: Options, log: Path) -> tuple[float, Memory, Memory]:
    """Spawn to first 200 (median of 3, 1 when quick), idle RSS, RSS after ``options.requests`` requests."""
    spawns = []
    for _ in range(1 if options.quick else 3):
        server = target.start(SERVER_CPU, log)
        spawns.append(server.startup)
        server.stop()
    server = target.start(SERVER_CPU, log)
    try:
        idle = server.rss()
        if call is not None:
            load.send(load.Call(server.chat_url, call.body, call.headers), options.requests)
        return statistics.median(spawns), idle, server.rss()
    finally:
        server.stop()


def warm_bytecode() -> None:
    """Write the package's bytecode cache, as a first import on a normal machine does.

    An editable install ships no ``.pyc`` files, and where ``PYTHONDONTWRITEBYTECODE`` is set (as on some CI images)
    Python never writes them, so every start would compile ~90 modules from source (about 60 ms here). The goal is
    start-up on a warm machine, so the probe runs with the cache in place."""
    spec = importlib.util.find_spec("mockserver")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)


def _probe(mode: str) -> list[float]:
    """Medians of three fresh processes of ``startup_probe.py`` in one mode, a number for each column it prints."""
    probe = Path(__file__).parent / "startup_probe.py"
    results: list[list[float]] = []
    for _ in range(3):
        out = subprocess.run([sys.executable, str(probe), mode], capture_output=True, text=True, check=True).stdout
        results.append([float(value) for value in out.split()])
    return [statistics.median(column) for column in zip(*results, strict=True)]


def python_costs() -> list[str]:
    """``import mockserver``, the plugin's session start-up and its first chat request, each in a fresh process;
    the same start-up where openai and pytest are imported already; and the floor, the dependencies' own import."""
    warm_bytecode()
    imp, start, first = _probe("fresh")
    _, in_session, _ = _probe("session")
    (floor,) = _probe("deps")
    return [
        f"| `import mockserver` (fresh process) | {imp * 1000:,.0f} ms |",
        f"| plugin session start-up: import, create app, bind, start thread | {start * 1000:,.0f} ms |",
        f"| of it, importing the third-party packages it loads (the floor) | {floor * 1000:,.0f} ms |",
        f"| start-up once openai and pytest are imported, as in a test session | {in_session * 1000:,.0f} ms |",
        f"| first chat request of a session (lazy loads) | {first * 1000:,.0f} ms |",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run everything and print the tables."""
    options = parse(argv)
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and (os.cpu_count() or 0) > 1:
        os.sched_setaffinity(0, {LOAD_CPU})
    print(f"load generator: {'wrk -t1 -c16' if load.WRK else 'bundled asyncio httpx client (wrk not installed)'}")
    with tempfile.TemporaryDirectory(prefix="clarifai-bench-") as folder_name:
        folder = Path(folder_name)
        log = folder / "servers.log"
        fixture_file = folder / "mock.json"
        mock_fixtures(fixture_file)
        chosen = [targets.baseline(), targets.mock(fixture_file)]
        cli = targets.aimock_cli() if options.aimock else None
        if cli is not None:
            chosen.insert(1, targets.aimock(cli, folder, REPLY))
        else:
            why = "npm/node not found or the install failed" if options.aimock else "--quick or --no-aimock"
            print(f"note: aimock skipped ({why})")
        running = {target.name: target.start(SERVER_CPU, log) for target in chosen}
        try:
            pids = {name: server.process.pid for name, server in running.items()}
            medians, costs = rounds(calls(running), pids, options)
        finally:
            for server in running.values():
                server.stop()
        names = [target.name for target in chosen]
        rounds_said = f"median of {options.rounds} alternating rounds, {options.seconds:g} s each"
        print(f"\nThroughput, ratio to bare Starlette ({rounds_said})")
        print("\n".join(throughput_table(medians, names)))
        print("\nServer CPU time per request, µs (median; in brackets bare Starlette's time over this one)")
        print("\n".join(cost_table(costs, names)))

        print("\nStart-up and memory (spawn → first 200 on the health route; VmRSS)")
        print(f"| | spawn → first 200 | idle RSS (private) | RSS after {options.requests:,} requests (private) |")
        print("|---|---|---|---|")
        for target in chosen:
            text = "bench generated reply" if target.name == "clarifai-mock" else "bench scripted reply"
            spawn, idle, busy = memory(target, load.Call("", chat(text), AUTH), options, log)
            idle_said, busy_said = (f"{total:.0f} ({private:.0f}) MiB" for total, private in (idle, busy))
            print(f"| {target.name} | {spawn:.2f} s | {idle_said} | {busy_said} |")

        print("\nPython start-up costs (medians of 3 fresh processes)\n| | |\n|---|---|")
        print("\n".join(python_costs()))

        print("\nFixture scaling (clarifai-mock, strict, the request hits the last fixture; rate, CPU a request)")
        scaling, cpu = scale(folder, options, log)
        for count, label in ((10, "10 fixtures"), (10_000, "10,000 fixtures")):
            print(f"| {label} | {scaling[count]:,.0f} req/s | {cpu[count]:,.0f} µs CPU |")
        print(f"| ratio 10,000 / 10 | {scaling[10_000] / scaling[10]:.2f} | {cpu[10] / cpu[10_000]:.2f} |")


def scale(folder: Path, options: Options, log: Path) -> tuple[dict[int, float], dict[int, float]]:
    """Median req/s with 10 and with 10,000 fixtures, alternating, and the median server CPU µs a request (the
    steadier reading on a busy machine, as in the main table)."""
    running: dict[int, tuple[targets.Running, load.Call]] = {}
    try:
        for count in (10, 10_000):
            path = folder / f"scale-{count}.yaml"
            text = scale_fixtures(path, count)
            server = targets.mock(path, "--no-match", "strict", name=f"mock-{count}").start(SERVER_CPU, log)
            running[count] = (server, load.Call(server.chat_url, chat(text), AUTH))
        if not options.quick:
            for _, call in running.values():
                load.rate(call, 1, LOAD_CPU)
        found: dict[int, list[float]] = {10: [], 10_000: []}
        costs: dict[int, list[float]] = {10: [], 10_000: []}
        for number in range(options.rounds):
            order = (10, 10_000) if number % 2 == 0 else (10_000, 10)
            for count in order:
                server, call = running[count]
                before = targets.cpu_seconds(server.process.pid)
                rate = load.rate(call, options.seconds, LOAD_CPU)
                found[count].append(rate)
                costs[count].append((targets.cpu_seconds(server.process.pid) - before) / (rate * options.seconds) * 1e6)
        medians = {count: statistics.median(values) for count, values in found.items()}
        return medians, {count: statistics.median(values) for count, values in costs.items()}
    finally:
        for server, _ in running.values():
            server.stop()


if __name__ == "__main__":
    main()
