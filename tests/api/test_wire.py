"""Raw-HTTP checks of the wire rules real clients depend on: SSE framing, chunk rules, usage chunks, headers and
deterministic replies. These read bytes, not SDK objects, so nothing a client library forgives can hide here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx
import jsonschema
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from starlette.testclient import TestClient

GPT4O = "openai/chat-completion/models/gpt-4o"
GPT_OSS = "openai/chat-completion/models/gpt-oss-120b"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
AUTH = {"Authorization": "Bearer test-pat"}
CHAT = "/v2/ext/openai/v1/chat/completions"

LOOKUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "units": {"type": "string", "enum": ["metric", "imperial"]},
        "include": {"type": "array", "items": {"type": "string", "enum": ["wind", "rain", "uv"]}, "minItems": 1},
    },
    "required": ["location", "days", "units", "include"],
    "additionalProperties": False,
}
TOOLS = [{"type": "function", "function": {"name": "forecast", "parameters": LOOKUP_SCHEMA}}]

AppClient = Callable[..., TestClient]


def chat(content: str = "Tell me something.", **extra: Any) -> dict[str, Any]:
    return {"model": GPT4O, "messages": [{"role": "user", "content": content}], **extra}


class Reply(Protocol):
    """What these tests read from an ``httpx`` response or a Starlette ``TestClient`` (``httpx2``) one."""

    status_code: int

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


def sse_chunks(response: Reply) -> list[dict[str, Any]]:
    """The JSON chunks of a chat stream, after checking the framing byte by byte."""
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    body = response.content
    assert body.endswith(b"\n\ndata: [DONE]\n\n")
    assert body.count(b"[DONE]") == 1
    events = body.decode().split("\n\n")
    assert events[-1] == ""
    assert events[-2] == "data: [DONE]"
    chunks = []
    for event in events[:-2]:
        # One line per event, a `data:` line: no `event:`, `id:` or comment lines in chat streams.
        assert "\n" not in event
        assert event.startswith("data: {")
        chunks.append(json.loads(event.removeprefix("data: ")))
    return chunks


def check_tool_deltas(deltas: list[dict[str, Any]], schemas: dict[str, dict[str, Any]]) -> int:
    """Tool-call delta rules for one choice; returns how many calls were streamed."""
    arguments: dict[int, str] = {}
    names: dict[int, str] = {}
    for delta in deltas:
        for call in delta.get("tool_calls") or []:
            index = call["index"]
            if index not in arguments:
                assert call["type"] == "function"
                assert call["id"]
                assert call["function"]["name"] in schemas
                arguments[index] = call["function"].get("arguments", "")
                names[index] = call["function"]["name"]
            else:
                assert set(call) == {"index", "function"}, call
                assert set(call["function"]) == {"arguments"}, call
                arguments[index] += call["function"]["arguments"]
    for index, text in arguments.items():
        jsonschema.validate(json.loads(text), schemas[names[index]])
    return len(arguments)


def check_stream(
    chunks: list[dict[str, Any]], *, usage: bool = True, schemas: dict[str, dict[str, Any]] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Every rule of openai-wire §4 on a decoded stream; returns each choice's deltas."""
    assert chunks
    for chunk in chunks:
        ChatCompletionChunk.model_validate(chunk)
        assert chunk["object"] == "chat.completion.chunk"
    assert len({(c["id"], c["created"], c["model"]) for c in chunks}) == 1
    choice_chunks = chunks
    if usage:
        *choice_chunks, last = chunks
        assert last["choices"] == []
        assert last["usage"]["total_tokens"] == last["usage"]["prompt_tokens"] + last["usage"]["completion_tokens"]
        assert all("usage" in c and c["usage"] is None for c in choice_chunks)
    else:
        assert all("usage" not in c for c in chunks)
    deltas: dict[int, list[dict[str, Any]]] = {}
    finishes: dict[int, list[str | None]] = {}
    for chunk in choice_chunks:
        assert chunk["choices"], "only the usage chunk may have no choices"
        for choice in chunk["choices"]:
            deltas.setdefault(choice["index"], []).append(choice["delta"])
            finishes.setdefault(choice["index"], []).append(choice["finish_reason"])
    for index, choice_deltas in deltas.items():
        assert choice_deltas[0].get("role") == "assistant"
        assert all("role" not in d for d in choice_deltas[1:])
        *before, final = finishes[index]
        assert final in ("stop", "length", "tool_calls")
        assert before == [None] * len(before)
        check_tool_deltas(choice_deltas, schemas or {})
    return deltas


def joined(deltas: list[dict[str, Any]], key: str = "content") -> str:
    return "".join(d.get(key) or "" for d in deltas)


# --- content types and framing -----------------------------------------------------------------------------------


def test_json_content_type_is_exact(http: httpx.Client) -> None:
    for response in (http.post("chat/completions", json=chat()), http.get("models"), http.post("chat/completions")):
        assert response.headers["content-type"] == "application/json"


def test_text_stream_follows_every_rule(http: httpx.Client) -> None:
    chunks = sse_chunks(http.post("chat/completions", json=chat(stream=True)))
    deltas = check_stream(chunks)
    assert len(deltas[0]) > 2
    whole = http.post("chat/completions", json=chat()).json()
    assert joined(deltas[0]) == ChatCompletion.model_validate(whole).choices[0].message.content
    assert chunks[-1]["usage"] == whole["usage"]
    # The finishing chunk carries an empty delta, as OpenAI sends it.
    assert chunks[-2]["choices"][0]["delta"] == {}


def test_tool_call_stream_follows_every_rule(http: httpx.Client) -> None:
    body = chat("Forecast please.", tools=TOOLS, tool_choice="required", stream=True)
    chunks = sse_chunks(http.post("chat/completions", json=body))
    deltas = check_stream(chunks, schemas={"forecast": LOOKUP_SCHEMA})[0]
    assert check_tool_deltas(deltas, {"forecast": LOOKUP_SCHEMA}) == 1
    assert len(deltas) > 3, "arguments should arrive in several fragments"
    first = deltas[0]["tool_calls"][0]
    assert first["function"]["arguments"] == ""
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    whole = http.post("chat/completions", json={**body, "stream": False}).json()
    call = whole["choices"][0]["message"]["tool_calls"][0]
    assert first["id"] == call["id"]
    fragments = [d["tool_calls"][0]["function"]["arguments"] for d in deltas if "tool_calls" in d]
    assert "".join(fragments) == call["function"]["arguments"]


def test_multiple_choices_stream_follows_every_rule(http: httpx.Client) -> None:
    deltas = check_stream(sse_chunks(http.post("chat/completions", json=chat(n=3, stream=True))))
    assert sorted(deltas) == [0, 1, 2]
    assert len({joined(d) for d in deltas.values()}) == 3


def test_reasoning_stream_follows_every_rule(http: httpx.Client) -> None:
    body = {**chat("Think first."), "model": GPT_OSS, "stream": True}
    chunks = sse_chunks(http.post("chat/completions", json=body))
    deltas = check_stream(chunks)[0]
    assert joined(deltas, "reasoning_content")
    assert joined(deltas)
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_truncated_stream_finishes_with_length(http: httpx.Client) -> None:
    chunks = sse_chunks(http.post("chat/completions", json=chat(max_tokens=2, stream=True)))
    check_stream(chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["usage"]["completion_tokens"] <= 2


# --- usage chunk policy ------------------------------------------------------------------------------------------


def test_usage_chunk_is_sent_by_default_without_asking(http: httpx.Client) -> None:
    chunks = sse_chunks(http.post("chat/completions", json=chat(stream=True)))
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] > 0


@pytest.mark.parametrize(
    ("stream_options", "expect_usage"),
    [(None, False), ({"include_usage": False}, False), ({}, False), ({"include_usage": True}, True)],
)
def test_requested_usage_setting_follows_stream_options(
    app_client: AppClient, stream_options: dict[str, Any] | None, expect_usage: bool
) -> None:
    client = app_client(stream_usage="requested")
    body = chat(stream=True) | ({"stream_options": stream_options} if stream_options is not None else {})
    chunks = sse_chunks(client.post(CHAT, json=body, headers=AUTH))
    check_stream(chunks, usage=expect_usage)
    assert (chunks[-1]["choices"] == []) is expect_usage


def root(http: httpx.Client, path: str) -> str:
    """An absolute URL outside the API prefix (httpx would put a relative path under the base URL)."""
    return str(http.base_url.copy_with(path=path))


# --- request ids -------------------------------------------------------------------------------------------------


def _requests(http: httpx.Client) -> list[httpx.Response]:
    return [
        http.post("chat/completions", json=chat()),
        http.post("chat/completions", json=chat(stream=True)),
        http.get("models"),
        http.get(f"models/{GPT4O}"),
        http.get(root(http, "/__mock__/health")),
    ]


def _error_requests(http: httpx.Client) -> list[httpx.Response]:
    return [
        http.post("chat/completions", content=b"{not json"),
        http.post("chat/completions", json=chat(temperature=9)),
        http.post("chat/completions", json=chat(), headers={"Authorization": ""}),
        http.post("chat/completions", json={**chat(), "model": "no/such/models/model"}),
        http.get("models/no/such/models/model"),
        http.get("no-such-route"),
        http.get(root(http, "/nowhere/at/all")),
        http.get("chat/completions"),
        http.delete("models"),
    ]


def test_every_success_has_a_request_id(http: httpx.Client) -> None:
    for response in _requests(http):
        assert response.status_code == 200, response.url
        rid = response.headers["x-clarifai-request-id"]
        assert REQUEST_ID.match(rid)
        assert response.headers["x-request-id"] == rid  # what the SDKs expose as `request_id`


def test_every_error_has_a_request_id_equal_to_req_id(http: httpx.Client) -> None:
    statuses = []
    for response in _error_requests(http):
        statuses.append(response.status_code)
        rid = response.headers["x-clarifai-request-id"]
        assert REQUEST_ID.match(rid)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["status"]["req_id"] == rid
    assert statuses == [400, 400, 401, 404, 404, 404, 404, 405, 405]


def test_request_ids_are_unique(http: httpx.Client) -> None:
    ids = {r.headers["x-clarifai-request-id"] for r in _requests(http) + _error_requests(http)}
    assert len(ids) == len(_requests(http)) + len(_error_requests(http))


def test_too_large_body_has_a_request_id(app_client: AppClient) -> None:
    response = app_client(max_body_bytes=100).post(CHAT, json=chat("x" * 200), headers=AUTH)
    assert response.status_code == 413
    assert response.json()["status"]["req_id"] == response.headers["x-clarifai-request-id"]


# --- determinism -------------------------------------------------------------------------------------------------

_VOLATILE = re.compile(rb'"id":"chatcmpl-[0-9A-Za-z]+"|"created":\d+')


def masked(body: bytes) -> bytes:
    """The body with the completion id and timestamp blanked, the only parts allowed to change between calls."""
    masked_body, count = _VOLATILE.subn(b"<volatile>", body)
    assert count >= 2
    return masked_body


@pytest.mark.parametrize(
    "body",
    [
        chat("Same question."),
        chat("Same question.", stream=True),
        chat("Same tools.", tools=TOOLS, tool_choice="required"),
        chat("Same tools.", tools=TOOLS, tool_choice="required", stream=True),
        chat("Same question.", n=2, max_tokens=5),
    ],
    ids=["json", "stream", "tools", "tools-stream", "n-limit"],
)
def test_same_request_same_bytes_except_ids(http: httpx.Client, body: dict[str, Any]) -> None:
    first, second = http.post("chat/completions", json=body), http.post("chat/completions", json=body)
    assert first.status_code == second.status_code == 200
    assert first.content != second.content, "ids differ without a seed"
    assert masked(first.content) == masked(second.content)
    assert first.headers["x-clarifai-request-id"] != second.headers["x-clarifai-request-id"]


@pytest.mark.parametrize("stream", [False, True])
def test_seed_setting_pins_everything(app_client: AppClient, stream: bool) -> None:
    client = app_client(seed=7)
    first, second = (client.post(CHAT, json=chat("Pinned.", stream=stream), headers=AUTH) for _ in range(2))
    assert first.status_code == 200
    assert first.content == second.content
    assert first.headers["x-clarifai-request-id"] == second.headers["x-clarifai-request-id"]
    assert REQUEST_ID.match(first.headers["x-clarifai-request-id"])
    other = client.post(CHAT, json=chat("Pinned, but another question.", stream=stream), headers=AUTH)
    assert other.headers["x-clarifai-request-id"] != first.headers["x-clarifai-request-id"]
    assert masked(other.content) != masked(first.content)


def test_seed_header_pins_everything(http: httpx.Client) -> None:
    def post(seed: str) -> httpx.Response:
        return http.post("chat/completions", json=chat("Pinned by header."), headers={"x-mock-seed": seed})

    first, second, other_seed = post("7"), post("7"), post("8")
    assert first.content == second.content
    assert first.headers["x-clarifai-request-id"] == second.headers["x-clarifai-request-id"]
    # Another seed pins other ids, but the answer itself still comes from the request.
    assert other_seed.content != first.content
    assert masked(other_seed.content) == masked(first.content)
    assert other_seed.headers["x-clarifai-request-id"] != first.headers["x-clarifai-request-id"]


def test_seed_header_must_be_an_integer(http: httpx.Client) -> None:
    response = http.post("chat/completions", json=chat(), headers={"x-mock-seed": "seven"})
    assert response.status_code == 400
    assert "x-mock-seed" in response.json()["status"]["details"]


@pytest.mark.parametrize(
    "model",
    [
        f"https://clarifai.com/{GPT4O}",
        f"{GPT4O}/versions/0123456789abcdef0123456789abcdef",
        "gpt-4o",
        "OpenAI/Chat-Completion/Models/GPT-4o",
    ],
)
def test_every_model_id_form_gets_the_same_answer(http: httpx.Client, model: str) -> None:
    canonical = http.post("chat/completions", json=chat("Which form?", n=2)).json()
    other = http.post("chat/completions", json={**chat("Which form?", n=2), "model": model}).json()
    assert other["choices"] == canonical["choices"]
    assert other["usage"] == canonical["usage"]
    assert other["model"] == model  # the reply echoes the id the caller used


def test_streamed_and_plain_answers_agree(http: httpx.Client) -> None:
    body = chat("Both ways.", n=2)
    plain = http.post("chat/completions", json=body).json()
    deltas = check_stream(sse_chunks(http.post("chat/completions", json={**body, "stream": True})))
    assert [joined(deltas[i]) for i in (0, 1)] == [c["message"]["content"] for c in plain["choices"]]
