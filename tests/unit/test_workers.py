"""``serve --workers N``: the settings reach every worker process intact, secrets included, and bad input stops it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from mockserver import Settings, cli


def test_each_worker_builds_its_app_from_the_parents_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(pats=["pat-a"], pat_budgets=["pat-a=2"], control_token="tok", seed=3, fixtures=["fixtures"])
    monkeypatch.setenv(cli.WORKER_SETTINGS, cli.worker_settings(settings))
    assert cli.worker_app().state.mock.settings == settings


def test_workers_flag_hands_the_count_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(app=app, **options))
    monkeypatch.delenv(cli.WORKER_SETTINGS, raising=False)
    result = CliRunner().invoke(cli.main, ["serve", "--workers", "3", "--port", "9123", "--no-reload"])
    assert result.exit_code == 0, result.output
    assert seen["app"] == "mockserver.cli:worker_app"
    assert seen["factory"] is True
    assert (seen["workers"], seen["port"]) == (3, 9123)
    monkeypatch.delenv(cli.WORKER_SETTINGS)  # run_workers exported it for the (here imaginary) children


def test_workers_refuse_invalid_fixtures_before_any_process_starts(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nfixtures:\n  - match: {user: 3}\n")
    result = CliRunner().invoke(cli.main, ["serve", "--workers", "2", "--fixtures", str(broken)])
    assert result.exit_code != 0
    assert "invalid fixtures, not starting" in result.output


def test_zero_workers_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "workers" in result.output
