"""Every runnable example in the README and docs/ runs against a real mock serving the shipped fixtures.

A fenced block preceded by the line ``<!-- run -->`` runs as a script (``python``, ``js`` with the pinned Node SDK,
``sh`` with bash); ``<!-- run: pytest -->`` runs a ``python`` block as a test file under pytest. Examples say
``127.0.0.1:8080`` (``make serve``); the test swaps in its own server's address. Each example starts from a reset
server, as a fresh ``make serve`` would be.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mockserver import MockServer, Settings

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
MARKED = re.compile(r"^<!-- run(?:: (?P<kind>[\w-]+))? -->\n```(?P<lang>\w+)\n(?P<code>.*?)^```", re.M | re.S)
NODE_MODULES = REPO / "tests" / "node" / "node_modules"
LANGUAGES = {"python", "js", "sh"}
TIMEOUT = 120


@dataclass(frozen=True)
class Example:
    page: Path
    line: int
    kind: str
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        text = page.read_text("utf-8")
        for marked in MARKED.finditer(text):
            line = text.count("\n", 0, marked.start()) + 1
            found.append(Example(page, line, marked["kind"] or "script", marked["lang"], marked["code"]))
    return found


EXAMPLES = examples()


def test_the_pages_have_runnable_examples_in_known_languages() -> None:
    pages = {example.page.name for example in EXAMPLES}
    assert {"README.md", "clients.md", "control-api.md", "troubleshooting.md"} <= pages
    assert {(e.kind, e.lang) for e in EXAMPLES} <= {("script", lang) for lang in LANGUAGES} | {("pytest", "python")}


@pytest.fixture(scope="module")
def served() -> Iterator[MockServer]:
    """What ``make serve`` runs: the shipped fixtures, default settings, on a free port."""
    with MockServer(Settings(port=0, fixtures=[REPO / "fixtures"], reload=False)) as running:
        yield running


def _command(example: Example, folder: Path) -> list[str]:
    if example.kind == "pytest":
        (folder / "test_example.py").write_text(example.code, "utf-8")
        # Only this project's plugin (what an installed package registers): other plugins in the venv cost seconds.
        return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "mockserver.pytest_plugin"]
    if example.lang == "python":
        (folder / "example.py").write_text(example.code, "utf-8")
        return [sys.executable, "example.py"]
    if example.lang == "js":
        if shutil.which("node") is None or not (NODE_MODULES / "openai").is_dir():
            pytest.skip("node or the Node openai SDK is missing (make test installs it with npm ci)")
        (folder / "node_modules").symlink_to(NODE_MODULES)
        (folder / "example.mjs").write_text(example.code, "utf-8")
        return ["node", "example.mjs"]
    (folder / "example.sh").write_text(example.code, "utf-8")
    return ["bash", "-euo", "pipefail", "example.sh"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_runs(example: Example, served: MockServer, tmp_path: Path) -> None:
    httpx.post(f"{served.url}/__mock__/reset").raise_for_status()
    example = Example(
        example.page, example.line, example.kind, example.lang, example.code.replace("127.0.0.1:8080", served.url[7:])
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLARIFAI_MOCK_", "OPENAI_"))}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    done = subprocess.run(
        _command(example, tmp_path), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, f"{example.id} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{example.id} printed nothing"
