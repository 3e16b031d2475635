"""Property tests: for any chat or Responses body and any fixture, the mock never answers 5xx, every 2xx validates
with the openai SDK's own types, and the journal and fixture listings stay serialisable.

Seeded (``derandomize``) and bounded, so a run is fast and repeatable; a failure prints the body that broke it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter
from starlette.testclient import TestClient

from mockserver import Settings, create_app

MODELS = st.sampled_from(
    [
        "openai/chat-completion/models/gpt-4o",
        "anthropic/completion/models/claude-sonnet-4",
        "openai/chat-completion/models/gpt-oss-120b",
        "gpt-4o",
        "no/such/models/model",
        "",
    ]
)
TEXT = st.text(max_size=40)
NUMBERS = st.one_of(
    st.integers(-3, 300), st.floats(allow_nan=False, allow_infinity=False, width=32), st.just(1e308), st.just(-0.0)
)
JSON_LEAF = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=12,
)
PATTERNS = st.sampled_from(["(.|.)*!", "^[A-Z]{3}-[0-9]{4}$", r"(a)\1", "[", r"\d+", "(?=x)y", "a{2,5}"])


@st.composite
def string_schema(draw: st.DrawFn) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    if draw(st.booleans()):
        node["pattern"] = draw(PATTERNS)
    low = draw(st.integers(0, 40))
    if draw(st.booleans()):
        node["minLength"] = low
    if draw(st.booleans()):
        node["maxLength"] = low + draw(st.integers(-2, 40))
    return node


SCHEMAS = st.recursive(
    st.one_of(
        string_schema(),
        st.sampled_from([{"type": "integer", "minimum": 3}, {"type": "number"}, {"type": "boolean"}, {}]),
        JSON_VALUE,
    ),
    lambda inner: st.one_of(
        st.builds(
            lambda props: {"type": "object", "properties": props, "required": list(props)[:1]},
            st.dictionaries(st.text("abcxyz", min_size=1, max_size=5), inner, max_size=3),
        ),
        st.builds(lambda items, n: {"type": "array", "items": items, "minItems": n}, inner, st.integers(0, 3)),
        st.builds(lambda options: {"anyOf": options}, st.lists(inner, max_size=3)),
    ),
    max_leaves=8,
)
CONTENT = st.one_of(
    TEXT,
    st.none(),
    st.lists(
        st.one_of(
            st.fixed_dictionaries({"type": st.just("text"), "text": TEXT}),
            st.fixed_dictionaries({"type": st.just("image_url"), "image_url": st.fixed_dictionaries({"url": TEXT})}),
            JSON_VALUE,
        ),
        max_size=3,
    ),
)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool", "developer", "robot"]), "content": CONTENT},
    optional={"name": TEXT, "tool_call_id": TEXT},
)
TOOL = st.fixed_dictionaries(
    {
        "type": st.just("function"),
        "function": st.fixed_dictionaries(
            {"name": st.text("abc_", min_size=1, max_size=8)}, optional={"parameters": SCHEMAS}
        ),
    }
)


def _optional(**fields: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    return fields


CHAT_BODY = st.fixed_dictionaries(
    {"model": MODELS, "messages": st.lists(MESSAGE, min_size=0, max_size=4)},
    optional=_optional(
        temperature=NUMBERS,
        n=st.one_of(st.integers(0, 4), st.sampled_from([1.0, 2.0, 1.5])),
        max_tokens=st.one_of(st.integers(-1, 60), st.just(3.0)),
        stream=st.booleans(),
        tools=st.lists(TOOL, max_size=2),
        tool_choice=st.sampled_from(["auto", "none", "required", {"type": "function", "function": {"name": "a"}}]),
        response_format=st.one_of(
            st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
            st.builds(lambda s: {"type": "json_schema", "json_schema": {"name": "x", "schema": s}}, SCHEMAS),
        ),
        metadata=JSON_VALUE,
        seed=st.integers(-5, 2**40),
    ),
)
RESPONSES_BODY = st.fixed_dictionaries(
    {"model": MODELS, "input": st.one_of(TEXT, st.lists(MESSAGE, max_size=3))},
    optional=_optional(
        instructions=st.one_of(TEXT, st.none()),
        max_output_tokens=st.one_of(st.integers(-1, 60), st.none()),
        stream=st.booleans(),
        tools=st.lists(
            st.fixed_dictionaries(
                {"type": st.just("function"), "name": st.text("abc", min_size=1, max_size=5)},
                optional={"parameters": SCHEMAS, "strict": st.one_of(st.booleans(), st.none())},
            ),
            max_size=2,
        ),
        text=st.one_of(
            st.just({"format": {"type": "text"}}),
            st.builds(lambda s: {"format": {"type": "json_schema", "name": "x", "schema": s}}, SCHEMAS),
        ),
        metadata=JSON_VALUE,
    ),
)
FIXTURE = st.fixed_dictionaries(
    {
        "match": st.one_of(st.fixed_dictionaries({}, optional={"user": st.one_of(TEXT, JSON_VALUE)}), JSON_VALUE),
        "reply": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "content": st.one_of(TEXT, JSON_VALUE),
                    "tool_calls": st.lists(
                        st.fixed_dictionaries(
                            {"name": st.text("abc", min_size=1, max_size=5)}, optional={"arguments": JSON_VALUE}
                        ),
                        max_size=2,
                    ),
                },
            ),
            JSON_VALUE,
        ),
    },
    optional={"name": TEXT, "times": st.integers(-1, 3)},
)

PREFIX = "/v2/ext/openai/v1"
AUTH = {"Authorization": "Bearer property-pat", "Content-Type": "application/json"}
BOUNDED = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
EVENTS: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


@pytest.fixture(scope="module")
def mock() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(journal_size=20)), raise_server_exceptions=False) as client:
        yield client


def strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a control listing")

    return json.loads(text, parse_constant=refuse)


def listings_serialise(mock: TestClient) -> None:
    for path in ("/__mock__/journal", "/__mock__/fixtures"):
        answer = mock.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        strict_json(answer.text)


def sse_data(text: str) -> list[Any]:
    payloads = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    return [strict_json(p) for p in payloads if p != "[DONE]"]


def post(mock: TestClient, path: str, body: dict[str, Any]) -> Any:
    answer = mock.post(PREFIX + path, content=json.dumps(body), headers=AUTH)
    assert answer.status_code < 500, answer.text[:500]
    return answer


@BOUNDED
@given(body=CHAT_BODY)
def test_chat_completions(mock: TestClient, body: dict[str, Any]) -> None:
    answer = post(mock, "/chat/completions", body)
    if answer.status_code == 200 and body.get("stream"):
        for chunk in sse_data(answer.text):
            if "error" not in chunk:
                ChatCompletionChunk.model_validate(chunk)
    elif answer.status_code == 200:
        ChatCompletion.model_validate(answer.json())
    listings_serialise(mock)


@BOUNDED
@given(body=RESPONSES_BODY)
def test_responses(mock: TestClient, body: dict[str, Any]) -> None:
    answer = post(mock, "/responses", body)
    if answer.status_code == 200 and body.get("stream"):
        for event in sse_data(answer.text):
            EVENTS.validate_python(event)
    elif answer.status_code == 200:
        Response.model_validate(answer.json())
    listings_serialise(mock)


@BOUNDED
@given(fixture=FIXTURE, user=st.text(max_size=20))
def test_fixtures(mock: TestClient, fixture: dict[str, Any], user: str) -> None:
    added = mock.post("/__mock__/fixtures", content=json.dumps(fixture), headers=AUTH)
    assert added.status_code < 500, added.text[:500]
    listings_serialise(mock)
    body = {"model": "openai/chat-completion/models/gpt-4o", "messages": [{"role": "user", "content": user}]}
    answer = post(mock, "/chat/completions", body)
    if answer.status_code == 200:
        ChatCompletion.model_validate(answer.json())
    assert mock.delete("/__mock__/fixtures").status_code == 200
