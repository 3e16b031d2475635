"""The pure core stays free of frameworks, and modules stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mockserver"
PURE = [
    "catalog",
    "chat_request",
    "chunks",
    "conversation",
    "errors",
    "generate",
    "ids",
    "matching",
    "responder",
    "responses_render",
    "responses_request",
    "schema",
    "sse",
    "templating",
    "tokens",
    "usage",
    "synth/__init__",
    "synth/hints",
    "synth/numbers",
    "synth/seeding",
    "synth/strings",
    "synth/values",
]
FRAMEWORKS = {"starlette", "uvicorn", "httpx", "click", "pytest", "anyio", "watchfiles"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_framework(module: str) -> None:
    assert _imported_roots(PACKAGE / f"{module}.py") & FRAMEWORKS == set()


def test_every_module_opens_with_a_one_sentence_docstring() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text("utf-8")))
        assert docstring, f"{path.relative_to(PACKAGE)} has no module docstring"
        first = docstring.strip().split("\n\n")[0]
        assert first.rstrip().endswith("."), f"{path.relative_to(PACKAGE)}: docstring should open with a sentence"


def test_modules_stay_under_the_hard_cap() -> None:
    too_long = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text("utf-8").splitlines())) > 400}
    assert too_long == {}
