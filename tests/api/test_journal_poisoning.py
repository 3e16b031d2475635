"""Nothing a client sends can make the journal or the fixture listing fail: bad numbers and deep nesting get a 400."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver import FixtureFileError
from mockserver.fixtures.files import load_file
from mockserver.journal import JournalEntry
from mockserver.json_body import MAX_DEPTH

CHAT = "/v2/ext/openai/v1/chat/completions"
GPT4O = "openai/chat-completion/models/gpt-4o"
AUTH = {"Authorization": "Bearer poison-pat", "Content-Type": "application/json"}
AppClient = Callable[..., TestClient]


def chat_body(**extra: object) -> str:
    return json.dumps({"model": GPT4O, "messages": [{"role": "user", "content": "hi"}], **extra})


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def listings_work(client: TestClient) -> None:
    for path in ("/__mock__/journal", "/__mock__/fixtures"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)


@pytest.mark.parametrize(
    "body",
    [
        chat_body()[:-1] + ', "temperature": 1e999}',
        chat_body()[:-1] + ', "metadata": {"k": -1e999}}',
        chat_body()[:-1] + ', "metadata": {"k": [1, 2, 1e400]}}',
        chat_body()[:-1] + f', "metadata": {nested(960)}}}',
        chat_body()[:-1] + f', "x": {nested(MAX_DEPTH)}}}',
        '{"model": "nope", "messages": "wrong", "x": 1e999}',
    ],
    ids=["temperature", "metadata", "in-a-list", "deep-960", "just-past-the-limit", "with-another-error"],
)
def test_a_poisoned_chat_gets_a_400_and_the_journal_stays_readable(app_client: AppClient, body: str) -> None:
    client = app_client()
    answer = client.post(CHAT, content=body, headers=AUTH)
    assert answer.status_code == 400
    reason = answer.json()["status"]["details"]
    assert "out of JSON's range" in reason or "nested more than" in reason or "not valid JSON" in reason
    listings_work(client)
    assert client.get("/__mock__/journal").json()["entries"][-1]["status"] == 400


def test_nesting_up_to_the_limit_is_served(app_client: AppClient) -> None:
    client = app_client()
    body = chat_body()[:-1] + f', "metadata_extra": {nested(MAX_DEPTH - 2)}}}'
    assert client.post(CHAT, content=body, headers=AUTH).status_code == 200
    listings_work(client)


def test_deeply_nested_fixture_arguments_are_refused(app_client: AppClient) -> None:
    client = app_client()
    arguments: object = {}
    for _ in range(600):
        arguments = {"a": arguments}
    fixture = {"match": {"user": "deep"}, "reply": {"tool_calls": [{"name": "f", "arguments": arguments}]}}
    answer = client.post("/__mock__/fixtures", content=json.dumps(fixture), headers=AUTH)
    assert answer.status_code == 400
    assert "nested more than" in answer.json()["status"]["details"]
    listings_work(client)
    chat = client.post(CHAT, content=json.dumps({"model": GPT4O, "messages": [{"role": "user", "content": "deep"}]}))
    assert chat.status_code != 500


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version: 1\nfixtures:\n  - match: {user: x}\n    reply: {content: hi, headers: {a: .inf}}\n", "range"),
        ("version: 1\nfixtures:\n  - match: {user: x}\n    reply: {content: hi}\n    x: " + nested(200) + "\n", "deep"),
        ("version: 1\nfixtures: &loop [*loop]\n", "deep"),
    ],
    ids=["yaml-inf", "yaml-deep", "yaml-alias-cycle"],
)
def test_fixture_files_that_could_not_be_listed_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(FixtureFileError, match=problem):
        load_file(path)


def test_an_entry_always_serialises_even_when_built_by_hand() -> None:
    deep: object = []
    for _ in range(500):
        deep = [deep]
    entry = JournalEntry(request={"t": math.inf, "n": math.nan, "deep": deep}, usage={"x": -math.inf})
    text = json.dumps(entry.to_json(), allow_nan=False)
    assert "'inf'" not in text
    assert '"inf"' in text
    assert "nested more than" in text


def test_a_deeply_nested_tool_result_is_text_not_a_500(app_client: AppClient) -> None:
    client = app_client()
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": nested(100_000)},  # a string: the body itself is shallow
    ]
    answer = client.post(CHAT, content=json.dumps({"model": GPT4O, "messages": messages}), headers=AUTH)
    assert answer.status_code == 200
    listings_work(client)
