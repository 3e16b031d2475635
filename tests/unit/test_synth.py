"""Unit tests for mockserver.engine.synth: deterministic prose and values that validate against their JSON Schema."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import random
import re
import threading
import uuid
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from pydantic import AnyUrl, BaseModel, Field

from mockserver.engine import synth
from mockserver.engine.synth import generate_arguments, generate_text, generate_value

SEEDS = range(25)
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER

WEATHER_DOCS: dict[str, Any] = {
    "type": "object",
    "properties": {"location": {"type": "string", "description": "City and country, e.g. 'Bogotá, Colombia'"}},
    "required": ["location"],
    "additionalProperties": False,
}
WEATHER_CI: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location", "unit"],
}


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class LineItem(BaseModel):
    sku: str = Field(min_length=3, max_length=8)
    quantity: int = Field(ge=1, le=5)
    price: float


class Order(BaseModel):
    kind: Literal["order"]
    id: str
    customer_email: str
    items: list[LineItem]
    colour: Colour
    note: str | None = None
    created_at: dt.datetime
    status: Literal["open", "closed"]
    priority: int = Field(ge=1, le=5)
    code: str = Field(min_length=3, max_length=8)


class Tree(BaseModel):
    name: str
    children: list[Tree]


class Chain(BaseModel):
    label: str
    next: Chain | None


class KitchenSink(BaseModel):
    counts: dict[str, int]
    pair: tuple[int, str]
    labels: set[str]
    day: dt.date
    at: dt.time
    ref: uuid.UUID
    cost: decimal.Decimal
    wait: dt.timedelta
    homepage: AnyUrl
    code: Annotated[str, Field(pattern=r"^[a-z]{2}\d{3}$")]
    fraction: float = Field(gt=0, lt=1, multiple_of=0.1)
    fives: int = Field(gt=5, multiple_of=5)
    exactly_two: list[int] = Field(min_length=2, max_length=2)
    blob: bytes
    either: int | str | None


PYDANTIC_MODELS: dict[str, type[BaseModel]] = {"order": Order, "tree": Tree, "chain": Chain, "sink": KitchenSink}

SCHEMAS: dict[str, dict[str, Any]] = {
    "weather_docs": WEATHER_DOCS,
    "weather_ci": WEATHER_CI,
    **{f"pydantic_{key}": model.model_json_schema() for key, model in PYDANTIC_MODELS.items()},
    "arrays": {
        "type": "object",
        "properties": {
            "scores": {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 6},
            "none_allowed": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
            "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "uniqueItems": True, "minItems": 2},
        },
        "required": ["scores", "none_allowed", "pair", "tags"],
    },
    "numbers": {
        "type": "object",
        "properties": {
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "step": {"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 0.25},
            "even": {"type": "integer", "multipleOf": 2, "exclusiveMinimum": 10, "maximum": 20},
            "age": {"type": "integer", "minimum": 100},
            "negative": {"type": "integer", "maximum": -1000},
            "price": {"type": "number", "minimum": 0},
        },
        "required": ["ratio", "step", "even", "age", "negative", "price"],
    },
    "formats": {
        "type": "object",
        "properties": {
            "contact": {"type": "string", "format": "email"},
            "ref": {"type": "string", "format": "uuid"},
            "when": {"type": "string", "format": "date-time"},
            "homepage": {"type": "string", "format": "uri"},
            "day": {"type": "string", "format": "date"},
            "server": {"type": "string", "format": "ipv4"},
        },
        "required": ["contact", "ref", "when", "homepage", "day", "server"],
        "additionalProperties": False,
    },
    "type_lists": {
        "type": "object",
        "properties": {
            "nickname": {"type": ["string", "null"]},
            "count": {"type": ["integer", "null"], "minimum": 3},
            "only_null": {"type": ["null"]},
        },
        "required": ["nickname", "count", "only_null"],
        "additionalProperties": False,
    },
    "openai_strict_recursive": {
        "type": "object",
        "properties": {"root": {"$ref": "#/definitions/node"}},
        "required": ["root"],
        "additionalProperties": False,
        "definitions": {
            "node": {
                "type": "object",
                "properties": {
                    "value": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
                    "parent": {"anyOf": [{"$ref": "#/definitions/node"}, {"type": "null"}]},
                },
                "required": ["value", "children", "parent"],
                "additionalProperties": False,
            }
        },
    },
    "combinators": {
        "allOf": [
            {"type": "object", "properties": {"a": {"const": 1}}, "required": ["a"]},
            {"properties": {"b": {"oneOf": [{"type": "boolean"}, {"type": "string"}]}}, "required": ["b"]},
        ],
    },
    "strings": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
            "short": {"type": "string", "maxLength": 4},
            "long": {"type": "string", "minLength": 40},
            "location": {"type": "string", "maxLength": 6},
        },
        "required": ["code", "short", "long", "location"],
    },
    "map": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "minProperties": 2},
    "empty": {},
    "anything": {"type": "object", "properties": {"x": True, "y": {}}, "required": ["x", "y"]},
}


@pytest.mark.parametrize("schema_id", sorted(SCHEMAS))
def test_values_validate_against_schema(schema_id: str) -> None:
    schema = SCHEMAS[schema_id]
    for seed in SEEDS:
        value = generate_value(schema, seed)
        jsonschema.validate(value, schema, format_checker=FORMATS)
        json.dumps(value)


@pytest.mark.parametrize("model_id", sorted(PYDANTIC_MODELS))
def test_values_validate_with_pydantic(model_id: str) -> None:
    model = PYDANTIC_MODELS[model_id]
    for seed in SEEDS:
        model.model_validate(generate_value(model.model_json_schema(), seed))


@pytest.mark.parametrize("schema_id", sorted(SCHEMAS))
def test_values_are_deterministic(schema_id: str) -> None:
    for seed in range(5):
        assert generate_value(SCHEMAS[schema_id], seed) == generate_value(SCHEMAS[schema_id], seed)


def test_recursive_models_terminate_with_depth_limit() -> None:
    tree = generate_value(SCHEMAS["pydantic_tree"], 3)
    depth, level = 0, [tree]
    while level:
        depth, level = depth + 1, [child for node in level for child in node["children"]]
    assert 1 < depth <= 8
    chain, links = generate_value(SCHEMAS["pydantic_chain"], 3), 0
    while chain is not None:
        chain, links = chain["next"], links + 1
    assert 1 < links <= 8


def test_formats_parse() -> None:
    for seed in SEEDS:
        value = generate_value(SCHEMAS["formats"], seed)
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", value["contact"])
        assert uuid.UUID(value["ref"]).version == 4
        assert dt.datetime.fromisoformat(value["when"]).tzinfo is not None
        assert dt.date.fromisoformat(value["day"])
        assert value["homepage"].startswith(("http://", "https://"))


def test_array_and_number_bounds() -> None:
    for seed in SEEDS:
        value = generate_value(SCHEMAS["arrays"], seed)
        assert 4 <= len(value["scores"]) <= 6
        assert value["none_allowed"] == []
        assert len(value["pair"]) == 2
        assert len(set(value["tags"])) == len(value["tags"]) >= 2
        numbers = generate_value(SCHEMAS["numbers"], seed)
        assert 0 < numbers["ratio"] < 1
        assert numbers["even"] in range(12, 21, 2)
        assert numbers["age"] >= 100
        assert numbers["negative"] <= -1000


def test_pattern_and_lengths() -> None:
    for seed in SEEDS:
        value = generate_value(SCHEMAS["strings"], seed)
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{4}", value["code"])
        assert len(value["short"]) <= 4
        assert len(value["long"]) >= 40
        assert 0 < len(value["location"]) <= 6


def test_type_lists_prefer_non_null() -> None:
    value = generate_value(SCHEMAS["type_lists"], 7)
    assert isinstance(value["nickname"], str)
    assert isinstance(value["count"], int)
    assert value["count"] >= 3
    assert value["only_null"] is None


def test_empty_schema_gives_a_string() -> None:
    assert isinstance(generate_value({}, 1), str)
    assert generate_value({}, 1)


def test_weather_tools_get_realistic_arguments() -> None:
    for seed in SEEDS:
        docs = generate_arguments(WEATHER_DOCS, seed)
        assert list(docs) == ["location"]
        assert ", " in docs["location"]
        assert generate_arguments(WEATHER_CI, seed)["unit"] == "celsius"


def test_generate_arguments_without_parameters() -> None:
    assert generate_arguments(None, 1) == {}
    assert generate_arguments({}, 1) == {}
    assert generate_arguments({"type": "object", "properties": {}}, 1) == {}


def test_values_follow_property_names() -> None:
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string"},
            "age": {"type": "integer"},
            "price": {"type": "number"},
            "ticker": {"type": "string"},
            "city": {"type": "string"},
            "temperature": {"type": "number"},
        },
    }
    for seed in SEEDS:
        value = generate_value(schema, seed)
        assert "@" in value["email"]
        assert 18 <= value["age"] <= 90
        assert round(value["price"], 2) == value["price"]
        assert re.fullmatch(r"[A-Z]{1,5}", value["ticker"])
        assert value["city"]
        assert -50 < value["temperature"] < 60


def test_name_hints_yield_to_the_schema() -> None:
    assert isinstance(generate_value({"type": "integer"}, 1, name="email"), int)
    assert generate_value({"type": "string", "enum": ["x", "y"]}, 1, name="location") in ("x", "y")
    assert generate_value({"type": "integer", "minimum": 200, "maximum": 210}, 1, name="age") in range(200, 211)


def test_adding_a_property_keeps_other_values() -> None:
    props: dict[str, Any] = {"a": {"type": "string"}, "b": {"type": "integer"}}
    small = {"type": "object", "properties": props}
    large = {"type": "object", "properties": {"z": {"type": "string"}, **props, "c": {"type": "number"}}}
    for seed in SEEDS:
        before, after = generate_value(small, seed), generate_value(large, seed)
        assert (before["a"], before["b"]) == (after["a"], after["b"])


def test_global_random_state_is_untouched() -> None:
    state = random.getstate()
    generate_value(SCHEMAS["pydantic_order"], 11)
    generate_text(11)
    assert random.getstate() == state


def test_text_is_deterministic_and_seed_dependent() -> None:
    assert generate_text(42) == generate_text(42)
    assert sum(generate_text(seed) != generate_text(seed + 1) for seed in range(10)) >= 9


def test_text_shape() -> None:
    for seed in SEEDS:
        text = generate_text(seed)
        assert text.strip() == text
        assert text[-1] in ".!?"
    assert generate_text(5, sentences=3).count(".") == 3
    with pytest.raises(ValueError, match="at least 1"):
        generate_text(5, sentences=0)


def test_faker_is_built_once_per_thread() -> None:
    assert synth._faker() is synth._faker()
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(synth._faker()))
    thread.start()
    thread.join()
    assert len(other) == 1
    assert other[0] is not synth._faker()
