"""Applied customer billing rates: their derived ids, how one is written, how they are stored, and
the bookkeeping they carry inside the server (attributes starting with `_`, never shown).

- `_chain`: what the rate charges, `<order>/<item>/<price index>/<charge|credit/n|share>`; with
  the start of its period it gives the rate's id, so raising a period twice stores it once.
- `_next` (on the newest charge of a recurring chain only): when the next period is due and
  which chains it repeats (charging.py, chains.py).
- `_periods` (on a credit): how many charged periods the discount applies to, the first counting
  as one (the order's `applicationDuration`); absent, it applies as long as the charge.
- `_share` (on a partner's revenue share): the share in percent, to work it out again when a
  discount of the charge it is a share of ends.
- `_party`: the party the rate concerns (the customer, or the partner of a settlement rate).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from persistence.errors import Conflict
from persistence.store import ResourceStore
from tmf_apis import money
from tmf_apis.rules import Document

RATE_SCHEMA = "AppliedCustomerBillingRate"
NAMESPACE = uuid.UUID("5b7e4f9e-2c1a-4d43-9a57-0f3f3c2d8e61")
NEXT = "_next"
PARTY = "_party"
CHAIN = "_chain"
PERIODS = "_periods"
SHARE = "_share"


def rate_id(chain: str, start: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{chain}@{start}"))


def store_rates(rates: ResourceStore, documents: Iterable[Document]) -> list[Document]:
    """Store each rate not stored before (ids are derived from what they charge); returns
    those stored now."""
    stored = []
    for document in documents:
        try:
            rates.insert(document)
            stored.append(document)
        except Conflict:
            continue
    return stored


def build(
    chain: str,
    common: Document,
    name: str,
    rate_type: str,
    amounts: money.Amounts,
    tax_rate: Decimal,
) -> Document:
    """A rate of `amounts` with tax at `tax_rate`, its id derived from `chain` and the start of
    its period (`common["periodCoverage"]`, none for a one-time charge)."""
    start = (common.get("periodCoverage") or {}).get("startDateTime", "")
    currency = amounts.currency
    rate = {
        **common,
        "id": rate_id(chain, start),
        "name": name,
        "type": rate_type,
        "taxExcludedAmount": money.money(amounts.net, currency),
        "taxIncludedAmount": money.money(amounts.gross, currency),
        "appliedTax": [
            {
                "taxCategory": "VAT",
                "taxRate": money.number(tax_rate),
                "taxAmount": money.money(amounts.tax, currency),
            }
        ],
        CHAIN: chain,
    }
    if rate.get(PARTY) is None:
        rate.pop(PARTY, None)
    return rate


def share_amounts(
    sold: Iterable[Document], share: Decimal, tax_rate: Decimal
) -> money.Amounts | None:
    """A partner's share, in percent, of what the customer's rates `sold` come to net of tax
    (a new unit amount on the tax-excluded basis, tmf_apis/money.py); None when nothing was."""
    rates = list(sold)
    if not rates:
        return None
    currency = str(rates[0]["taxExcludedAmount"]["unit"])
    total = sum((amount(r["taxExcludedAmount"]) for r in rates), money.ZERO)
    return money.unit(total * share / money.HUNDRED, currency, tax_rate, tax_included=False)


def amounts_of(rate: Document) -> money.Amounts:
    return money.Amounts(
        amount(rate["taxExcludedAmount"]),
        amount(rate["taxIncludedAmount"]),
        str(rate["taxExcludedAmount"].get("unit") or ""),
    )


def tax_rate_of(rate: Document) -> Decimal:
    """The tax rate a stored rate was taxed at (the sum of its applied taxes' rates)."""
    taxes = [t for t in rate.get("appliedTax") or [] if isinstance(t, dict)]
    return sum((money.decimal(t.get("taxRate")) or money.ZERO for t in taxes), money.ZERO)


def amount(value: Any) -> Decimal:
    """A stored Money's amount (zero when it has none)."""
    found = money.decimal(value.get("value")) if isinstance(value, dict) else None
    return found if found is not None else money.ZERO
