"""The billing ledger's costs carry no float noise: each charge and every total is rounded to 1e-10 USD."""

from __future__ import annotations

from mockserver.clarifai.catalog import Price
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
