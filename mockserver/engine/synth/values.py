"""Walk a JSON Schema ($ref, allOf/anyOf/oneOf, objects, arrays) and build a value that validates against it."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from mockserver.engine.synth.hints import hint_key, singular
from mockserver.engine.synth.mentions import Mentions
from mockserver.engine.synth.numbers import gen_number
from mockserver.engine.synth.regex import MAX_STEPS
from mockserver.engine.synth.seeding import _faker, subseed
from mockserver.engine.synth.strings import gen_string

if TYPE_CHECKING:
    from faker import Faker  # for annotations only: the Faker is built on first use (seeding._faker)

_MAX_DEPTH = 6
"""From this nesting depth on, optional properties are dropped, arrays shrink to minItems and nullable branches win."""
_HARD_DEPTH = 48
_MAX_HOPS = 64
MAX_NODES = 20_000
MAX_ITEMS = 1_000


class SchemaTooLarge(ValueError):
    """A schema whose smallest valid value is too big to build (it would hang the server)."""


_TYPE_MARKERS = (
    ("object", {"properties", "required", "additionalProperties", "minProperties", "maxProperties"}),
    ("array", {"items", "prefixItems", "minItems", "maxItems", "uniqueItems"}),
    ("number", {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
)


def build_value(schema: Any, seed: int, name: str | None, context: str | None = None) -> Any:
    """The value for ``schema`` (see ``generate_value``); values ``context`` mentions are used before inventing."""
    mentions = Mentions.of(context) if context else None
    return _gen(_Ctx(schema if isinstance(schema, Mapping) else {}, seed, mentions), schema, "$", name, 0)


@dataclass(frozen=True)
class _Ctx:
    root: Mapping[str, Any]
    seed: int
    mentions: Mentions | None = None  # what the conversation already says (place, quoted phrase, numbers, …)
    budget: list[int] = field(default_factory=lambda: [MAX_NODES])
    steps: list[int] = field(default_factory=lambda: [MAX_STEPS])  # shared by every pattern in the schema

    def rng(self, path: str) -> random.Random:
        return random.Random(subseed(self.seed, path))

    def faker(self, path: str) -> Faker:
        fake = _faker()
        fake.seed_instance(subseed(self.seed, f"{path}#faker"))
        return fake


def _gen(ctx: _Ctx, schema: Any, path: str, name: str | None, depth: int) -> Any:
    if depth > _HARD_DEPTH:
        return None
    ctx.budget[0] -= 1
    if ctx.budget[0] < 0:
        raise SchemaTooLarge(f"the schema asks for more than {MAX_NODES} values")
    node = _normalise(ctx, schema, depth >= _MAX_DEPTH)
    if "const" in node:
        return copy.deepcopy(node["const"])
    options = node.get("enum")
    if isinstance(options, list) and options:
        named, option = ctx.mentions.enum_option(options) if ctx.mentions else (False, None)
        if named:
            return option
        return copy.deepcopy(options[0] if hint_key(name, ("unit", "units")) else ctx.rng(path).choice(options))
    kind = _infer_type(node, depth >= _MAX_DEPTH)
    mentioned = _mentioned(ctx, node, name, kind)
    if mentioned is not None:
        return mentioned
    if kind == "object":
        return _gen_object(ctx, node, path, depth)
    if kind == "array":
        return _gen_array(ctx, node, path, name, depth)
    if kind in ("integer", "number"):
        return gen_number(ctx.rng(path), node, name, integer=kind == "integer")
    if kind == "boolean":
        return ctx.rng(path).random() < 0.5
    if kind == "null":
        return None
    return gen_string(ctx.rng(path), ctx.faker(path), node, name, ctx.steps)


def _mentioned(ctx: _Ctx, node: Mapping[str, Any], name: str | None, kind: str) -> Any:
    """A value the conversation mentions for a named string or number property, else ``None``."""
    if ctx.mentions is None or name is None:
        return None
    if kind == "string":
        return ctx.mentions.string_for(name, node)
    if kind in ("integer", "number"):
        return ctx.mentions.number_for(node, kind == "integer")
    return None


def _as_dict(schema: Any) -> dict[str, Any]:
    return dict(schema) if isinstance(schema, Mapping) else {}


def _without(node: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != key}


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping) and isinstance(value, Mapping):
            merged[key] = {**merged[key], **value}
        elif key == "required" and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        else:
            merged[key] = value
    return merged


def _resolve(root: Mapping[str, Any], ref: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        return {}
    node: Any = root
    for raw in unquote(ref[1:]).split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return {}
    return node


def _normalise(ctx: _Ctx, schema: Any, deep: bool) -> dict[str, Any]:
    """Resolve ``$ref``, ``allOf`` and ``anyOf``/``oneOf`` until a plain schema remains."""
    node = _as_dict(schema)
    for _ in range(_MAX_HOPS):
        if "$ref" in node:
            node = _merge(_as_dict(_resolve(ctx.root, node["$ref"])), _without(node, "$ref"))
        elif "allOf" in node:
            merged = _without(node, "allOf")
            for part in node["allOf"] if isinstance(node["allOf"], list) else []:
                merged = _merge(merged, _normalise(ctx, part, deep))
            node = merged
        elif "anyOf" in node or "oneOf" in node:
            key = "anyOf" if "anyOf" in node else "oneOf"
            node = _merge(_without(node, key), _as_dict(_pick_option(node[key], deep)))
        else:
            return node
    return {}


def _is_null(option: Mapping[str, Any]) -> bool:
    return option.get("type") == "null" or ("const" in option and option["const"] is None)


def _pick_option(options: Any, deep: bool) -> Any:
    """The first non-null branch, or the null branch once ``deep`` (so recursive Optional fields terminate)."""
    choices = [o for o in options if isinstance(o, Mapping)] if isinstance(options, list) else []
    useful = [o for o in choices if not _is_null(o)]
    nullable = len(useful) < len(choices)
    if useful and not (deep and nullable):
        return useful[0]
    return {"type": "null"} if nullable else {}


def _infer_type(node: Mapping[str, Any], deep: bool) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        kinds = [kind for kind in declared if isinstance(kind, str)]
        useful = [kind for kind in kinds if kind != "null"]
        if "null" in kinds and (deep or not useful):
            return "null"
        return useful[0] if useful else "string"
    if isinstance(declared, str):
        return declared
    for kind, markers in _TYPE_MARKERS:
        if markers & node.keys():
            return kind
    return "string"


def _gen_object(ctx: _Ctx, node: Mapping[str, Any], path: str, depth: int) -> dict[str, Any]:
    props = _as_dict(node.get("properties"))
    required = [key for key in node.get("required", []) if isinstance(key, str)]
    extra = node.get("additionalProperties", True)
    extra_schema = _as_dict(extra)
    out: dict[str, Any] = {}
    for key, sub in props.items():
        if key in required or depth < _MAX_DEPTH:
            out[key] = _gen(ctx, sub, f"{path}.{key}", key, depth + 1)
    for key in required:
        if key not in out:
            out[key] = _gen(ctx, extra_schema, f"{path}.{key}", key, depth + 1)
    minimum = node.get("minProperties", 0)
    if not props and extra_schema and depth < _MAX_DEPTH:
        minimum = max(minimum, 1)
    if len(out) < minimum and extra is not False:
        words = ctx.faker(f"{path}+keys").words(nb=minimum - len(out) + 8, unique=True)
        for key in [word for word in words if word not in out and word not in props][: minimum - len(out)]:
            out[key] = _gen(ctx, extra_schema, f"{path}.{key}", key, depth + 1)
    return out


def _gen_array(ctx: _Ctx, node: Mapping[str, Any], path: str, name: str | None, depth: int) -> list[Any]:
    prefix, items = node.get("prefixItems"), node.get("items", {})
    if isinstance(items, list):
        prefix, items = items, node.get("additionalItems", {})
    prefix = prefix if isinstance(prefix, list) else []
    low, high = int(node.get("minItems", 0)), node.get("maxItems")
    if low > MAX_ITEMS:
        raise SchemaTooLarge(f"minItems {low} is over the {MAX_ITEMS} the mock will build")
    if items is False:
        high = len(prefix) if high is None else min(high, len(prefix))
    if depth >= _MAX_DEPTH:
        count = low
    else:
        start = max(low, 1, len(prefix))
        stop = max(start, 3) if high is None else min(max(start, 3), high)
        count = ctx.rng(path).randint(min(start, stop), stop)
    unique = node.get("uniqueItems") is True
    out: list[Any] = []
    seen: set[str] = set()
    for attempt in range(count * 4 if unique else count):
        if len(out) >= count:
            break
        sub = prefix[len(out)] if len(out) < len(prefix) else items
        value = _gen(ctx, sub, f"{path}[{attempt}]", singular(name), depth + 1)
        fingerprint = json.dumps(value, sort_keys=True)
        if not (unique and fingerprint in seen):
            seen.add(fingerprint)
            out.append(value)
    return out
