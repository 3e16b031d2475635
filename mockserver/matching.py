"""Decide whether a fixture's ``match`` holds for a request, and say exactly which keys failed when it does not."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mockserver.catalog import canonical_id
from mockserver.conversation import Conversation
from mockserver.normalize import compile_normalizers, describe as describe_normalizers
from mockserver.schema import Fixture, Match, TextMatch

_GLOB = re.compile(r"[*?\[]")
_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"\W+")
DEFAULT_ENDPOINT = "chat.completions"


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What matching looks at: the endpoint, canonical model, conversation, caller PAT and headers."""

    endpoint: str
    model: str
    conversation: Conversation
    pat: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _preview(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


class TextRule:
    """A compiled ``TextMatch``."""

    def __init__(self, spec: TextMatch) -> None:
        flags = 0 if spec.case_sensitive else re.IGNORECASE
        self.spec = spec
        self._normalize = compile_normalizers(spec.normalize)
        if spec.equals is not None:
            equals = self._normalize(spec.equals) if self._normalize else spec.equals
            self._equals: str | None = equals if spec.case_sensitive else equals.casefold()
            self._source: str | None = None
        else:
            self._equals = None
            if spec.regex is not None:
                source = spec.regex
            else:
                assert spec.contains is not None
                source = re.escape(self._normalize(spec.contains) if self._normalize else spec.contains)
                if spec.whole_word:
                    source = rf"(?<!\w){source}(?!\w)"
            self._source = source
        # Compiled on first use: with the index, most rules of a big fixture set are never evaluated.
        self._flags = flags
        self._pattern: re.Pattern[str] | None = None

    def holds(self, text: str) -> bool:
        """True when ``text`` satisfies the rule."""
        if self._normalize is not None:
            text = self._normalize(text)
        if self._source is not None:
            if self._pattern is None:
                self._pattern = re.compile(self._source, self._flags)
            return self._pattern.search(text) is not None
        return (text if self.spec.case_sensitive else text.casefold()) == self._equals

    def describe(self) -> str:
        """``contains 'weather'`` and the like, for near-miss reports."""
        normalized = f" (normalizing {describe_normalizers(self.spec.normalize)})" if self.spec.normalize else ""
        if self.spec.equals is not None:
            return f"equals {self.spec.equals!r}{normalized}"
        if self.spec.regex is not None:
            return f"matches /{self.spec.regex}/{normalized}"
        word = " (whole word)" if self.spec.whole_word else ""
        return f"contains {self.spec.contains!r}{word}{normalized}"

    def index_keys(self) -> tuple[tuple[str, str], ...]:
        """Keys that any text this rule accepts produces, every one of them (see ``text_keys``); empty when the rule
        cannot be indexed. A whole-word phrase gives one key per word, so the store can file it under its rarest."""
        if self.spec.normalize:
            return ()  # the request's text is only comparable after normalizing, so the raw index cannot help
        if self.spec.equals is not None:
            return (("eq", self.spec.equals.casefold()),)
        if self.spec.contains is not None and self.spec.whole_word and indexable(self.spec.contains):
            words = (_fold_word(word) for word in _WORD.findall(self.spec.contains))
            return tuple(dict.fromkeys(("word", word) for word in words if word))
        return ()


def indexable(text: str) -> bool:
    """Whether word keys are sound for ``text``: ``re.IGNORECASE`` equates U+0345, which is not a word character,
    with the Greek iota, which is, so a text or a rule holding it is matched without the word index."""
    return "\u0345" not in text


def _fold_word(word: str) -> str:
    """A word folded so that every spelling ``re.IGNORECASE`` equates gives the same key.

    Words are cut from the original text before folding, because full case folding can turn one word character into
    a letter plus a combining mark (U+0130 → ``i`` + U+0307) and so split the word; the marks are dropped, and the
    dotless i U+0131 (which ``re`` equates with ``i``) is mapped to ``i``.
    """
    folded = word.casefold()
    if folded.isascii():
        return folded
    return _NOT_WORD.sub("", folded.replace("\u0131", "i"))


def text_keys(text: str) -> set[tuple[str, str]]:
    """Every index key ``text`` produces: its whole value and each of its words."""
    return {("eq", text.casefold()), *(("word", w) for w in map(_fold_word, _WORD.findall(text)) if w)}


def _model_holds(pattern: str, model: str) -> bool:
    if _GLOB.search(pattern):
        wanted = canonical_id(pattern)[0]
        if "/" not in wanted:  # a glob over bare names: ``gpt-5*``
            name = model.rsplit("/", 1)[-1]
            return fnmatch.fnmatchcase(name, wanted) or fnmatch.fnmatchcase(name, wanted.replace(".", "_"))
        return fnmatch.fnmatchcase(model, wanted)
    wanted = canonical_id(pattern)[0]
    if "/" not in wanted:
        return model.rsplit("/", 1)[-1].lower() in (wanted.lower(), wanted.replace(".", "_").lower())
    return wanted.lower() == model.lower()


class CompiledMatch:
    """A fixture's match, compiled once at load time."""

    def __init__(self, fixture: Fixture) -> None:
        match = fixture.match
        self.match = match
        self.user = TextRule(match.user) if match.user else None
        self.system = TextRule(match.system) if match.system else None
        self.result_text = (
            TextRule(match.tool_result.contains) if match.tool_result and match.tool_result.contains else None
        )
        replies = [fixture.reply] if fixture.reply else fixture.sequence or []
        calls_tools = any(r is not None and r.tool_calls for r in replies)
        explicit = match.has_tool_result is not None or match.tool_result is not None or match.turn is not None
        # A fixture that answers with tool calls must not answer again once their results come back.
        self.implicit_no_tool_result = calls_tools and not explicit

    @property
    def endpoint(self) -> str:
        """The endpoint this fixture answers."""
        return self.match.endpoint or DEFAULT_ENDPOINT

    def failures(self, facts: RequestFacts) -> list[str]:
        """Why the match fails for ``facts``: one line per failing key; empty when it holds."""
        return [problem for check in _CHECKS if (problem := check(self, facts)) is not None]


def _check_endpoint(m: CompiledMatch, f: RequestFacts) -> str | None:
    return None if m.endpoint == f.endpoint else f"endpoint: wants {m.endpoint}, got {f.endpoint}"


def _check_model(m: CompiledMatch, f: RequestFacts) -> str | None:
    pattern = m.match.model
    if pattern is None or _model_holds(pattern, f.model):
        return None
    return f"model: wants {pattern!r}, got {f.model!r}"


def _check_user(m: CompiledMatch, f: RequestFacts) -> str | None:
    if m.user is None or m.user.holds(f.conversation.last_user):
        return None
    return f"user: wants {m.user.describe()}, got {_preview(f.conversation.last_user)}"


def _check_system(m: CompiledMatch, f: RequestFacts) -> str | None:
    if m.system is None or m.system.holds(f.conversation.system):
        return None
    return f"system: wants {m.system.describe()}, got {_preview(f.conversation.system)}"


def _check_tools(m: CompiledMatch, f: RequestFacts) -> str | None:
    missing = [t for t in m.match.tools or [] if t not in f.conversation.offered_tools]
    if not missing:
        return None
    return f"tools: wants {missing} offered, got {sorted(f.conversation.offered_tools)}"


def _check_tool_choice(m: CompiledMatch, f: RequestFacts) -> str | None:
    wanted, got = m.match.tool_choice, f.conversation.tool_choice
    return None if wanted is None or wanted == got else f"tool_choice: wants {wanted!r}, got {got!r}"


def _check_has_tool_result(m: CompiledMatch, f: RequestFacts) -> str | None:
    has = f.conversation.has_tool_result
    if m.match.has_tool_result is not None and m.match.has_tool_result != has:
        return f"has_tool_result: wants {m.match.has_tool_result}, got {has}"
    if m.implicit_no_tool_result and has:
        return "has_tool_result: this fixture makes tool calls, so it skips requests that return tool results"
    return None


def _check_tool_result(m: CompiledMatch, f: RequestFacts) -> str | None:
    spec = m.match.tool_result
    if spec is None:
        return None
    results = f.conversation.tool_results
    if spec.name is not None:
        results = tuple(r for r in results if r.name == spec.name)
        if not results:
            names = [r.name for r in f.conversation.tool_results]
            return f"tool_result: wants a result for {spec.name!r}, got {names}"
    rule = m.result_text
    if rule is not None and not any(rule.holds(r.content) for r in results):
        return f"tool_result.contains: wants {rule.describe()} in {[_preview(r.content) for r in results]}"
    return None


def _check_turn(m: CompiledMatch, f: RequestFacts) -> str | None:
    wanted, got = m.match.turn, f.conversation.turn
    return None if wanted is None or wanted == got else f"turn: wants {wanted}, got {got}"


def _check_stream(m: CompiledMatch, f: RequestFacts) -> str | None:
    wanted, got = m.match.stream, f.conversation.stream
    return None if wanted is None or wanted == got else f"stream: wants {wanted}, got {got}"


def _check_response_format(m: CompiledMatch, f: RequestFacts) -> str | None:
    wanted, got = m.match.response_format, f.conversation.response_format or "text"
    return None if wanted is None or wanted == got else f"response_format: wants {wanted!r}, got {got!r}"


def _check_pat(m: CompiledMatch, f: RequestFacts) -> str | None:
    # Never echo a PAT into a report: reports reach journals and logs.
    return None if m.match.pat is None or m.match.pat == f.pat else "pat: the caller's PAT differs"


def _check_headers(m: CompiledMatch, f: RequestFacts) -> str | None:
    for name, value in (m.match.headers or {}).items():
        got = f.headers.get(name.lower())
        if got != value:
            if _SECRET_HEADER.search(name):  # never echo credentials into reports, journals or logs
                return f"headers.{name.lower()}: the request's value differs"
            return f"headers.{name.lower()}: wants {value!r}, got {got!r}"
    return None


_SECRET_HEADER = re.compile(r"authorization|cookie|key|token|secret|password", re.IGNORECASE)


_CHECKS = (
    _check_endpoint,
    _check_model,
    _check_user,
    _check_system,
    _check_tools,
    _check_tool_choice,
    _check_has_tool_result,
    _check_tool_result,
    _check_turn,
    _check_stream,
    _check_response_format,
    _check_pat,
    _check_headers,
)


def match_keys(match: Match) -> int:
    """How many keys a match sets (for ranking near misses)."""
    return len(match.model_dump(exclude_none=True))
