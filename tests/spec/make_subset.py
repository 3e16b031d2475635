"""Regenerate ``openai-subset.json``: the operations of OpenAI's published spec that the mock serves, with every
component they reference (run by hand: ``python tests/spec/make_subset.py path/to/openai-openapi.yaml``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

OPERATIONS = {
    "/chat/completions": ["post"],
    "/responses": ["post"],
    "/embeddings": ["post"],
    "/images/generations": ["post"],
    "/models": ["get"],
    "/models/{model}": ["get"],
}
OUT = Path(__file__).with_name("openai-subset.json")


def refs(node: Any) -> set[str]:
    """The ``#/components/...`` pointers anywhere under ``node``."""
    found: set[str] = set()
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                found.add(ref)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def subset(spec: dict[str, Any]) -> dict[str, Any]:
    paths = {p: {m: spec["paths"][p][m] for m in methods} for p, methods in OPERATIONS.items()}
    for operations in paths.values():
        for operation in operations.values():
            operation.pop("callbacks", None)
    components: dict[str, dict[str, Any]] = {}
    todo, seen = refs(paths), set()
    while todo:
        ref = todo.pop()
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        todo |= refs(node) - seen
    return {"openapi": spec["openapi"], "info": spec["info"], "paths": paths, "components": components}


if __name__ == "__main__":
    source = yaml.load(Path(sys.argv[1]).read_text("utf-8"), Loader=yaml.CSafeLoader)
    OUT.write_text(json.dumps(subset(source), indent=1, sort_keys=True) + "\n", "utf-8")
