"""Error styles and bad input: every failure has the right HTTP status in both error styles, a body of the
configured shape, the request id, and a message that names the offending field. Nothing ever answers 500."""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from starlette.testclient import TestClient

from mockserver import Settings, create_app

GPT4O = "openai/chat-completion/models/gpt-4o"
PREFIX = "/v2/ext/openai/v1"
CHAT = f"{PREFIX}/chat/completions"
AUTH = {"Authorization": "Bearer test-pat"}
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
BODY_LIMIT = 4096
SCENARIOS = {
    "revoked-pat": "revoked",
    "scopeless-pat": "no_scopes",
    "broke-pat": "out_of_credit",
    "slow-pat": "rate_limit:0.01",  # one request per 100 s: the second is refused without timing assumptions
}


@pytest.fixture(scope="module", params=["clarifai", "openai"])
def style(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def _serve(**settings: Any) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**settings)), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def api(style: str) -> Iterator[TestClient]:
    """An in-process app in the given error style, with a small body limit and PAT scenarios configured."""
    yield from _serve(error_style=style, max_body_bytes=BODY_LIMIT, pat_scenarios=SCENARIOS)


@pytest.fixture(scope="module")
def roomy(style: str) -> Iterator[TestClient]:
    """An in-process app in the given error style with the default body limit."""
    yield from _serve(error_style=style)


def chat(**extra: Any) -> dict[str, Any]:
    return {"model": GPT4O, "messages": [{"role": "user", "content": "Hello there."}], **extra}


def error_body(response: Any, style: str, status: int) -> dict[str, Any]:
    """Check the status, headers and exact body shape of an error; return the inner object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    rid = response.headers["x-clarifai-request-id"]
    assert REQUEST_ID.match(rid)
    body = response.json()
    if style == "clarifai":
        assert set(body) == {"status"}
        inner: dict[str, Any] = body["status"]
        assert set(inner) == {"code", "description", "details", "req_id"}
        assert isinstance(inner["code"], int)
        assert isinstance(inner["description"], str)
        assert inner["description"]
        assert isinstance(inner["details"], str)
        assert inner["req_id"] == rid
    else:
        assert set(body) == {"error"}
        inner = body["error"]
        assert set(inner) == {"message", "type", "param", "code"}
        assert isinstance(inner["message"], str)
        assert inner["message"]
        assert isinstance(inner["type"], str)
        assert inner["param"] is None or isinstance(inner["param"], str)
        assert inner["code"] is None or isinstance(inner["code"], str)
    return inner


def check_error(response: Any, style: str, status: int, code: int, param: str | None = None) -> dict[str, Any]:
    """An error with this status, this Clarifai code (clarifai style) and naming ``param`` (both styles)."""
    inner = error_body(response, style, status)
    if style == "clarifai":
        assert inner["code"] == code
        if param is not None:
            assert f"'{param}'" in inner["details"]
    elif param is not None:
        assert inner["param"] == param
        assert f"'{param}'" in inner["message"]
    return inner


# --- authentication ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 11009),
        ({"Authorization": ""}, 11009),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 11008),
        ({"Authorization": "Bearer"}, 11008),
        ({"Authorization": "Token test-pat"}, 11008),
        ({"Authorization": "test-pat"}, 11008),
    ],
    ids=["missing", "empty", "basic", "no-key", "unknown-scheme", "no-scheme"],
)
def test_bad_credentials_are_401(api: TestClient, style: str, headers: dict[str, str], code: int) -> None:
    inner = check_error(api.post(CHAT, json=chat(), headers=headers), style, 401, code)
    if style == "openai":
        assert inner["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    "authorization", ["Bearer test-pat", "bearer test-pat", "BEARER test-pat", "Key test-pat", "key test-pat"]
)
def test_accepted_schemes(api: TestClient, authorization: str) -> None:
    response = api.post(CHAT, json=chat(), headers={"Authorization": authorization})
    assert response.status_code == 200
    ChatCompletion.model_validate(response.json())


@pytest.mark.parametrize(
    ("pat", "status", "code"),
    [("revoked-pat", 401, 11008), ("scopeless-pat", 403, 11007), ("broke-pat", 402, 11000)],
)
def test_pat_scenarios(api: TestClient, style: str, pat: str, status: int, code: int) -> None:
    headers = {"Authorization": f"Key {pat}"}
    for response in (api.post(CHAT, json=chat(), headers=headers), api.get(f"{PREFIX}/models", headers=headers)):
        inner = check_error(response, style, status, code)
        assert pat not in json.dumps(inner), "the PAT must never be echoed"


def test_rate_limit_is_429_with_retry_after(api: TestClient, style: str) -> None:
    headers = {"Authorization": "Bearer slow-pat"}
    assert api.post(CHAT, json=chat(), headers=headers).status_code == 200
    response = api.post(CHAT, json=chat(), headers=headers)
    check_error(response, style, 429, 11005)
    assert int(response.headers["retry-after"]) >= 1


# --- malformed bodies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"model": "x",}', b"[]", b'[{"model": "x"}]', b'"hello"', b"42", b"null", b"\xff\xfe{}"],
    ids=["empty", "garbage", "trailing-comma", "empty-array", "array", "string", "number", "null", "bad-utf8"],
)
def test_not_a_json_object_is_400_11100(api: TestClient, style: str, content: bytes) -> None:
    response = api.post(CHAT, content=content, headers={**AUTH, "content-type": "application/json"})
    check_error(response, style, 400, 11100)


def test_deeply_nested_json_is_400(roomy: TestClient, style: str) -> None:
    deep = b'{"model": "m", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    check_error(roomy.post(CHAT, content=deep, headers=AUTH), style, 400, 11100)


WRONG_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("content-int", chat(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
    ("max-tokens-str", chat(max_tokens="5"), "max_tokens"),
    ("max-tokens-negative", chat(max_tokens=-1), "max_tokens"),
    ("temperature-high", chat(temperature=5), "temperature"),
    ("temperature-str", chat(temperature="hot"), "temperature"),
    ("stream-str", chat(stream="yes"), "stream"),
    ("n-zero", chat(n=0), "n"),
    ("missing-model", {"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ("model-int", chat(model=5), "model"),
    ("missing-messages", {"model": GPT4O}, "messages"),
    ("empty-messages", chat(messages=[]), "messages"),
    ("messages-str", chat(messages="hello"), "messages"),
    ("message-str", chat(messages=["hello"]), "messages[0]"),
    (
        "role",
        chat(messages=[{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}]),
        "messages[1].role",
    ),
    ("missing-role", chat(messages=[{"content": "hi"}]), "messages[0].role"),
    (
        "part-text",
        chat(messages=[{"role": "user", "content": [{"type": "text", "text": 5}]}]),
        "messages[0].content[0].text",
    ),
    (
        "image-url",
        chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 1}}]}]),
        "messages[0].content[0].image_url.url",
    ),
    ("tool-name", chat(tools=[{"type": "function", "function": {"name": 5}}]), "tools[0].function.name"),
    ("response-format", chat(response_format={"type": "xml"}), "response_format.type"),
    ("include-usage", chat(stream=True, stream_options={"include_usage": "yes"}), "stream_options.include_usage"),
]


@pytest.mark.parametrize(("body", "param"), [(b, p) for _, b, p in WRONG_FIELDS], ids=[n for n, _, _ in WRONG_FIELDS])
def test_wrong_field_is_400_naming_it(api: TestClient, style: str, body: dict[str, Any], param: str) -> None:
    check_error(api.post(CHAT, json=body, headers=AUTH), style, 400, 21202, param)


def test_bad_tool_schema_is_400_not_500(api: TestClient, style: str) -> None:
    tools = [
        {"type": "function", "function": {"name": "ok", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "broken", "parameters": {"properties": 5, "required": 7}}},
    ]
    body = chat(tools=tools, tool_choice={"type": "function", "function": {"name": "broken"}})
    check_error(api.post(CHAT, json=body, headers=AUTH), style, 400, 21202, "tools[1].function.parameters")


def test_bad_response_schema_is_400_not_500(api: TestClient, style: str) -> None:
    body = chat(
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "string", "minLength": "5"}},
        }
    )
    check_error(api.post(CHAT, json=body, headers=AUTH), style, 400, 21202, "response_format.json_schema.schema")


# --- model errors ------------------------------------------------------------------------------------------------


def test_unknown_model_is_404_21200(api: TestClient, style: str) -> None:
    inner = check_error(api.post(CHAT, json=chat(model="acme/none/models/nothing"), headers=AUTH), style, 404, 21200)
    if style == "openai":
        assert inner["code"] == "model_not_found"


def test_non_chat_model_is_400(api: TestClient, style: str) -> None:
    for model in ("openai/embed/models/text-embedding-ada-002", "clarifai/main/models/general-image-recognition"):
        error_body(api.post(CHAT, json=chat(model=model), headers=AUTH), style, 400)


def test_max_tokens_on_o3_names_max_completion_tokens(api: TestClient, style: str) -> None:
    body = chat(model="openai/chat-completion/models/o3", max_tokens=50)
    inner = error_body(api.post(CHAT, json=body, headers=AUTH), style, 400)
    assert "max_completion_tokens" in inner["details" if style == "clarifai" else "message"]
    if style == "openai":
        assert inner["param"] == "max_tokens"
        assert inner["code"] == "unsupported_parameter"


# --- size, routes, methods ---------------------------------------------------------------------------------------


def test_body_over_limit_is_413(api: TestClient, style: str) -> None:
    body = chat(messages=[{"role": "user", "content": "x" * BODY_LIMIT}])
    error_body(api.post(CHAT, json=body, headers=AUTH), style, 413)


def test_chunked_body_over_limit_is_413(api: TestClient, style: str) -> None:
    def pieces() -> Iterator[bytes]:
        yield b'{"model": "m", "messages": [{"role": "user", "content": "'
        for _ in range(BODY_LIMIT // 512 + 1):
            yield b"x" * 512
        yield b'"}]}'

    error_body(api.post(CHAT, content=pieces(), headers=AUTH), style, 413)


def test_body_at_limit_is_served(api: TestClient) -> None:
    body = json.dumps(chat()).encode()
    body = body[:-1] + b", " + b'"pad": "' + b"x" * (BODY_LIMIT - len(body) - 11) + b'"}'
    assert len(body) == BODY_LIMIT
    assert api.post(CHAT, content=body, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{PREFIX}/nothing-here", 404),
        ("POST", f"{PREFIX}/completions/legacy", 404),
        ("GET", "/", 404),
        ("GET", CHAT, 405),
        ("PUT", CHAT, 405),
        ("DELETE", f"{PREFIX}/models", 405),
        ("POST", f"{PREFIX}/models/{GPT4O}", 405),
    ],
)
def test_unknown_routes_and_methods(api: TestClient, style: str, method: str, path: str, status: int) -> None:
    inner = error_body(api.request(method, path, headers=AUTH), style, status)
    text = inner["details" if style == "clarifai" else "message"]
    assert method in text


# --- fuzz --------------------------------------------------------------------------------------------------------

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "kind": {"enum": ["a", "b"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["location", "days"],
}
_BASES: list[dict[str, Any]] = [
    chat(),
    chat(stream=True, n=2, max_tokens=7, stop=["."], temperature=0.5),
    chat(tools=[{"type": "function", "function": {"name": "look", "parameters": _SCHEMA}}], tool_choice="required"),
    chat(response_format={"type": "json_schema", "json_schema": {"name": "out", "schema": _SCHEMA}}, stream=True),
    chat(
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "look", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "{}"},
        ],
        stream_options={"include_usage": True},
    ),
]


def _weird(rng: random.Random) -> Any:
    choices: list[Callable[[], Any]] = [
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.choice([0, -1, 1, 2**63, -(2**70), 10**30]),
        lambda: rng.choice([0.5, -0.0, 1e308, -1e308, float("nan"), float("inf")]),
        lambda: rng.choice(["", "x", "user", "function", "required", "json_schema", "\ud800", "\x00", "日本語", "💥"]),
        lambda: "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 40))),
        lambda: rng.choice([[], {}, [None], {"": None}, {"type": "banana"}, {"$ref": "#/nowhere"}, {"$ref": "#"}]),
        lambda: _nested(rng.randint(1, 400)),
    ]
    return rng.choice(choices)()


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def _containers(root: Any) -> list[Any]:
    found, stack = [], [root]
    while stack:
        value = stack.pop()
        if isinstance(value, dict | list):
            found.append(value)
            stack.extend(value.values() if isinstance(value, dict) else value)
    return found


def _mutate(rng: random.Random, body: dict[str, Any]) -> None:
    target = rng.choice(_containers(body))
    keys: list[Any] = list(target) if isinstance(target, dict) else list(range(len(target)))
    action = rng.randrange(4)
    if keys and action == 0:
        del target[rng.choice(keys)]
    elif keys and action == 1:
        target[rng.choice(keys)] = _weird(rng)
    elif keys and action == 2:
        key = rng.choice(keys)
        target[key] = rng.choice([[target[key]], {"value": target[key]}, str(target[key])])
    elif isinstance(target, dict):
        target[rng.choice(["extra", "", "model", "messages", "tools", "n", "\ud800", "stop"])] = _weird(rng)
    else:
        target.append(_weird(rng))


def _corrupt(rng: random.Random, raw: bytes) -> bytes:
    position = rng.randrange(len(raw) + 1)
    action = rng.randrange(3)
    if action == 0:
        return raw[:position]
    if action == 1:
        return raw[:position] + bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 4))) + raw[position:]
    return raw[:position] + bytes([rng.randrange(256)]) + raw[position + 1 :]


def fuzz_cases(count: int) -> Iterator[bytes]:
    """Deterministic garbled variants of valid bodies: mutated trees, then sometimes corrupted bytes."""
    rng = random.Random(0)
    for _ in range(count):
        body = copy.deepcopy(rng.choice(_BASES))
        for _ in range(rng.randint(1, 3)):
            _mutate(rng, body)
        raw = json.dumps(body).encode()
        if rng.random() < 0.05:  # nesting deeper than any parser's recursion limit
            depth = rng.randint(500, 5000)
            raw = raw.replace(b'"Hello there."', b"[" * depth + b"]" * depth, 1)
        yield _corrupt(rng, raw) if rng.random() < 0.25 else raw


def check_any_answer(response: Any, style: str) -> int:
    """Whatever the input, the answer is a well-formed success or a well-formed error, never a 500."""
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        error_body(response, style, response.status_code)
    elif response.headers["content-type"] == "text/event-stream":
        frames = response.text.split("\n\n")
        assert frames[-2:] == ["data: [DONE]", ""]
        for frame in frames[:-2]:
            ChatCompletionChunk.model_validate(json.loads(frame.removeprefix("data: ")))
    else:
        assert response.headers["content-type"] == "application/json"
        ChatCompletion.model_validate(response.json())
    return int(response.status_code)


def test_fuzzed_bodies_never_500(roomy: TestClient, style: str) -> None:
    statuses: dict[int, int] = {}
    for raw in fuzz_cases(300):
        status = check_any_answer(roomy.post(CHAT, content=raw, headers=AUTH), style)
        statuses[status] = statuses.get(status, 0) + 1
    # The corpus exercises both paths: plenty of accepted bodies and plenty of rejected ones.
    assert statuses.get(200, 0) > 30
    assert statuses.get(400, 0) > 30


@pytest.mark.parametrize(
    "raw",
    [
        b'{"model": "' + GPT4O.encode() + b'", "messages": [{"role": "user", "content": "\\ud800"}]}',
        b'{"model": "' + GPT4O.encode() + b'", "messages": [{"role": "user", "content": "hi"}], "n": 1e400}',
        b'{"model": "' + GPT4O.encode() + b'", "messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
        b'{"model": "\\u0000", "messages": [{"role": "user", "content": "hi"}]}',
        json.dumps(
            chat(response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": {"const": "\ud800"}}})
        ).encode(),
        json.dumps(
            chat(
                tools=[
                    {
                        "type": "function",
                        "function": {
                            "name": "f",
                            "parameters": {
                                "type": "object",
                                "properties": {"a": {"enum": ["\udfff"]}},
                                "required": ["a"],
                            },
                        },
                    }
                ],
                tool_choice="required",
                stream=True,
            )
        ).encode(),
        json.dumps(
            chat(
                tools=[{"type": "function", "function": {"name": "f", "parameters": _nested(400)}}],
                tool_choice="required",
            )
        ).encode(),
        json.dumps(chat(stop=["", "\ud800"], max_completion_tokens=0)).encode(),
    ],
    ids=[
        "surrogate-content",
        "huge-n",
        "nan",
        "nul-model",
        "surrogate-const",
        "surrogate-enum",
        "deep-schema",
        "odd-stop",
    ],
)
def test_edge_bodies_never_500(roomy: TestClient, style: str, raw: bytes) -> None:
    check_any_answer(roomy.post(CHAT, content=raw, headers=AUTH), style)


def test_bad_seed_header_is_400(api: TestClient, style: str) -> None:
    for seed in ("seven", "1.5", "9" * 5000):
        error_body(api.post(CHAT, json=chat(), headers={**AUTH, "x-mock-seed": seed}), style, 400)
