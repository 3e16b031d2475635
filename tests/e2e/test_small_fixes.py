"""Small spec conformances: integral floats count as integers, Responses echoes tools as ``FunctionTool``, and a
killed recorder's temp files are cleaned up while recordings stay valid."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from openai.types import CreateEmbeddingResponse, ImagesResponse
from openai.types.chat import ChatCompletion
from openai.types.responses import FunctionTool, Response

from mockserver import Fixture, Recorder
from mockserver.fixtures.files import dump_fixture_file, load_file, remove_stale_temps

GPT4O = "openai/chat-completion/models/gpt-4o"
LARGE = "openai/embed/models/text-embedding-3-large"
GROK_IMAGE = "xai/image-generation/models/grok-2-image-1212"


def test_n_of_1_0_is_an_integer(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=GPT4O, messages=[{"role": "user", "content": "hi"}], extra_body={"n": 2.0, "max_tokens": 50.0}
    )
    ChatCompletion.model_validate(completion.model_dump())
    assert len(completion.choices) == 2


def test_dimensions_of_8_0_is_an_integer(client: openai.OpenAI) -> None:
    reply = client.embeddings.create(model=LARGE, input="hi", extra_body={"dimensions": 8.0})
    CreateEmbeddingResponse.model_validate(reply.model_dump())
    assert len(reply.data[0].embedding) == 8


def test_image_n_of_1_0_is_an_integer(client: openai.OpenAI) -> None:
    reply = client.images.generate(model=GROK_IMAGE, prompt="a cat", extra_body={"n": 1.0})
    ImagesResponse.model_validate(reply.model_dump())
    assert len(reply.data or []) == 1


@pytest.mark.parametrize("n", [1.5, "1", True])
def test_non_integers_are_still_refused(client: openai.OpenAI, n: object) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=GPT4O, messages=[{"role": "user", "content": "hi"}], extra_body={"n": n})
    assert "Invalid 'n'" in refused.value.response.json()["status"]["details"]


def test_responses_echo_tools_as_function_tools(client: openai.OpenAI) -> None:
    response = client.responses.with_raw_response.create(
        model=GPT4O,
        input="hi",
        tools=[
            {"type": "function", "name": "bare", "parameters": None, "strict": None},
            {"type": "function", "name": "full", "parameters": {"type": "object"}, "strict": False},
        ],
    )
    raw = response.http_response.json()
    Response.model_validate(raw)
    bare, full = raw["tools"]
    for tool in (bare, full):
        FunctionTool.model_validate(tool)
        assert {"type", "name", "parameters", "strict"} <= tool.keys()  # the spec's required fields
    assert (bare["parameters"], bare["strict"]) == (None, True)
    assert (full["parameters"], full["strict"]) == ({"type": "object"}, False)


def fixture(content: str) -> Fixture:
    return Fixture.model_validate({"match": {"user": content}, "reply": {"content": content}})


def test_temp_files_of_a_killed_writer_are_removed_on_the_next_commit(tmp_path: Path) -> None:
    path = tmp_path / "recording.yaml"
    dump_fixture_file(path, [fixture("first")])
    left = [tmp_path / ".recording.yaml.ab12cd_9", tmp_path / ".recording.yaml.zz99zz99"]
    for temp in left:
        temp.write_text("version: 1\nfixtures: [half-writ")  # what kill -9 mid-write leaves
    unrelated = tmp_path / ".recording.yaml.keep-me-please"
    unrelated.write_text("mine")
    dump_fixture_file(path, [fixture("first"), fixture("second")])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".recording.yaml.keep-me-please", "recording.yaml"]
    assert len(load_file(path)) == 2


def test_the_recorder_cleans_up_when_it_loads(tmp_path: Path) -> None:
    path = tmp_path / "recording.yaml"
    dump_fixture_file(path, [fixture("first")])
    (tmp_path / ".recording.yaml.k1ll3d00").write_text("partial")
    recorder = Recorder(path)
    assert [p.name for p in tmp_path.iterdir()] == ["recording.yaml"]
    assert len(recorder.fixtures) == 1


def test_a_missing_folder_is_no_error(tmp_path: Path) -> None:
    assert remove_stale_temps(tmp_path / "absent" / "recording.yaml") == []
