"""The billing ledger: tokens and cost per PAT fingerprint, model and namespace, as Clarifai would bill them."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

from mockserver.clarifai.catalog import Price
from mockserver.clarifai.usage import Usage
from mockserver.types import JSON

COST_DIGITS = 10
"""Costs are rounded to 1e-10 USD (a ten-thousandth of a micro-dollar): far below any price step, and no float noise
such as ``7.857000000000002e-05`` in the journal or ``/__mock__/usage``."""


@dataclass
class LedgerLine:
    """Running totals for one (PAT, model, namespace)."""

    pat: str
    model: str
    namespace: str | None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    units = 0  # ``cost_usd`` in whole 1e-10 USD; not a field, so not in ``asdict``


_UNIT: int = 10**COST_DIGITS
"""Units of 1e-10 USD in a dollar: totals are kept as whole units, so adding a request's cost needs no rounding."""


def cost(usage: Usage, price: Price) -> float:
    """USD for ``usage`` at ``price`` per 1M tokens; completion includes reasoning tokens, as Clarifai bills."""
    return round((usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000, COST_DIGITS)


_REMEMBERED_COSTS = 4096


class Ledger:
    """Thread-safe totals; ``summary`` gives them per line and overall."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str, str | None], LedgerLine] = {}
        self._lock = threading.Lock()
        # Costs by (prompt, completion, input price, output price): suites send the same requests again and again,
        # and ``round(usd, 10)`` goes through decimal digits (~0.5 µs, ~2,500 instructions a request). Bounded.
        self._costs: dict[tuple[int, int, float, float], float] = {}

    def charge(
        self, pat: str, model: str, namespace: str | None, usage: Usage, price: Price, amount: float | None = None
    ) -> float:
        """Add one request's usage; returns its cost (``amount`` when billed per operation, as images are)."""
        amount = self._cost(usage, price) if amount is None else round(amount, COST_DIGITS)
        # A whole number of units (``amount`` is one, up to the float's last bit): the total needs no second rounding,
        # and ``units / _UNIT`` is what ``round(total + amount, COST_DIGITS)`` gave.
        units = round(amount * _UNIT)
        with self._lock:
            line = self._lines.get((pat, model, namespace))
            if line is None:
                line = self._lines[(pat, model, namespace)] = LedgerLine(pat, model, namespace)
            line.requests += 1
            line.prompt_tokens += usage.prompt_tokens
            line.completion_tokens += usage.completion_tokens
            line.cached_tokens += usage.cached_tokens
            line.reasoning_tokens += usage.reasoning_tokens
            line.units += units
            line.cost_usd = line.units / _UNIT
        return amount

    def _cost(self, usage: Usage, price: Price) -> float:
        key = (usage.prompt_tokens, usage.completion_tokens, price.input, price.output)
        found = self._costs.get(key)
        if found is None:
            found = cost(usage, price)
            if len(self._costs) >= _REMEMBERED_COSTS:
                self._costs.clear()
            self._costs[key] = found
        return found

    def spent(self, pat: str) -> float:
        """USD charged to ``pat`` (a fingerprint) so far, across models and namespaces."""
        with self._lock:
            return round(sum(line.cost_usd for key, line in self._lines.items() if key[0] == pat), COST_DIGITS)

    def lines(self, namespace: str | None = None) -> list[LedgerLine]:
        """Lines of ``namespace`` (all when ``None``)."""
        with self._lock:
            found = list(self._lines.values())
        return [line for line in found if namespace is None or line.namespace == namespace]

    def summary(self, namespace: str | None = None) -> JSON:
        """Totals and lines, as ``GET /__mock__/usage`` sends them."""
        lines = self.lines(namespace)
        return {
            "requests": sum(line.requests for line in lines),
            "prompt_tokens": sum(line.prompt_tokens for line in lines),
            "completion_tokens": sum(line.completion_tokens for line in lines),
            "total_tokens": sum(line.prompt_tokens + line.completion_tokens for line in lines),
            "cost_usd": round(sum(line.cost_usd for line in lines), COST_DIGITS),
            "lines": [asdict(line) for line in lines],
        }

    def clear(self, namespace: str | None = None) -> None:
        """Forget totals of ``namespace`` (all when ``None``)."""
        with self._lock:
            for key in [k for k in self._lines if namespace is None or k[2] == namespace]:
                del self._lines[key]
