"""Folders are concepts with one direction of dependency, the core stays free of frameworks, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mockserver"

# Lowest first: a module may import from its own layer and the layers before it, never from a later one.
LAYERS: list[set[str]] = [
    {"types", "errors", "config", "schema", "chat_request", "json_body", "journal"},
    {"observe"},
    {"clarifai"},
    {"fixtures"},
    {"engine"},
    {"wire"},
    {"record"},
    {"context"},
    {"turn"},
    {"api"},
    {"app", "middleware", "protocol", "server", "cli", "__main__"},
    {"testing", "pytest_plugin"},
]
FRAMEWORKS = {"starlette", "uvicorn", "httpx", "click", "pytest", "anyio", "watchfiles"}
# The framework-free core: every layer up to and including the turn pipeline, with the few modules whose job is a
# framework (talking HTTP upstream, watching files) named here.
PURE_LAYERS = {"types", "errors", "config", "schema", "chat_request", "json_body", "journal", "observe", "clarifai"}
PURE_LAYERS |= {"fixtures"}
PURE_LAYERS |= {"engine"}
PURE_LAYERS |= {"wire", "record", "turn"}
FRAMEWORK_EDGES = {"record/proxy.py", "record/upstream.py", "fixtures/reload.py"}


def _unit(path: Path) -> str:
    """The layer name of a module: its top folder, or its own name at the package root."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _rank(unit: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """The package units and the third-party roots a module imports (type-checking-only imports included)."""
    units, roots = set(), set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "mockserver":
                names = [f"mockserver.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "mockserver" and len(parts) > 1 and not parts[1].startswith("__"):
                units.add(parts[1])
            else:
                roots.add(parts[0])
    return units, roots


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_unit_has_a_layer() -> None:
    units = {_unit(p) for p in MODULES}
    assert units - set().union(*LAYERS) == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    here = _unit(path)
    units, _ = _imports(path)
    upward = {u for u in units if _rank(u) > _rank(here)}
    assert upward == set(), f"{here} (layer {_rank(here)}) imports from a later layer"


CORE = [p for p in MODULES if _unit(p) in PURE_LAYERS and str(p.relative_to(PACKAGE)) not in FRAMEWORK_EDGES]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_imports_no_framework(path: Path) -> None:
    _, roots = _imports(path)
    assert roots & FRAMEWORKS == set()


def test_the_package_root_stays_small() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 15


def test_every_module_opens_with_a_one_sentence_docstring() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text("utf-8")))
        assert docstring, f"{path.relative_to(PACKAGE)} has no module docstring"
        first = docstring.strip().split("\n\n")[0]
        assert first.rstrip().endswith("."), f"{path.relative_to(PACKAGE)}: docstring should open with a sentence"


def test_modules_stay_under_the_hard_cap() -> None:
    too_long = {p.name: n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text("utf-8").splitlines())) > 400}
    assert too_long == {}


def test_the_contributor_map_names_every_folder() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    guide = (PACKAGE.parent / "CONTRIBUTING.md").read_text("utf-8")
    assert {name for name in folders if f"mockserver/{name}/" not in guide} == set()
