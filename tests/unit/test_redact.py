"""Secrets never reach a recording (scrubbing + the refusing scan), and volatile parts normalise on both sides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver import Recorder, RecordMode
from mockserver.fixtures.files import load_file
from mockserver.fixtures.normalize import compile_normalizers, normalize_recorded
from mockserver.fixtures.secrets import PLACEHOLDER, scrub_text
from mockserver.fixtures.text_rules import TextRule
from mockserver.record.redact import Scrubber, SecretLeak, find_secrets, scan_fixtures
from mockserver.schema import Match, PatternNormalizer, Reply, TextMatch

PAT = "0123456789abcdef0123456789abcdef"
SK = "sk-proj-AbCdEfGhIjKlMnOpQrStUv12"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

KEY_SHAPES = [
    (f"my key is {SK}, keep it", f"my key is {PLACEHOLDER}, keep it"),
    (f"Authorization: Bearer {PAT}", f"Authorization: Bearer {PLACEHOLDER}"),
    ("Authorization: Bearer tok3n-abcdefgh", f"Authorization: Bearer {PLACEHOLDER}"),
    ("Authorization: Key 9f8e7d6c5b4a39281706f5e4", f"Authorization: Key {PLACEHOLDER}"),
    (f"token={JWT}", f"token={PLACEHOLDER}"),
    (f"pat {PAT.upper()} here", f"pat {PLACEHOLDER} here"),
    ("ghp_" + "a1" * 18, PLACEHOLDER),
    ("AKIA" + "ABCDEFGHIJ123456", PLACEHOLDER),
]


@pytest.mark.parametrize(("text", "scrubbed"), KEY_SHAPES)
def test_key_shaped_strings_are_scrubbed(text: str, scrubbed: str) -> None:
    assert scrub_text(text) == scrubbed


@pytest.mark.parametrize(
    "prose",
    [
        "Use bearer tokens for auth.",
        "The Key ingredients are flour and water.",
        "task-management-system-v2 is a project",
        "a short hex like deadbeef or a 31-hex 0123456789abcdef0123456789abcde",
    ],
)
def test_ordinary_prose_is_left_alone(prose: str) -> None:
    assert scrub_text(prose) == prose


def test_request_ids_are_exempt_from_the_32_hex_rule_only() -> None:
    scrubber = Scrubber()
    body = {"status": {"code": 11008, "req_id": PAT, "details": f"key {PAT} and {SK}"}, "id": SK}
    assert scrubber.value(body) == {
        "status": {"code": 11008, "req_id": PAT, "details": f"key {PLACEHOLDER} and {PLACEHOLDER}"},
        "id": PLACEHOLDER,
    }


def test_known_pats_are_scrubbed_whatever_their_shape() -> None:
    scrubber = Scrubber(["my-real-clarifai-pat", "short"])
    assert scrubber.text("echo my-real-clarifai-pat and short") == f"echo {PLACEHOLDER} and short"


def test_a_frame_keeps_every_byte_but_the_secret() -> None:
    raw = '{"id":"chatcmpl-1","choices":[{"delta":{"content":"key: ' + SK + '"}}],"req_id":"' + PAT + '"}'
    scrubbed = Scrubber().payload(raw)
    assert scrubbed == raw.replace(SK, PLACEHOLDER)
    assert Scrubber([PAT]).payload(raw) == raw.replace(SK, PLACEHOLDER).replace(PAT, PLACEHOLDER)
    assert Scrubber().payload(f"not json {SK}") == f"not json {PLACEHOLDER}"


def test_a_secret_escaped_on_the_wire_is_still_removed() -> None:
    raw = '{"content":"' + SK.replace("-", "\\u002d") + '"}'
    assert json.loads(Scrubber().payload(raw)) == {"content": PLACEHOLDER}


def test_the_scan_names_fixture_and_field_path_but_not_the_secret() -> None:
    fixtures = [
        {"name": "clean", "reply": {"content": "fine"}},
        {"name": "leaky", "reply": {"frames": [{"t_ms": 1.0, "data": json.dumps({"choices": [{"x": SK}]})}]}},
    ]
    with pytest.raises(SecretLeak) as caught:
        scan_fixtures("rec.yaml", fixtures)
    message = str(caught.value)
    assert "'leaky' at reply.frames[0].data/choices[0].x" in message
    assert "rec.yaml" in message
    assert SK not in message
    assert find_secrets([{"name": "a", "match": {"user": {"equals": "x my-pat-value-1"}}}], ["my-pat-value-1"]) != []


def test_recorder_refuses_to_write_a_file_in_which_a_secret_survives(tmp_path: Path) -> None:
    path = tmp_path / "rec.yaml"
    recorder = Recorder(path, RecordMode.ALL)
    recorder.commit("ok", Match(user=TextMatch(equals="hi")), Reply(content="hello"))
    before = path.read_bytes()
    with pytest.raises(SecretLeak, match=r"fixture 'forced' at reply\.content"):
        recorder.commit("forced", Match(user=TextMatch(equals="key?")), Reply(content=f"here: {SK}"))
    assert path.read_bytes() == before
    assert [entry.name for entry in load_file(path)] == ["ok"]
    assert SK.encode() not in path.read_bytes()


def test_recorder_refuses_a_known_pat_in_any_field(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "rec.yaml", RecordMode.ALL, upstream_pat="plain-looking-pat")
    with pytest.raises(SecretLeak, match=r"at match\.user\.equals: a PAT in use"):
        recorder.commit("forced", Match(user=TextMatch(equals="plain-looking-pat")), Reply(content="x"))
    assert not (tmp_path / "rec.yaml").exists()


# --- normalisers -----------------------------------------------------------------------------------------------------


def test_recorded_text_lists_only_the_normalisers_that_changed_it() -> None:
    text = f"At 2026-08-07T10:00:00Z order 3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b, commit 4f9a1c0d2e3b5a6f7, key {SK}"
    normalized, used = normalize_recorded(text, [r"order-\d+"])
    assert normalized == f"At <timestamp> order <uuid>, commit <hex>, key {PLACEHOLDER}"
    assert used == ["secrets", "timestamps", "uuids", "hex_ids"]
    assert normalize_recorded("nothing volatile", [r"\d+"]) == ("nothing volatile", [])
    assert normalize_recorded("order-17", [r"order-\d+"])[1] == [PatternNormalizer(regex=r"order-\d+")]


def test_equals_holds_for_any_value_of_a_normalised_part() -> None:
    rule = TextRule(TextMatch(equals="Remind me at <timestamp> (ref <uuid>)", normalize=["timestamps", "uuids"]))
    assert rule.holds("Remind me at 2030-01-02 09:15:00+02:00 (ref 00000000-0000-4000-8000-000000000000)")
    assert rule.holds("remind me at 2026-08-07T10:00:00.123Z (ref 3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b)")
    assert not rule.holds("Remind me tomorrow (ref 3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b)")
    assert rule.index_keys() == (), "a normalised rule cannot use the raw-text index"
    assert "normalizing timestamps, uuids" in rule.describe()


def test_a_live_secret_matches_the_scrubbed_recording() -> None:
    rule = TextRule(TextMatch(equals=f"Use {PLACEHOLDER} please", normalize=["secrets"]))
    assert rule.holds(f"Use {SK} please")


def test_pattern_normalisers_and_contains() -> None:
    spec = PatternNormalizer(regex=r"session-\d+", replace="<session>")
    rule = TextRule(TextMatch(contains="resume session-1", normalize=[spec]))
    assert rule.holds("please resume session-99 now")
    normalise = compile_normalizers([spec, "hex_ids"])
    assert normalise is not None
    assert normalise("session-4 abcdef0123456789ab") == "<session> <hex>"
    assert compile_normalizers(None) is None
