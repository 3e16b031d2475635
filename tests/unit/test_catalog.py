"""The model catalog: every id form Clarifai accepts normalises to one canonical id, and the bundled data is sane."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from mockserver import errors
from mockserver.clarifai.catalog import Catalog, Kind, ModelInfo, Quirk, ToolCallIds, canonical_id, load_catalog

GPT4O = "openai/chat-completion/models/gpt-4o"
VERSION = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (GPT4O, (GPT4O, None)),
        (f"https://clarifai.com/{GPT4O}", (GPT4O, None)),
        (f"http://clarifai.com/{GPT4O}", (GPT4O, None)),
        (f"https://www.clarifai.com/{GPT4O}", (GPT4O, None)),
        (f"HTTPS://Clarifai.com/{GPT4O}", (GPT4O, None)),
        (f"  {GPT4O}/  ", (GPT4O, None)),
        (f"{GPT4O}/versions/{VERSION}", (GPT4O, VERSION)),
        (f"{GPT4O}/versions/{VERSION.upper()}/", (GPT4O, VERSION)),
        (f"https://clarifai.com/{GPT4O}/versions/{VERSION}", (GPT4O, VERSION)),
        (f"{GPT4O}/versions/{VERSION[:-1]}", (f"{GPT4O}/versions/{VERSION[:-1]}", None)),
        (f"https://example.com/{GPT4O}", (f"https://example.com/{GPT4O}", None)),
    ],
)
def test_canonical_id(given: str, expected: tuple[str, str | None]) -> None:
    assert canonical_id(given) == expected


@pytest.mark.parametrize(
    "form",
    [
        GPT4O,
        f"https://clarifai.com/{GPT4O}",
        f"{GPT4O}/versions/{VERSION}",
        f"https://clarifai.com/{GPT4O}/versions/{VERSION}",
        unquote(quote(GPT4O, safe="")),  # what a route sees after the server decodes %2F
        unquote(quote(f"https://clarifai.com/{GPT4O}", safe="")),
        "OPENAI/chat-completion/models/GPT-4o",
        "gpt-4o",
        "GPT-4o",
    ],
)
def test_every_form_finds_the_same_model(catalog: Catalog, form: str) -> None:
    found = catalog.find(form)
    assert found is not None
    assert found.id == GPT4O


@pytest.mark.parametrize(
    ("form", "canonical"),
    [
        ("openai/chat-completion/models/gpt-4.1", "openai/chat-completion/models/gpt-4_1"),
        ("openai/chat-completion/models/gpt-4_1", "openai/chat-completion/models/gpt-4_1"),
        ("gpt-4.1", "openai/chat-completion/models/gpt-4_1"),
        ("claude-sonnet-4.5", "anthropic/completion/models/claude-sonnet-4_5"),
        ("https://clarifai.com/gcp/generate/models/gemini-2.5-pro", "gcp/generate/models/gemini-2_5-pro"),
        ("o3", "openai/chat-completion/models/o3"),
    ],
)
def test_dots_and_bare_names(catalog: Catalog, form: str, canonical: str) -> None:
    found = catalog.find(form)
    assert found is not None
    assert found.id == canonical


@pytest.mark.parametrize(
    "form",
    ["", "gpt-99", "openai/chat-completion/models/gpt-99", "openai/gpt-4o", "chat-completion/models/gpt-4o", "models"],
)
def test_unknown_forms(catalog: Catalog, form: str) -> None:
    assert catalog.find(form) is None


def test_bare_name_must_be_unique() -> None:
    models = [
        ModelInfo(id="alpha/x/models/shared"),
        ModelInfo(id="beta/y/models/shared"),
        ModelInfo(id="c/z/models/one"),
    ]
    catalog = Catalog(models)
    assert catalog.find("shared") is None
    assert catalog.find("beta/y/models/shared") == models[1]
    assert catalog.find("one") == models[2]


def test_resolve_keeps_what_was_asked(catalog: Catalog) -> None:
    asked = f"https://clarifai.com/{GPT4O}/versions/{VERSION.upper()}"
    resolved = catalog.resolve(asked)
    assert resolved.canonical == GPT4O
    assert resolved.requested == asked
    assert resolved.version == VERSION


def test_resolve_unknown_raises_21200(catalog: Catalog) -> None:
    with pytest.raises(errors.ApiError) as caught:
        catalog.resolve("acme/none/models/nothing")
    assert caught.value.status == 404
    assert caught.value.code == 21200
    assert caught.value.param == "model"
    assert "acme/none/models/nothing" in caught.value.message


def test_bundled_catalog_contents(catalog: Catalog) -> None:
    by_id = {m.id: m for m in catalog}
    assert len(by_id) == len(catalog) > 30
    assert by_id["openai/embed/models/text-embedding-ada-002"].kind is Kind.EMBED
    assert by_id[GPT4O].kind is Kind.CHAT
    assert by_id[GPT4O].tool_call_ids is ToolCallIds.OPENAI
    assert by_id["anthropic/completion/models/claude-sonnet-4"].tool_call_ids is ToolCallIds.ANTHROPIC
    assert by_id["openai/chat-completion/models/gpt-oss-120b"].reasoning
    strict = {m.name for m in catalog if Quirk.MAX_COMPLETION_TOKENS_ONLY in m.quirks}
    assert {"o3", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano"} <= strict
    assert GPT4O.rsplit("/", 1)[1] not in strict
    for model in catalog:
        assert model.owner == model.id.split("/")[0]
        assert model.price.input >= 0
        if model.kind is Kind.CHAT:
            assert model.max_output > 0


def test_extra_catalog_adds_and_replaces(tmp_path: Path) -> None:
    extra = tmp_path / "catalog.yaml"
    extra.write_text(
        "models:\n"
        "  - {id: acme/chat/models/roadrunner, context: 4096, price: {input: 1.0, output: 2.0}}\n"
        f"  - {{id: {GPT4O}, max_output: 123}}\n"
    )
    catalog = load_catalog(extra)
    assert catalog.resolve("roadrunner").info.context == 4096
    assert catalog.resolve(GPT4O).info.max_output == 123
    assert len(catalog) == len(load_catalog()) + 1


@pytest.mark.parametrize(
    "text",
    ["[1, 2]", "models: 5", "models:\n  - {id: not-a-valid-id}", "models:\n  - {id: a/b/models/c, kind: teapot}", "{"],
)
def test_invalid_extra_catalog_is_refused(tmp_path: Path, text: str) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text(text)
    with pytest.raises(errors.FixtureFileError) as caught:
        load_catalog(extra)
    assert str(extra) in str(caught.value) or "catalog" in str(caught.value)
