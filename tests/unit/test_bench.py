"""``bench/run.py`` (``make bench``): its options parse as documented; the benchmark itself is never run in tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_defaults_are_three_rounds_of_three_seconds_with_aimock(bench: ModuleType) -> None:
    assert bench.parse([]) == bench.Options(rounds=3, seconds=3.0, requests=5000, aimock=True, quick=False)


def test_quick_is_one_short_round_without_aimock(bench: ModuleType) -> None:
    assert bench.parse(["--quick"]) == bench.Options(rounds=1, seconds=1.0, requests=500, aimock=False, quick=True)


def test_rounds_seconds_and_no_aimock_are_taken(bench: ModuleType) -> None:
    options = bench.parse(["--rounds", "5", "--seconds", "2", "--no-aimock"])
    assert (options.rounds, options.seconds, options.aimock) == (5, 2.0, False)


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--seconds", "0"], ["--rounds", "x"]])
def test_nonsense_is_a_usage_error(bench: ModuleType, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.parse(argv)
    assert exited.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_the_throughput_table_reads_ratios_to_bare_starlette(bench: ModuleType) -> None:
    medians = {
        ("scripted", "bare Starlette"): 1000.0,
        ("streaming", "bare Starlette"): 400.0,
        ("scripted", "clarifai-mock"): 700.0,
        ("generated", "clarifai-mock"): 500.0,
        ("streaming", "clarifai-mock"): 600.0,
    }
    table = bench.throughput_table(medians, ["bare Starlette", "clarifai-mock"])
    assert table[2] == "| non-streaming, scripted reply | 1.00 (1,000/s) | 0.70 (700/s) |"
    assert table[3] == "| non-streaming, generated reply | — | 0.50 (500/s) |"
    assert table[4] == "| streaming, ~20 events, zero delay | 1.00 (400/s) | 1.50 (600/s) |"


def test_the_cost_table_reads_capacity_ratios(bench: ModuleType) -> None:
    costs = {("scripted", "bare Starlette"): 70.0, ("streaming", "bare Starlette"): 400.0}
    costs |= {("scripted", "mock"): 140.0, ("generated", "mock"): 100.0, ("streaming", "mock"): 200.0}
    table = bench.cost_table(costs, ["bare Starlette", "mock"])
    assert table[2:] == [
        "| scripted | 70 (1.00) | 140 (0.50) |",
        "| generated | — | 100 (0.70) |",
        "| streaming | 400 (1.00) | 200 (2.00) |",
    ]
