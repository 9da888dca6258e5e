"""Revenue shares on settlement accounts: the rules that keep them
(tmf_apis/tmf666/revenue_shares.py) and the share charging takes from them
(tmf_apis/tmf678/charging.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tmf_apis.tmf666.revenue_shares import problems
from tmf_apis.tmf678.charging import revenue_share

ENTRIES = [
    {"productOffering": {"id": "o-1"}, "sharePercent": 30},
    {"sharePercent": 12.5},
]


@pytest.mark.parametrize(
    "shares",
    [
        None,
        [],
        ENTRIES,
        [{"sharePercent": 0}, {"productOffering": {"id": "o-2"}, "sharePercent": 100}],
    ],
)
def test_valid_shares_pass(shares) -> None:
    assert problems(shares) == []


@pytest.mark.parametrize(
    ("shares", "words"),
    [
        ("ten", "a list of shares"),
        ([7], "a share is an object"),
        ([{"sharePercent": 100.01}], "from 0 to 100"),
        ([{"sharePercent": True}], "from 0 to 100"),
        ([{"sharePercent": "5"}], "from 0 to 100"),
        ([{"productOffering": {}, "sharePercent": 5}], "names the offering by id"),
        ([{"sharePercent": 1}, {"sharePercent": 2}], "the default share"),
        (
            [{"productOffering": {"id": "o"}, "sharePercent": 1}] * 2,
            "revenueShare[0] already gives the share for offering 'o'",
        ),
    ],
)
def test_invalid_shares_are_named(shares, words) -> None:
    assert any(words in problem for problem in problems(shares)), problems(shares)


def test_charging_takes_the_offering_entry_else_the_default_entry_else_none() -> None:
    account = {"revenueShare": ENTRIES}
    assert revenue_share(account, "o-1") == Decimal(30)
    assert revenue_share(account, "o-other") == Decimal("12.5")
    assert revenue_share(account, None) == Decimal("12.5")
    assert revenue_share({"revenueShare": ENTRIES[:1]}, "o-other") is None
    assert revenue_share(None, "o-1") is None
