"""``POST /embeddings`` and ``POST /images/generations`` through the official ``openai`` SDK: both embedding
encodings, dimensions, usage, pictures by URL and as base64, and the per-picture ledger charge.

Raw bodies are re-validated with the SDK's own pydantic types, because the SDK builds its objects without validation.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Iterator
from typing import Any, cast

import httpx
import openai
import pytest
from openai.types import CreateEmbeddingResponse, ImagesResponse

from mockserver import MockServer, Settings

ADA = "openai/embed/models/text-embedding-ada-002"
LARGE = "openai/embed/models/text-embedding-3-large"
GPT4O = "openai/chat-completion/models/gpt-4o"
GROK_IMAGE = "xai/image-generation/models/grok-2-image-1212"
PAT = "media-pat"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """One mock for this module."""
    with MockServer(Settings(port=0)) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=PAT, max_retries=0) as sdk:
        yield sdk


def unpack(encoded: str) -> list[float]:
    """A base64 embedding decoded as little-endian float32, the way the SDKs decode it."""
    blob = base64.b64decode(encoded)
    assert len(blob) % 4 == 0
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def raw_embeddings(client: openai.OpenAI, **params: Any) -> dict[str, Any]:
    """The raw JSON body of ``embeddings.create``, validated with the SDK's type (which, like the SDK's own
    post-processing, wants base64 vectors decoded first)."""
    raw = client.embeddings.with_raw_response.create(**params)
    assert raw.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(raw.text)
    decoded = [
        {**item, "embedding": unpack(item["embedding"]) if isinstance(item["embedding"], str) else item["embedding"]}
        for item in body["data"]
    ]
    CreateEmbeddingResponse.model_validate({**body, "data": decoded})
    return body


def vectors(client: openai.OpenAI, model: str, texts: list[str], **params: Any) -> list[list[float]]:
    response = client.embeddings.create(model=model, input=texts, **params)
    assert [item.index for item in response.data] == list(range(len(texts)))
    return [item.embedding for item in response.data]


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def error_details(exc: openai.APIStatusError) -> str:
    assert isinstance(exc.body, dict)
    details: str = exc.body["status"]["details"]
    return details


# --- embeddings --------------------------------------------------------------------------------------------------


def test_default_base64_and_float_encodings_give_the_same_vectors(client: openai.OpenAI) -> None:
    texts = ["The food was delicious.", "The waiter was rude."]
    decoded = vectors(client, ADA, texts)
    floats = vectors(client, ADA, texts, encoding_format="float")
    assert decoded == floats
    assert all(len(vector) == 1536 for vector in floats)


def test_vectors_are_unit_length_deterministic_and_distinct(client: openai.OpenAI) -> None:
    first = vectors(client, ADA, ["alpha", "beta"], encoding_format="float")
    again = vectors(client, ADA, ["beta"], encoding_format="float")
    assert all(abs(norm(vector) - 1) < 1e-5 for vector in first)
    assert again[0] == first[1]
    assert first[0] != first[1]
    other_model = vectors(client, LARGE, ["alpha"], encoding_format="float", dimensions=1536)
    assert other_model[0] != first[0]


def test_raw_base64_is_little_endian_float32(client: openai.OpenAI) -> None:
    encoded = raw_embeddings(client, model=ADA, input="Pack me.", encoding_format="base64")
    plain = raw_embeddings(client, model=ADA, input="Pack me.", encoding_format="float")
    assert isinstance(encoded["data"][0]["embedding"], str)
    assert len(base64.b64decode(encoded["data"][0]["embedding"])) == 4 * 1536
    assert unpack(encoded["data"][0]["embedding"]) == plain["data"][0]["embedding"]
    assert encoded["object"] == "list"
    assert encoded["data"][0]["object"] == "embedding"
    assert encoded["model"] == ADA


def test_usage_counts_prompt_tokens(client: openai.OpenAI) -> None:
    short = raw_embeddings(client, model=ADA, input="Short.", encoding_format="float")["usage"]
    long = raw_embeddings(client, model=ADA, input="A much longer sentence " * 20, encoding_format="float")["usage"]
    assert short["prompt_tokens"] > 0
    assert short["total_tokens"] == short["prompt_tokens"]
    assert long["prompt_tokens"] > short["prompt_tokens"]


def test_dimensions_on_text_embedding_3(client: openai.OpenAI) -> None:
    full = vectors(client, LARGE, ["Shorten me."], encoding_format="float")[0]
    short = vectors(client, LARGE, ["Shorten me."], dimensions=256)[0]
    assert len(full) == 3072
    assert len(short) == 256
    assert abs(norm(short) - 1) < 1e-5


def test_dimensions_on_ada_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=ADA, input="No.", dimensions=256)
    assert "'dimensions'" in error_details(caught.value)


def test_dimensions_above_the_native_size_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=LARGE, input="No.", dimensions=3073)
    assert "'dimensions'" in error_details(caught.value)


def test_token_id_inputs(client: openai.OpenAI) -> None:
    one = raw_embeddings(client, model=ADA, input=[101, 202, 303], encoding_format="float")
    two = raw_embeddings(client, model=ADA, input=[[101, 202, 303], [404]], encoding_format="float")
    assert len(one["data"]) == 1
    assert len(two["data"]) == 2
    assert one["data"][0]["embedding"] == two["data"][0]["embedding"]


def test_chat_model_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=GPT4O, input="No.")
    assert "embeddings" in error_details(caught.value)


def test_streaming_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=ADA, input="No.", extra_body={"stream": True})
    assert "'stream'" in error_details(caught.value)


def test_empty_input_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=ADA, input=[])
    assert "'input'" in error_details(caught.value)


# --- images ------------------------------------------------------------------------------------------------------


def test_default_url_serves_a_small_png(client: openai.OpenAI) -> None:
    raw = client.images.with_raw_response.generate(model=GROK_IMAGE, prompt="A lighthouse at dusk.")
    body = json.loads(raw.text)
    ImagesResponse.model_validate(body)
    response = raw.parse()
    assert response.data is not None
    url = response.data[0].url
    assert url is not None
    picture = httpx.get(url)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/png"
    width, height = png_size(picture.content)
    assert 0 < width <= 256
    assert 0 < height <= 256
    assert httpx.get(url).content == picture.content


@pytest.mark.parametrize(("forwarded", "scheme"), [({}, "http://"), ({"x-forwarded-proto": "https"}, "https://")])
def test_picture_urls_follow_a_trusted_proxys_scheme(
    server: MockServer, forwarded: dict[str, str], scheme: str
) -> None:
    # uvicorn's proxy-header handling is skipped for requests without forwarded headers (protocol/http.py); one
    # that sends them from a trusted address (127.0.0.1) still gets its scheme, so TLS proxies' clients get https links.
    with openai.OpenAI(base_url=server.base_url, api_key=PAT, max_retries=0, default_headers=forwarded) as sdk:
        response = sdk.images.generate(model=GROK_IMAGE, prompt="A harbour at night.")
    assert response.data is not None
    url = response.data[0].url
    assert url is not None
    assert url.startswith(scheme + "127.0.0.1:")


def test_b64_json_decodes_to_a_png(client: openai.OpenAI) -> None:
    raw = client.images.with_raw_response.generate(
        model=GROK_IMAGE, prompt="A red fox.", response_format="b64_json", size="512x256"
    )
    body = json.loads(raw.text)
    ImagesResponse.model_validate(body)
    picture = base64.b64decode(body["data"][0]["b64_json"])
    assert png_size(picture) == (256, 128)


def test_n_gives_that_many_different_pictures(client: openai.OpenAI) -> None:
    response = client.images.generate(model=GROK_IMAGE, prompt="Two cats.", n=2, response_format="b64_json")
    assert response.data is not None
    pictures = [item.b64_json for item in response.data]
    assert len(pictures) == 2
    assert pictures[0] != pictures[1]


@pytest.mark.parametrize("size", ["auto", "²x²", "9" * 5000 + "x1", "1024x"])
def test_odd_sizes_fall_back_to_the_default(client: openai.OpenAI, size: str) -> None:
    response = client.images.generate(model=GROK_IMAGE, prompt="Odd size.", size=cast(Any, size))
    assert response.data is not None
    url = response.data[0].url
    assert url is not None
    assert png_size(httpx.get(url).content) == (256, 256)


@pytest.mark.parametrize("name", ["12.png", "²-1x1.png", "1-²x1.png", "1-1x1.jpg", "9" * 5000 + "-1x1.png"])
def test_picture_urls_that_were_never_made_are_not_found(server: MockServer, name: str) -> None:
    assert httpx.get(f"{server.url}/__mock__/images/{name}").status_code == 404


def test_streaming_images_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=GROK_IMAGE, prompt="No.", extra_body={"stream": True})
    assert "'stream'" in error_details(caught.value)


def test_chat_model_cannot_make_images(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=GPT4O, prompt="No.")
    assert "image generation" in error_details(caught.value)


def test_ledger_charges_per_picture(server: MockServer) -> None:
    namespace = "images-ledger"
    headers = {"x-mock-namespace": namespace}
    with openai.OpenAI(base_url=server.base_url, api_key=PAT, max_retries=0, default_headers=headers) as sdk:
        sdk.images.generate(model=GROK_IMAGE, prompt="Bill me twice.", n=2)
        sdk.images.generate(model=GROK_IMAGE, prompt="Bill me once.")
    ledger = httpx.get(f"{server.url}/__mock__/usage", params={"namespace": namespace}).json()
    price = server.context.catalog.resolve(GROK_IMAGE).info.price.output
    assert ledger["requests"] == 2
    assert ledger["cost_usd"] == pytest.approx(3 * price)
    assert ledger["total_tokens"] == 0
