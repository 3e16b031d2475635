"""The official Node ``openai`` SDK against the mock: ``tests/node/conformance.mjs`` runs once, each check is a test.

The script prints one JSON line ``{"results": {"<check>": {"ok": true} | {"ok": false, "error": "..."}}}``; the
SDK is pinned in ``tests/node/package-lock.json`` and installed by ``make`` (``npm ci --prefix tests/node``) when
npm is available. Without ``node`` or the installed SDK the module is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TypedDict, cast

import pytest

from mockserver import MockServer, Settings

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "tests" / "node"
SCRIPT = NODE_DIR / "conformance.mjs"
SHIPPED = REPO / "fixtures"
PAT = "node-sdk-pat"
NODE = shutil.which("node")
RUN_TIMEOUT = 60.0
# Every check conformance.mjs runs, in its order; test_script_runs_exactly_these_checks keeps the two in step.
CHECKS = (
    "chat.create",
    "chat.stream_iterate",
    "chat.stream_helper_text",
    "chat.stream_helper_tool_call",
    "chat.stream_helper_parsed_tool",
    "chat.weather_flow",
    "chat.run_tools_stream",
    "embeddings.default_base64",
    "embeddings.float_equals_base64",
    "models.list",
    "models.retrieve",
    "errors.authentication",
    "errors.not_found",
    "errors.rate_limited",
    "errors.stream_error",
    "responses.create",
    "responses.stream",
    "retries.rate_limited_then_ok",
)

if NODE is None:
    pytestmark = pytest.mark.skip(reason="node is not on PATH; the Node SDK checks need Node.js and npm")
elif not (NODE_DIR / "node_modules" / "openai").is_dir():
    pytestmark = pytest.mark.skip(
        reason="the Node openai SDK is not installed; run `npm ci --prefix tests/node` (make does it when npm exists)"
    )


class CheckResult(TypedDict, total=False):
    """One check's outcome as the script reports it."""

    ok: bool
    error: str


def node_env(base_url: str) -> dict[str, str]:
    """The caller's environment without any ``OPENAI_*`` setting of its own, pointed at the mock."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    return {**env, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": PAT}


def parse_results(stdout: str) -> dict[str, CheckResult]:
    """The ``results`` object of the script's JSON line (the last line of stdout)."""
    lines = stdout.strip().splitlines()
    assert lines, "conformance.mjs printed nothing"
    parsed = json.loads(lines[-1])
    assert isinstance(parsed, dict), f"expected a JSON object, got {lines[-1]!r}"
    results = parsed["results"]
    assert isinstance(results, dict), f"expected a results object, got {results!r}"
    return cast(dict[str, CheckResult], results)


@pytest.fixture(scope="module")
def node_results() -> dict[str, CheckResult]:
    """Run conformance.mjs once against a mock serving ``fixtures/`` whose allow-list holds only ``PAT``."""
    assert NODE is not None
    settings = Settings(port=0, fixtures=[SHIPPED], pats=[PAT], reload=False)
    with MockServer(settings) as server:
        try:
            done = subprocess.run(
                [NODE, str(SCRIPT)],
                cwd=NODE_DIR,
                env=node_env(server.base_url),
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"conformance.mjs did not finish in {RUN_TIMEOUT:.0f} s; stderr: {expired.stderr!r}")
    if done.returncode != 0:
        pytest.fail(f"conformance.mjs exited {done.returncode}; stderr:\n{done.stderr}")
    return parse_results(done.stdout)


def test_script_runs_exactly_these_checks(node_results: dict[str, CheckResult]) -> None:
    assert list(node_results) == list(CHECKS)


@pytest.mark.parametrize("check", CHECKS)
def test_node_sdk(node_results: dict[str, CheckResult], check: str) -> None:
    result = node_results.get(check)
    assert result is not None, f"conformance.mjs did not report {check!r}"
    assert result.get("ok") is True, result.get("error", f"no error message: {result!r}")
