"""PAT authentication: schemes, the allow-list, per-PAT scenarios, and PATs never leaking into errors."""

from __future__ import annotations

import json

import pytest

from mockserver import ErrorStyle, Settings, errors
from mockserver.clarifai.auth import authenticate, fingerprint, read_pat


def headers(value: str | None) -> dict[str, str]:
    return {} if value is None else {"authorization": value}


@pytest.mark.parametrize(
    ("value", "pat"),
    [
        ("Bearer abc123", "abc123"),
        ("bearer abc123", "abc123"),
        ("BEARER abc123", "abc123"),
        ("Key abc123", "abc123"),
        ("key abc123", "abc123"),
        ("kEy abc123", "abc123"),
        ("  Bearer   abc123  ", "abc123"),
        ("Bearer a.b-c_d/e+f=", "a.b-c_d/e+f="),
    ],
)
def test_accepted_schemes(value: str, pat: str) -> None:
    assert read_pat(headers(value)) == pat


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_key_is_11009(value: str | None) -> None:
    with pytest.raises(errors.ApiError) as caught:
        read_pat(headers(value))
    assert (caught.value.status, caught.value.code) == (401, 11009)


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Key   ", "Token abc", "abc123", "Bearerabc"])
def test_malformed_key_is_11008(value: str) -> None:
    with pytest.raises(errors.ApiError) as caught:
        read_pat(headers(value))
    assert (caught.value.status, caught.value.code) == (401, 11008)


def test_any_pat_is_accepted_by_default() -> None:
    caller = authenticate(headers("Bearer whatever"), Settings())
    assert caller.pat == "whatever"
    assert caller.rate_limit is None


def test_allow_list() -> None:
    settings = Settings(pats=["one", "two"])
    assert authenticate(headers("Key two"), settings).pat == "two"
    with pytest.raises(errors.ApiError) as caught:
        authenticate(headers("Key three"), settings)
    assert (caught.value.status, caught.value.code) == (401, 11008)


@pytest.mark.parametrize(
    ("scenario", "status", "code"),
    [("revoked", 401, 11008), ("no_scopes", 403, 11007), ("out_of_credit", 402, 11000)],
)
def test_scenarios(scenario: str, status: int, code: int) -> None:
    settings = Settings(pat_scenarios={"p": scenario})
    with pytest.raises(errors.ApiError) as caught:
        authenticate(headers("Bearer p"), settings)
    assert (caught.value.status, caught.value.code) == (status, code)
    # Other PATs are unaffected.
    assert authenticate(headers("Bearer q"), settings).pat == "q"


def test_scenario_applies_within_the_allow_list() -> None:
    settings = Settings(pats=["p", "q"], pat_scenarios={"p": "no_scopes"})
    with pytest.raises(errors.ApiError) as caught:
        authenticate(headers("Bearer p"), settings)
    assert caught.value.status == 403


def test_out_of_credit_is_not_retried() -> None:
    with pytest.raises(errors.ApiError) as caught:
        authenticate(headers("Bearer p"), Settings(pat_scenarios={"p": "out_of_credit"}))
    assert caught.value.headers["x-should-retry"] == "false"


def test_rate_limits_per_pat_and_global() -> None:
    settings = Settings(rate_limit=15, pat_scenarios={"slow": "rate_limit:0.5", "ok": "ok"})
    assert authenticate(headers("Bearer slow"), settings).rate_limit == 0.5
    assert authenticate(headers("Bearer ok"), settings).rate_limit == 15
    assert authenticate(headers("Bearer other"), settings).rate_limit == 15


def test_fingerprint() -> None:
    tag = fingerprint("secret-pat-value")
    assert tag == fingerprint("secret-pat-value")
    assert tag != fingerprint("secret-pat-valuf")
    assert tag.startswith("pat_")
    assert len(tag) == len("pat_") + 12
    assert "secret" not in tag
    assert authenticate(headers("Bearer secret-pat-value"), Settings()).fingerprint == tag


@pytest.mark.parametrize("scenario", ["revoked", "no_scopes", "out_of_credit"])
@pytest.mark.parametrize("style", list(ErrorStyle))
def test_errors_never_echo_the_pat(scenario: str, style: ErrorStyle) -> None:
    pat = "sekrit-1234567890"
    settings = Settings(pats=[pat, "other"], pat_scenarios={pat: scenario})
    for value in (f"Bearer {pat}", f"Bearer {pat}x"):
        with pytest.raises(errors.ApiError) as caught:
            authenticate(headers(value), settings)
        rendered = json.dumps(caught.value.to_body(style, "0" * 32))
        assert pat not in rendered
        assert pat not in str(caught.value)
