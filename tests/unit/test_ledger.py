"""The billing ledger's costs carry no float noise: each charge and every total is rounded to 1e-10 USD."""

from __future__ import annotations

import random

from mockserver.clarifai.catalog import Price, _bundled
from mockserver.clarifai.ledger import Ledger, cost
from mockserver.clarifai.usage import Usage

PRICE = Price(input=0.09, output=0.36)


def test_a_charge_is_rounded() -> None:
    # Unrounded, (1 * 0.09 + 3 * 0.36) / 1e6 is 1.1700000000000002e-06.
    assert repr(cost(Usage(prompt_tokens=1, completion_tokens=3), PRICE)) == "1.17e-06"


def test_totals_stay_rounded_over_many_charges() -> None:
    ledger = Ledger()
    for _ in range(1000):
        ledger.charge("pat_x", "m", None, Usage(prompt_tokens=1, completion_tokens=3), PRICE)
    assert repr(ledger.spent("pat_x")) == "0.00117"
    assert repr(ledger.lines()[0].cost_usd) == "0.00117"
    assert ledger.summary()["cost_usd"] == 0.00117


def test_a_flat_amount_is_rounded_too() -> None:
    assert Ledger().charge("pat_x", "img", None, Usage(0, 0), PRICE, amount=0.1 + 0.2) == 0.3


def test_a_total_kept_in_whole_units_is_the_decimally_rounded_total() -> None:
    # The ledger adds whole 1e-10 USD units instead of rounding each new total with round(total, 10) (a speed-up);
    # the totals must be the same, for every bundled price and a spread of token counts.
    randomness = random.Random(7)
    prices = sorted({model.price for model in _bundled()} | {PRICE}, key=lambda p: (p.input, p.output))
    ledger, total = Ledger(), 0.0
    for price in prices:
        for _ in range(200):
            usage = Usage(prompt_tokens=randomness.randint(0, 200_000), completion_tokens=randomness.randint(0, 20_000))
            total = round(total + ledger.charge("pat_x", "m", None, usage, price), 10)
            assert ledger.lines()[0].cost_usd == total
    assert ledger.summary()["cost_usd"] == total
