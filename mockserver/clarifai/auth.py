"""PAT authentication as Clarifai does it: ``Bearer`` or ``Key`` schemes, allow-list, per-PAT scenarios."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from mockserver import errors
from mockserver.config import Scenario, Settings, parse_scenario


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller. ``pat`` stays in memory only; logs and journals use ``fingerprint``."""

    pat: str
    rate_limit: float | None
    fingerprint: str = field(init=False, repr=False, compare=False)  # a short, non-reversible tag of the PAT

    def __post_init__(self) -> None:
        # Worked out once: a caller is remembered per key (``AppContext.callers``) and asked for it thrice a request.
        object.__setattr__(self, "fingerprint", fingerprint(self.pat))


@lru_cache(maxsize=1024)  # a caller's PAT is looked at several times per request, and few PATs come back often
def fingerprint(pat: str) -> str:
    """``pat_`` + 12 hex characters of the PAT's SHA-256."""
    return "pat_" + hashlib.sha256(pat.encode()).hexdigest()[:12]


def read_pat(headers: Mapping[str, str]) -> str:
    """The PAT from ``Authorization``, raising 401 ``11009`` when absent and ``11008`` when malformed."""
    header = headers.get("authorization")
    if header is None or not header.strip():
        raise errors.missing_key()
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in ("bearer", "key"):
        raise errors.invalid_key("Authorization must be 'Bearer <PAT>' or 'Key <PAT>'.")
    token = token.strip()
    if not token:
        raise errors.invalid_key("The Authorization header has no key.")
    return token


def authenticate(headers: Mapping[str, str], settings: Settings) -> Caller:
    """Check the caller's PAT against the allow-list and its configured scenario."""
    pat = read_pat(headers)
    if settings.pats and pat not in {secret.get_secret_value() for secret in settings.pats}:
        raise errors.invalid_key(f"Invalid key ({fingerprint(pat)}).")
    named = settings.pat_scenarios.get(pat)
    scenario, rate = parse_scenario(named) if named is not None else (Scenario.OK, None)
    if scenario is Scenario.REVOKED:
        raise errors.invalid_key(f"The key {fingerprint(pat)} has been revoked.")
    if scenario is Scenario.NO_SCOPES:
        raise errors.insufficient_scopes()
    if scenario is Scenario.OUT_OF_CREDIT:
        raise errors.out_of_credit()
    return Caller(pat=pat, rate_limit=rate if rate is not None else settings.rate_limit)
