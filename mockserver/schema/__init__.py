"""The fixture schema, one set of pydantic models for files, the Python API, the control API and recordings.

A fixture file::

    version: 1
    fixtures:
      - name: weather-ask            # unique; shown in x-mock-fixture, the journal and near-miss reports
        match:                       # every key given must hold (AND); {} matches everything
          user: weather              # last user message: whole-word, case-insensitive "contains"
          tools: [get_weather]       # these function names are offered
        reply:
          tool_calls: [{name: get_weather, arguments: {location: "Paris, France"}}]
      - name: weather-answer
        match: {tool_result: {name: get_weather}}
        reply: {content: "It is {{ tool_result.temperature | unit('°C') }} in {{ tool_call.arguments.location }}."}
      - name: premium
        match: {body: {metadata.user_id: {regex: '^(?P<user>u-[0-9]+)$'}}}   # any request field; captures
        reply: {content: "Hello {{ match.user }}."}

Matching rules: the first fixture in load order whose match holds answers. Fixtures added at run time (control
API, pytest) are tried before files. A fixture whose reply makes tool calls does not match a request that ends in
tool results unless its match names ``has_tool_result``, ``tool_result`` or ``turn`` (so agent loops end).
"""

from __future__ import annotations

from mockserver.schema.base import Headers
from mockserver.schema.fixture import Fixture, FixtureFile
from mockserver.schema.match import (
    CHAT,
    EMBEDDINGS,
    ENDPOINTS,
    IMAGES,
    RESPONSES,
    TEXT_ENDPOINTS,
    BodyMatch,
    Endpoint,
    Match,
    NormalizerName,
    PatternNormalizer,
    ResponseFormatType,
    TextMatch,
    ToolResultMatch,
)
from mockserver.schema.reply import (
    MISBEHAVIOUR_CALLS,
    ErrorSpec,
    Fault,
    Misbehaviour,
    RecordedFrame,
    Reply,
    StreamScript,
    ToolCallSpec,
    UsageOverride,
)

__all__ = [
    "CHAT",
    "EMBEDDINGS",
    "ENDPOINTS",
    "IMAGES",
    "MISBEHAVIOUR_CALLS",
    "RESPONSES",
    "TEXT_ENDPOINTS",
    "BodyMatch",
    "Endpoint",
    "ErrorSpec",
    "Fault",
    "Fixture",
    "FixtureFile",
    "Headers",
    "Match",
    "Misbehaviour",
    "NormalizerName",
    "PatternNormalizer",
    "RecordedFrame",
    "Reply",
    "ResponseFormatType",
    "StreamScript",
    "TextMatch",
    "ToolCallSpec",
    "ToolResultMatch",
    "UsageOverride",
]
