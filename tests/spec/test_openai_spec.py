"""Schemathesis over the operations of OpenAI's published spec that the mock serves (``openai-subset.json``, made
by ``make_subset.py``): whatever the spec lets a client send, the mock never answers 5xx, and the journal and
fixture listings still serialise afterwards.

Each operation gets a few seeded (``derandomize``) examples drawn from its own request schema, so the run takes
seconds and goes the same way every time. The ``model`` the spec generates is swapped for one the mock serves,
so the requests reach the answer builders instead of stopping at "model not found".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from mockserver import Settings, create_app

SPEC = json.loads(Path(__file__).with_name("openai-subset.json").read_text("utf-8"))
APP = create_app(Settings(prefix="", journal_size=20))
SCHEMA = schemathesis.openapi.from_dict(SPEC)
SCHEMA.app = APP  # requests go straight to the ASGI app, no port
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]  # an Err has no .ok(): an unreadable operation fails loudly
SERVED = {
    "/chat/completions": "openai/chat-completion/models/gpt-4o",
    "/responses": "openai/chat-completion/models/gpt-4o",
    "/embeddings": "openai/embed/models/text-embedding-3-large",
    "/images/generations": "xai/image-generation/models/grok-2-image-1212",
}


@pytest.fixture(scope="module")
def app() -> Iterator[TestClient]:
    with TestClient(APP) as control:
        yield control


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_no_request_the_spec_allows_gets_a_5xx(
    app: TestClient, operation: schemathesis.APIOperation[Any, Any, Any, Any]
) -> None:
    @settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case[Any]) -> None:
        if isinstance(case.body, dict) and operation.path in SERVED:
            case.body["model"] = SERVED[operation.path]
        response = case.call(headers={"Authorization": "Bearer spec-pat"})
        assert response.status_code < 500, response.text[:500]
        for path in ("/__mock__/journal", "/__mock__/fixtures"):
            assert app.get(path).status_code == 200

    check()
