"""Deterministic Faker prose and JSON-Schema-valid values, seeded so the mock's answers are reproducible."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import random
import re
import string
import threading
import uuid
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from faker import Faker

__all__ = ["generate_arguments", "generate_text", "generate_value"]

_MAX_DEPTH = 6
"""From this nesting depth on, optional properties are dropped, arrays shrink to minItems and nullable branches win."""
_HARD_DEPTH = 48
_MAX_HOPS = 64
_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_local = threading.local()

_PLACES = [
    ("Lyon", "France"),
    ("Bogotá", "Colombia"),
    ("Tokyo", "Japan"),
    ("Toronto", "Canada"),
    ("Nairobi", "Kenya"),
    ("Melbourne", "Australia"),
    ("São Paulo", "Brazil"),
    ("Berlin", "Germany"),
    ("Mumbai", "India"),
    ("Chicago", "United States"),
    ("Seoul", "South Korea"),
    ("Manchester", "United Kingdom"),
    ("Mexico City", "Mexico"),
    ("Lagos", "Nigeria"),
]
_TICKERS = ["AAPL", "MSFT", "NVDA", "GOOGL", "AMZN", "META", "TSLA", "JPM", "KO", "IBM", "ORCL", "NFLX", "AMD"]
_PATTERN_CLASSES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_", "s": " "}
_PATTERN_TOKEN = re.compile(r"(\\.|\[[^\]^][^\]]*\]|[^\\\[\]()|*+?{}])(?:([?*+])|\{(\d+)(,(\d*))?\})?")
_TYPE_MARKERS = (
    ("object", {"properties", "required", "additionalProperties", "minProperties", "maxProperties"}),
    ("array", {"items", "prefixItems", "minItems", "maxItems", "uniqueItems"}),
    ("number", {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
)

_T = TypeVar("_T")
_StringMaker = Callable[[random.Random, Faker], str]


def _aliases(table: Mapping[str, _T]) -> dict[str, _T]:
    """Expand space-separated keys: ``{"a b": v}`` becomes ``{"a": v, "b": v}``."""
    return {key: value for keys, value in table.items() for key in keys.split()}


def _moment(rng: random.Random) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=rng.randint(0, 2 * 365 * 86400))


def _phrase(rng: random.Random, fake: Faker) -> str:
    return fake.sentence(nb_words=3).rstrip(".")


_FORMATS: dict[str, _StringMaker] = _aliases(
    {
        "date-time": lambda r, f: _moment(r).isoformat().replace("+00:00", "Z"),
        "date": lambda r, f: _moment(r).date().isoformat(),
        "time": lambda r, f: _moment(r).time().isoformat() + "Z",
        "duration": lambda r, f: f"P{r.randint(1, 30)}DT{r.randint(0, 23)}H",
        "email idn-email": lambda r, f: f.email(),
        "uri url iri uri-reference iri-reference": lambda r, f: f.url(),
        "uuid": lambda r, f: str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "ipv4": lambda r, f: f.ipv4(),
        "ipv6": lambda r, f: f.ipv6(),
        "hostname idn-hostname": lambda r, f: f.hostname(),
    }
)
_STRING_HINTS: dict[str, _StringMaker] = _aliases(
    {
        "location": lambda r, f: ", ".join(r.choice(_PLACES)),
        "city": lambda r, f: r.choice(_PLACES)[0],
        "country": lambda r, f: r.choice(_PLACES)[1],
        "email": lambda r, f: f.email(),
        "name full_name": lambda r, f: f.name(),
        "first_name": lambda r, f: f.first_name(),
        "last_name surname": lambda r, f: f.last_name(),
        "username": lambda r, f: f.user_name(),
        "phone phone_number": lambda r, f: f.phone_number(),
        "address": lambda r, f: f.address().replace("\n", ", "),
        "street": lambda r, f: f.street_address(),
        "state": lambda r, f: f.state(),
        "zip zipcode postcode postal_code": lambda r, f: f.postcode(),
        "url website homepage link": lambda r, f: f.url(),
        "date": lambda r, f: _moment(r).date().isoformat(),
        "time": lambda r, f: _moment(r).strftime("%H:%M"),
        "ticker symbol": lambda r, f: r.choice(_TICKERS),
        "description summary comment": lambda r, f: f.sentence(),
        "title": lambda r, f: f.sentence(nb_words=4).rstrip("."),
        "id": lambda r, f: "".join(r.choices(string.ascii_lowercase + string.digits, k=8)),
        "company": lambda r, f: f.company(),
        "job occupation": lambda r, f: f.job(),
        "color colour": lambda r, f: f.color_name(),
        "currency": lambda r, f: f.currency_code(),
        "timezone": lambda r, f: f.timezone(),
    }
)
_NUMBER_HINTS: dict[str, tuple[float, float, int]] = _aliases(
    {
        "age": (18, 90, 0),
        "count quantity qty": (1, 10, 0),
        "temperature temp": (-5, 35, 1),
        "price amount cost total balance": (1, 500, 2),
        "year": (1990, 2030, 0),
        "rating stars": (1, 5, 1),
        "score percent percentage humidity": (0, 100, 1),
        "latitude lat": (-90, 90, 4),
        "longitude lon lng": (-180, 180, 4),
        "limit page days": (1, 10, 0),
        "id": (1, 99999, 0),
    }
)


def _subseed(seed: int, path: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{path}".encode(), digest_size=8).digest(), "big")


def _faker() -> Faker:
    """This thread's shared en_US Faker: building one costs ~100 ms, so it happens once per thread."""
    fake: Faker | None = getattr(_local, "faker", None)
    if fake is None:
        fake = _local.faker = Faker("en_US")
    return fake


def generate_text(seed: int, *, sentences: int | None = None) -> str:
    """Deterministic English-ish prose for ``seed``: ``sentences`` sentences, or 1-4 chosen from the seed."""
    if sentences is None:
        sentences = random.Random(_subseed(seed, "sentences")).randint(1, 4)
    if sentences < 1:
        raise ValueError(f"sentences must be at least 1, got {sentences}")
    fake = _faker()
    fake.seed_instance(seed)
    return " ".join(fake.sentence() for _ in range(sentences))


def generate_value(schema: Mapping[str, Any], seed: int, *, name: str | None = None) -> Any:
    """A deterministic, JSON-serialisable value that validates against ``schema``; ``name`` is its property name.

    ``$ref`` pointers resolve against ``schema`` itself. Recursion is cut off by depth, and a schema that
    cannot terminate (a required field that always recurses) yields ``None`` at the innermost level.
    """
    return _gen(_Ctx(schema if isinstance(schema, Mapping) else {}, seed), schema, "$", name, 0)


def generate_arguments(parameters: Mapping[str, Any] | None, seed: int) -> dict[str, Any]:
    """Arguments for a tool call whose ``parameters`` JSON Schema is given; ``{}`` when there is none."""
    if not parameters:
        return {}
    value = generate_value(parameters, seed)
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class _Ctx:
    root: Mapping[str, Any]
    seed: int

    def rng(self, path: str) -> random.Random:
        return random.Random(_subseed(self.seed, path))

    def faker(self, path: str) -> Faker:
        fake = _faker()
        fake.seed_instance(_subseed(self.seed, f"{path}#faker"))
        return fake


def _gen(ctx: _Ctx, schema: Any, path: str, name: str | None, depth: int) -> Any:
    if depth > _HARD_DEPTH:
        return None
    node = _normalise(ctx, schema, depth >= _MAX_DEPTH)
    if "const" in node:
        return copy.deepcopy(node["const"])
    options = node.get("enum")
    if isinstance(options, list) and options:
        return copy.deepcopy(options[0] if _hint_key(name, ("unit", "units")) else ctx.rng(path).choice(options))
    kind = _infer_type(node, depth >= _MAX_DEPTH)
    if kind == "object":
        return _gen_object(ctx, node, path, depth)
    if kind == "array":
        return _gen_array(ctx, node, path, name, depth)
    if kind in ("integer", "number"):
        return _gen_number(ctx.rng(path), node, name, integer=kind == "integer")
    if kind == "boolean":
        return ctx.rng(path).random() < 0.5
    if kind == "null":
        return None
    return _gen_string(ctx, node, path, name)


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


def _hint_key(name: str | None, keys: Container[str]) -> str | None:
    """The hint table key for a property name: the whole snake_cased name, else its last word."""
    if not name:
        return None
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_").replace(" ", "_")
    for candidate in (key, key.rsplit("_", 1)[-1]):
        if candidate in keys:
            return candidate
    return None


def _singular(name: str | None) -> str | None:
    if not name or len(name) < 4:
        return name
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


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
        value = _gen(ctx, sub, f"{path}[{attempt}]", _singular(name), depth + 1)
        fingerprint = json.dumps(value, sort_keys=True)
        if not (unique and fingerprint in seen):
            seen.add(fingerprint)
            out.append(value)
    return out


def _gen_string(ctx: _Ctx, node: Mapping[str, Any], path: str, name: str | None) -> str:
    rng, fake = ctx.rng(path), ctx.faker(path)
    maker = _FORMATS.get(str(node.get("format")))
    if maker is None:
        hint = _hint_key(name, _STRING_HINTS)
        maker = _STRING_HINTS[hint] if hint else _phrase
    value = _fit_length(maker(rng, fake), node.get("minLength", 0), node.get("maxLength"), fake)
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, value):
        return _pattern_string(pattern, rng) or value
    return value


def _fit_length(value: str, low: int, high: int | None, fake: Faker) -> str:
    """Pad ``value`` with words up to ``low`` characters, then cut it to ``high``."""
    while len(value) < low:
        value = f"{value} {fake.word()}".lstrip()
    if high is not None and len(value) > high:
        value = value[:high]
        value = value.rstrip() if len(value.rstrip()) >= low else value
    return value


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def _pattern_string(pattern: str, rng: random.Random) -> str | None:
    """A string for a simple regex (literals, escapes, classes, quantifiers); ``None`` when it is too complex."""
    body, pos = pattern.removeprefix("^").removesuffix("$"), 0
    out: list[str] = []
    while pos < len(body):
        token = _PATTERN_TOKEN.match(body, pos)
        if token is None:
            return None
        atom, symbol, low, comma, high = token.groups()
        if low is None:
            low, high = {"?": (0, 1), "*": (0, 3), "+": (1, 3), None: (1, 1)}[symbol]
        else:
            low, high = int(low), (int(low) if comma is None else int(high) if high else int(low) + 3)
        chars = _pattern_chars(atom)
        out.extend(rng.choice(chars) for _ in range(rng.randint(low, high)))
        pos = token.end()
    value = "".join(out)
    return value if _matches(pattern, value) else None


def _pattern_chars(atom: str) -> str:
    """The characters one regex atom (literal, escape, ``.`` or ``[...]`` class) may match."""
    if atom.startswith("["):
        spec = re.sub(r"(.)-(.)", lambda m: "".join(map(chr, range(ord(m[1]), ord(m[2]) + 1))), atom[1:-1])
        return re.sub(r"\\(.)", lambda m: _PATTERN_CLASSES.get(m[1], m[1]), spec)
    if atom.startswith("\\"):
        return _PATTERN_CLASSES.get(atom[1], atom[1])
    return string.ascii_letters if atom == "." else atom


def _num(node: Mapping[str, Any], key: str) -> float | None:
    value = node.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _bounds(node: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    """Inclusive drawing bounds; for integers, exclusive bounds are stepped inwards."""
    low, x_low, high, x_high = (_num(node, k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"))
    if integer:
        low = None if low is None else math.ceil(low)
        x_low = None if x_low is None else math.floor(x_low) + 1
        high = None if high is None else math.floor(high)
        x_high = None if x_high is None else math.ceil(x_high) - 1
    lows = [v for v in (low, x_low) if v is not None]
    highs = [v for v in (high, x_high) if v is not None]
    return max(lows, default=-math.inf), min(highs, default=math.inf)


def _number_ok(value: float, node: Mapping[str, Any]) -> bool:
    low, x_low, high, x_high = (_num(node, k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"))
    if (low is not None and value < low) or (x_low is not None and value <= x_low):
        return False
    if (high is not None and value > high) or (x_high is not None and value >= x_high):
        return False
    step = _num(node, "multipleOf")
    if not step or step <= 0:
        return True
    quotient = value / step
    return math.isfinite(quotient) and quotient == int(quotient)


def _draw(rng: random.Random, low: float, high: float, step: float | None, integer: bool, places: int) -> float | None:
    if step and step > 0:
        first, last = math.ceil(low / step), math.floor(high / step)
        if first > last:
            return None
        value = rng.randint(first, last) * step
        return round(value) if integer or value == int(value) else round(value, 12)
    if integer or places == 0:
        return rng.randint(math.ceil(low), math.floor(high)) if math.ceil(low) <= math.floor(high) else None
    return round(rng.uniform(low, high), places)


def _gen_number(rng: random.Random, node: Mapping[str, Any], name: str | None, *, integer: bool) -> float:
    low, high = _bounds(node, integer)
    hint = _hint_key(name, _NUMBER_HINTS)
    start, stop, places = _NUMBER_HINTS[hint] if hint else (0, 100, 2)
    spans = [(max(start, low), min(stop, high)), (low, high), (low, low + 100), (high - 100, high)]
    step = _num(node, "multipleOf")
    for span_low, span_high in spans:
        if not (math.isfinite(span_low) and math.isfinite(span_high) and span_low <= span_high):
            continue
        for _ in range(10):
            value = _draw(rng, span_low, span_high, step, integer, places)
            if value is not None and _number_ok(value, node):
                return value
    fallback = low if math.isfinite(low) else high if math.isfinite(high) else 0
    return int(fallback) if integer else fallback
