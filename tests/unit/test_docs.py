"""The docs hold together: the site builds with ``mkdocs build --strict``, the settings table is ``Settings``, the
README stays short and repeats no page, and examples import only the public API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from enum import Enum
from pathlib import Path

import pytest
import yaml
from pydantic.fields import FieldInfo

from mockserver import Settings, cli

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
README = REPO / "README.md"
ENV_PREFIX = "CLARIFAI_MOCK_"
# Pages other contributors write; they join the nav when they land.


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()


def _nav_pages(items: list[object]) -> list[str]:
    pages: list[str] = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text("utf-8"))
    nav = _nav_pages(config["nav"])
    assert len(nav) == len(set(nav))
    on_disk = {page.name for page in DOCS.glob("*.md")}
    assert set(nav) == on_disk


# --- the settings table is Settings ---------------------------------------------------------------------------------


def _default_text(field: FieldInfo) -> str:
    """How the table writes a default: code for values, words for nothing."""
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "unset"
    if default in ([], {}):
        return "none"
    if isinstance(default, bool):
        return "on" if default else "off"
    return f"`{default.value if isinstance(default, Enum) else default}`"


def _rows() -> dict[str, list[str]]:
    """Table rows of docs/configuration.md by the setting their first cell names."""
    rows: dict[str, list[str]] = {}
    page = (DOCS / "configuration.md").read_text("utf-8")
    for line in page.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        names = re.findall(rf"`{ENV_PREFIX}(\w+)`", cells[0]) if line.startswith("|") else []
        for name in names:
            assert name.lower() not in rows, f"{ENV_PREFIX}{name} has two rows"
            rows[name.lower()] = cells
    return rows


def test_the_settings_table_has_every_setting_with_its_default_and_flag() -> None:
    rows = _rows()
    assert set(rows) == set(Settings.model_fields)
    flags = {param.name: [*param.opts, *param.secondary_opts] for param in cli.serve.params}
    for name, field in Settings.model_fields.items():
        _, flag_cell, default_cell, meaning = rows[name]
        assert default_cell.startswith(_default_text(field)), f"{name}: default {default_cell!r}"
        expected = flags.get(name)
        if expected is None:
            assert flag_cell == "— (env only)", f"{name} has no serve flag"
        else:
            assert all(f"`{flag}" in flag_cell for flag in expected), f"{name}: flag {flag_cell!r}"
        assert meaning


def test_settings_rows_live_on_the_configuration_page_only() -> None:
    for page in [README, REPO / "CONTRIBUTING.md", *DOCS.glob("*.md")]:
        if page.name != "configuration.md":
            assert not re.search(rf"^\| `{ENV_PREFIX}", page.read_text("utf-8"), re.M), page


# --- the README -----------------------------------------------------------------------------------------------------


def test_the_readme_is_short_and_links_to_pages_that_exist() -> None:
    text = README.read_text("utf-8")
    assert len(text.splitlines()) <= 300
    links = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", text)
    assert {"docs/clients.md", "docs/configuration.md", "docs/pytest.md", "CONTRIBUTING.md"} <= set(links)
    for link in links:
        assert (REPO / link).is_file(), link


def test_the_readme_repeats_no_page_section() -> None:
    readme = set(re.findall(r"^## (.+)$", README.read_text("utf-8"), re.M))
    for page in DOCS.glob("*.md"):
        shared = readme & set(re.findall(r"^#+ (.+)$", page.read_text("utf-8"), re.M))
        assert not shared, f"{page.name} repeats README sections {shared}"


@pytest.mark.parametrize("page", [README, REPO / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_examples_import_only_the_public_api(page: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", page.read_text("utf-8"), re.S)
    for block in blocks:
        assert not re.search(r"^\s*(from|import) mockserver\.", block, re.M), f"{page.name}: {block[:200]}"


@pytest.mark.parametrize("page", [README, REPO / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_source_paths_named_in_the_docs_exist(page: Path) -> None:
    for path in re.findall(
        r"`((?:mockserver|bench|fixtures|tests/(?:unit|api|e2e|node))/[\w./-]+)`", page.read_text("utf-8")
    ):
        assert (REPO / path).exists(), f"{page.name} names {path}, which does not exist"
