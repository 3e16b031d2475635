"""The surfaces whose input is not a chat: embeddings (vectors per text) and image generation (pictures per prompt)."""

from __future__ import annotations

import base64
import hashlib
import time

from mockserver import errors
from mockserver.clarifai.catalog import Kind, ResolvedModel
from mockserver.clarifai.usage import Usage
from mockserver.engine.png import gradient_png, parse_size
from mockserver.engine.vectors import embedding, to_base64
from mockserver.fixtures.facts import text_conversation
from mockserver.schema import EMBEDDINGS, IMAGES, Reply
from mockserver.turn.surface import Job, Product, Surface, Turn
from mockserver.types import JSON
from mockserver.wire.answer import Answer, json_answer, json_bytes
from mockserver.wire.media_requests import EmbeddingRequest, ImageRequest, parse_embedding_request, parse_image_request

IMAGE_PATH = "/__mock__/images"


class EmbeddingsSurface(Surface[EmbeddingRequest]):
    """``POST /embeddings``: deterministic unit vectors per (model, text), as floats or base64 float32."""

    endpoint = EMBEDDINGS
    kind = Kind.EMBED
    label = "embeddings"

    def read(self, data: JSON) -> Turn[EmbeddingRequest]:
        body = parse_embedding_request(data)
        return Turn(body, body.model, text_conversation("\n".join(body.texts())))

    def check(self, turn: Turn[EmbeddingRequest], model: ResolvedModel) -> None:
        dimensions, info = turn.body.dimensions, model.info
        if dimensions is not None and not info.name.startswith("text-embedding-3"):
            raise errors.invalid_field("dimensions", "this model does not support specifying dimensions.")
        if dimensions is not None and dimensions > info.dims:
            raise errors.invalid_field("dimensions", f"expected at most {info.dims} for this model.", "invalid_value")

    def build(self, turn: Turn[EmbeddingRequest], reply: Reply, job: Job) -> Product:
        body, texts = turn.body, turn.body.texts()
        dims = body.dimensions or job.model.info.dims
        data = []
        for index, text in enumerate(texts):
            vector = embedding(job.model.canonical, text, dims)
            encoded = to_base64(vector) if body.encoding_format == "base64" else vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        override = reply.usage.prompt_tokens if reply.usage else None
        tokens = override if override is not None else sum(job.counter.count(t) for t in texts)
        usage = Usage(prompt_tokens=tokens, completion_tokens=0, method=job.counter.method)
        wire_usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        # Encoded item by item: one encoder call over 2,048 large vectors holds the GIL (and so every other client)
        # for the whole 100+ MiB; many short calls let the event loop in between.
        items = b",".join(json_bytes(item) for item in data)
        tail = json_bytes({"model": body.model, "usage": wire_usage})
        whole = b'{"object":"list","data":[' + items + b"]," + tail[1:]
        answer = Answer({**reply.headers, "content-type": "application/json"}, whole)
        return Product(answer, usage, wire_usage)


def _seed(model: str, prompt: str, index: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{model}\x1f{prompt}\x1f{index}".encode(), digest_size=6).digest(), "big")


class ImagesSurface(Surface[ImageRequest]):
    """``POST /images/generations``: a deterministic small PNG per picture, as ``b64_json`` or a mock-served URL."""

    endpoint = IMAGES
    kind = Kind.IMAGE
    label = "image generation"

    def read(self, data: JSON) -> Turn[ImageRequest]:
        body = parse_image_request(data)
        return Turn(body, body.model, text_conversation(body.prompt))

    def build(self, turn: Turn[ImageRequest], reply: Reply, job: Job) -> Product:
        body = turn.body
        width, height = parse_size(body.size)
        count = body.n or 1
        data = []
        for index in range(count):
            seed = _seed(job.model.canonical, body.prompt, index)
            if body.response_format == "b64_json":
                picture = base64.b64encode(gradient_png(seed, width, height)).decode("ascii")
                data.append({"b64_json": picture, "revised_prompt": body.prompt})
            else:
                url = f"{job.base_url.rstrip('/')}{IMAGE_PATH}/{seed}-{width}x{height}.png"
                data.append({"url": url, "revised_prompt": body.prompt})
        # Image models are billed per picture: the catalog's output price is USD per image.
        amount = count * job.model.info.price.output
        answer = json_answer({"created": int(time.time()), "data": data}, dict(reply.headers))
        return Product(answer, Usage(0, 0), None, amount)
