"""Read and write fixture files (YAML or JSON); every problem names the file, line, fixture and field."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mockserver.errors import FixtureFileError
from mockserver.schema import Fixture, FixtureFile
from mockserver.store import Entry
from mockserver.templating import unknown_roots

SUFFIXES = (".yaml", ".yml", ".json")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass
class LoadResult:
    """Fixtures in load order, plus warnings that do not stop loading."""

    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Fixture files named by ``paths``: files as given, folders searched recursively in sorted order; a file named
    twice (directly or through a folder) is loaded once, where it first appears."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values()), problems


def _line(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the deepest node along ``loc`` that exists in the composed document."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _where(path: Path, text: str, loc: Sequence[int | str]) -> str:
    try:
        line = _line(yaml.compose(text, Loader=_Loader), loc)
    except yaml.YAMLError:
        line = None
    return f"{path}:{line}" if line else str(path)


def _loc_text(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _parse(path: Path) -> tuple[str, Any]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureFileError([f"{path}: cannot read: {exc}"]) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        raise FixtureFileError([f"{path}:{exc.lineno}: invalid JSON: {exc.msg}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise FixtureFileError([f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}"]) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer past Python's 4300-digit conversion limit
        raise FixtureFileError([f"{path}: cannot parse: {type(exc).__name__}: {exc}"]) from None
    return text, data


def _fixture_label(index: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"fixtures[{index}]" + (f" ({name})" if isinstance(name, str) else "")


def load_file(path: Path) -> list[Entry]:
    """One file's fixtures; raises ``FixtureFileError`` listing every problem in it."""
    text, data = _parse(path)
    if not isinstance(data, dict):
        raise FixtureFileError([f"{path}: a fixture file is a mapping with `version: 1` and `fixtures: [...]`"])
    problems = []
    found = data.get("fixtures")
    raw_fixtures: list[Any] = found if isinstance(found, list) else []
    try:
        # The fixtures are checked one by one below; a `fixtures:` that is not a list is reported here.
        FixtureFile.model_validate({**data, "fixtures": []} if isinstance(found, list) else data)
    except ValidationError as exc:
        problems += [f"{_where(path, text, e['loc'])}: {_loc_text(e['loc'])}: {e['msg']}" for e in exc.errors()]
    entries = []
    for index, raw in enumerate(raw_fixtures):
        try:
            fixture = Fixture.model_validate(raw)
        except ValidationError as exc:
            for e in exc.errors():
                loc = ["fixtures", index, *e["loc"]]
                field_path = _loc_text(e["loc"]) or "(fixture)"
                problems.append(f"{_where(path, text, loc)}: {_fixture_label(index, raw)}: {field_path}: {e['msg']}")
            continue
        entries.append(Entry.of(fixture, fixture.name or f"{path.stem}#{index}", str(path)))
    if problems:
        raise FixtureFileError(problems)
    return entries


def _match_items(entry: Entry) -> frozenset[tuple[str, str]]:
    dumped = entry.fixture.match.model_dump(exclude_none=True)
    dumped["endpoint"] = entry.compiled.endpoint
    return frozenset((key, json.dumps(value, sort_keys=True)) for key, value in dumped.items())


def _subsets(items: frozenset[tuple[str, str]]) -> Iterable[frozenset[tuple[str, str]]]:
    ordered = sorted(items)
    for mask in range(1 << len(ordered)):
        yield frozenset(item for bit, item in enumerate(ordered) if mask >> bit & 1)


class _Locator:
    """``file:line: fixtures[i]`` of loaded entries, for warnings; a file is re-read only when one of its fixtures
    has a warning (entries of one file are contiguous and complete, so the index is the position in the file)."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._index: dict[int, int] = {}
        counts: dict[str, int] = {}
        for entry in entries:
            self._index[id(entry)] = counts.get(entry.source, 0)
            counts[entry.source] = self._index[id(entry)] + 1
        self._nodes: dict[str, yaml.Node | None] = {}

    def __call__(self, entry: Entry) -> str:
        index = self._index.get(id(entry))
        if index is None:
            return entry.source
        if entry.source not in self._nodes:
            try:
                text = Path(entry.source).read_text("utf-8")
                self._nodes[entry.source] = yaml.compose(text, Loader=_Loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                self._nodes[entry.source] = None
        line = _line(self._nodes[entry.source], ["fixtures", index])
        return f"{entry.source}{f':{line}' if line else ''}: fixtures[{index}]"


def shadow_warnings(entries: Sequence[Entry], where: Callable[[Entry], str] | None = None) -> list[str]:
    """Fixtures that can never answer because an earlier one asks for a subset of the same conditions."""
    where = where or _Locator(entries)
    warnings: list[str] = []
    seen: dict[frozenset[tuple[str, str]], Entry] = {}
    for entry in entries:
        items = _match_items(entry)
        if len(items) <= 8:
            for subset in _subsets(items):
                earlier = seen.get(subset)
                if earlier is not None and _covers(earlier, entry):
                    shadowed = f"{entry.name!r} is shadowed by {earlier.name!r} ({where(earlier)})"
                    warnings.append(f"{where(entry)}: {shadowed}")
                    break
        seen.setdefault(items, entry)
    return warnings


def _covers(earlier: Entry, later: Entry) -> bool:
    # A tool-calling fixture skips tool-result requests; it only shadows fixtures that skip them too.
    if not earlier.compiled.implicit_no_tool_result:
        return True
    return later.compiled.implicit_no_tool_result or later.fixture.match.has_tool_result is False


def _catch_all_warnings(entries: Sequence[Entry], where: Callable[[Entry], str]) -> list[str]:
    """A fixture that matches every request of its endpoint, with fixtures after it that it keeps from answering."""
    warnings = []
    for position, entry in enumerate(entries):
        if entry.fixture.match.model_dump(exclude_none=True, exclude={"endpoint"}):
            continue
        hidden = [
            later.name
            for later in entries[position + 1 :]
            if later.compiled.endpoint == entry.compiled.endpoint and _covers(entry, later)
        ]
        if hidden:
            warnings.append(
                f"{where(entry)}: {entry.name!r} is a catch-all (it matches every request) but is not last; "
                f"{len(hidden)} fixture(s) after it never answer ({', '.join(map(repr, hidden[:3]))}"
                f"{', …' if len(hidden) > 3 else ''}); move it to the end"
            )
    return warnings


def _template_warnings(entries: Sequence[Entry], where: Callable[[Entry], str]) -> list[str]:
    warnings = []
    for entry in entries:
        replies = [entry.fixture.reply] if entry.fixture.reply else entry.fixture.sequence or []
        for reply in replies:
            for root in unknown_roots(reply.content or ""):
                warnings.append(f"{where(entry)}: {entry.name!r}: unknown template value {{{{ {root} }}}}")
    return warnings


def load_fixture_files(paths: Iterable[Path]) -> LoadResult:
    """Every fixture under ``paths`` in load order, with shadowing warnings.

    Raises:
        FixtureFileError: with every problem of every file (file:line, fixture index and name, field path).
    """
    files, problems = expand(paths)
    result = LoadResult()
    for path in files:
        try:
            result.entries += load_file(path)
        except FixtureFileError as exc:
            problems += exc.problems
    where = _Locator(result.entries)
    names: dict[str, Entry] = {}
    for entry in result.entries:
        if entry.name in names:
            problems.append(f"{where(entry)}: duplicate fixture name {entry.name!r} (also {where(names[entry.name])})")
        names.setdefault(entry.name, entry)
    if problems:
        raise FixtureFileError(problems)
    result.warnings = (
        _catch_all_warnings(result.entries, where)
        + shadow_warnings(result.entries, where)
        + _template_warnings(result.entries, where)
    )
    return result


def fixture_to_data(fixture: Fixture) -> dict[str, Any]:
    """A fixture as plain data in schema field order, defaults left out (what files and the control API show)."""
    data: dict[str, Any] = fixture.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return data


def dump_fixture_file(path: Path, fixtures: Sequence[Fixture]) -> None:
    """Write fixtures atomically (temp file + rename) with stable key order, so re-recording diffs cleanly."""
    data = {"version": 1, "fixtures": [fixture_to_data(f) for f in fixtures]}
    if path.suffix == ".json":
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
