"""Each optimisation of docs/performance.md measured on its own, old way against new way, in one process.

Run: ``python bench/micro_bench.py``. Every row times the same work done the way the mock did it before and the
way it does it now (the old ways still exist: the json module, Faker's ``synth.generate_text``, the full
``failures`` report, Starlette's URL objects), as the median of 5 repeats.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from starlette.requests import Request

from mockserver.api.turns import incoming
from mockserver.chat_request import parse_chat_request
from mockserver.clarifai.tokens import _count, counter_for
from mockserver.engine import prose, synth
from mockserver.fixtures.facts import RequestFacts, read_conversation
from mockserver.fixtures.matching import CompiledMatch
from mockserver.schema import Fixture
from mockserver.wire.answer import json_bytes

REPLY = (
    "The quarterly report is ready. Revenue grew by twelve percent over the last period, driven mostly by new "
    "customers in the northern region. Costs stayed flat; so margins rose. The team advises keeping all plans "
    "and reviewing them again in three months."
)
BODY = {
    "id": "chatcmpl-0123456789abcdefghijklmnopqrs",
    "object": "chat.completion",
    "created": 1767225600,
    "model": "openai/chat-completion/models/gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 45, "total_tokens": 57},
}


def per_call(action: Callable[[], object], calls: int) -> float:
    """Median µs per call of ``action`` over 5 runs of ``calls`` calls."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        runs.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(runs)


def facts_for(text: str) -> RequestFacts:
    request = parse_chat_request({"model": "m", "messages": [{"role": "user", "content": text}]})
    conversation = read_conversation(request)
    return RequestFacts("chat.completions", "openai/chat-completion/models/gpt-4o", conversation, "pat", {})


def scope() -> dict[str, object]:
    headers = [(b"host", b"127.0.0.1:8080"), (b"authorization", b"Bearer x"), (b"content-type", b"application/json")]
    return {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "server": ("127.0.0.1", 8080),
        "path": "/v2/ext/openai/v1/chat/completions",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


def old_incoming(request: Request) -> tuple[str, str, dict[str, str]]:
    headers = {name.lower(): value for name, value in request.headers.items()}
    return request.url.path, str(request.base_url), headers


def main() -> None:
    """Print one row per optimisation."""
    counter = counter_for("o200k_base", exact=True)
    encoding = counter._encoding
    assert encoding is not None
    miss = CompiledMatch(Fixture.model_validate({"match": {"model": "gpt-5", "user": "weather"}, "reply": {}}))
    facts = facts_for("what is the weather like")
    rows = [
        (
            "reply body to JSON bytes",
            per_call(lambda: json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode(), 20_000),
            per_call(lambda: json_bytes(BODY), 20_000),
        ),
        (
            "generated prose, 1-4 sentences",
            per_call(lambda: synth.generate_text(12345), 2_000),
            per_call(lambda: prose.text(12345), 2_000),
        ),
        (
            "count tokens of the 251-character reply",
            per_call(lambda: len(encoding.encode_ordinary(REPLY)), 20_000),
            per_call(lambda: counter.count(REPLY), 20_000),
        ),
        (
            "reject a fixture whose model differs",
            per_call(lambda: not miss.failures(facts), 20_000),
            per_call(lambda: miss.holds(facts), 20_000),
        ),
        (
            "request view for the pipeline (path, base URL, headers)",
            per_call(lambda: old_incoming(Request(scope())), 20_000),
            per_call(lambda: incoming(Request(scope())), 20_000),
        ),
    ]
    _count.cache_clear()
    print("| work | before, µs | after, µs | speed-up |\n|---|---|---|---|")
    for label, before, after in rows:
        print(f"| {label} | {before:,.2f} | {after:,.2f} | {before / after:.1f}x |")


if __name__ == "__main__":
    main()
