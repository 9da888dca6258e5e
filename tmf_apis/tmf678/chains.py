"""Recurring chains: a recurring price's rates, one group per period (the charge, its discounts'
credits, the partner's share), each later group raised from the one before.

The chain's newest charge, its head, holds `_next` (rates.py): `due`, when the next period
starts; `periodType` and `length`; `group`, the chains of the group's rates; `number`, the count
of charged periods the head's is. Three things move a chain on:
- `raise_next` stores the next period's group, copied from the head's: a credit whose `_periods`
  are used up is left out (the charge goes on alone), and the partner's share is worked out again
  without it; the new charge becomes the head.
- `skip_next` charges nothing for the period due (a suspended product) and moves `due` one period
  on; the skipped period does not count towards a discount's periods.
- `end` stops the chain at a moment: periods that began before it and were not raised yet are
  raised (they were owed), a period that began after it (raised in advance) is credited in full,
  the period it falls in is credited for its unused whole days (charging.py states the policy),
  and `_next` goes. Credits have ids derived from what they reverse: ending twice credits once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from typing import Any

from persistence import dates
from persistence.store import ResourceStore
from tmf_apis import money
from tmf_apis.rules import Document
from tmf_apis.tmf678 import periods
from tmf_apis.tmf678.options import CHARGE, CREDIT
from tmf_apis.tmf678.rates import (
    CHAIN,
    NEXT,
    PARTY,
    PERIODS,
    SHARE,
    amounts_of,
    build,
    rate_id,
    share_amounts,
    store_rates,
    tax_rate_of,
)

DAY = timedelta(days=1)
# What a credit for an unused period is to the rate it reverses.
REVERSED = {CHARGE: CREDIT, CREDIT: CHARGE}
# Kept from a reversed rate on its credit.
KEPT = ("@type", "billingAccount", "characteristic", "product", PARTY)
UNUSED = "unused"
# Copied from one period's rate to the next one's: its attributes but these, and of the server's
# bookkeeping only these (not the chain's `_next`, a bill's claim, revisions, pending events).
_NOT_COPIED = frozenset({"bill", "href"})
_BOOKKEEPING = frozenset({CHAIN, PARTY, PERIODS, SHARE})


def raise_next(rates: ResourceStore, head: Document) -> int:
    """Store the period after the one `head` covers and make its charge the head; returns how
    many rates were stored."""
    chain = head[NEXT]
    if not periods.is_known(chain.get("periodType")):
        _drop_next(rates, head)
        return 0
    copies = next_period(head, _group(rates, head))
    stored = store_rates(rates, copies)
    # The chain moves to the new head only once the new period is stored.
    _drop_next(rates, head)
    return len(stored)


def skip_next(rates: ResourceStore, head: Document) -> None:
    """Charge nothing for the period due: `due` moves one period on (once, however many runs
    do it at the same time)."""
    chain = head[NEXT]
    if not periods.is_known(chain.get("periodType")):
        _drop_next(rates, head)
        return
    later = periods.period_end(chain["due"], chain["periodType"], chain.get("length", 1))
    rates.collection.update_one(
        {"id": head["id"], f"{NEXT}.due": chain["due"]}, {"$set": {f"{NEXT}.due": later}}
    )


def end(rates: ResourceStore, head: Document, moment: str) -> int:
    """Stop the chain of `head` at `moment` (stored form); returns how many rates it stored
    (periods owed before `moment`, credits after it)."""
    members = list(head[NEXT].get("group") or [head[CHAIN]])
    stored = 0
    current: Document | None = head
    while current is not None:
        if current[NEXT]["due"] < moment:
            stored += raise_next(rates, current)
        else:
            _drop_next(rates, current)
        # Read again: a bill run may have raised a period meanwhile; it is ended (and credited
        # below) too.
        current = open_head(rates, head[CHAIN])
    reversed_rates = rates.collection.find(
        {CHAIN: {"$in": members}, "periodCoverage.endDateTime": {"$gt": moment}}, {"_id": 0}
    )
    stored += len(store_rates(rates, _credits(reversed_rates, moment)))
    return stored


def open_head(rates: ResourceStore, chain: str) -> Document | None:
    """The head of the chain `chain` (its charge's), if the chain goes on."""
    return rates.collection.find_one({CHAIN: chain, NEXT: {"$exists": True}}, {"_id": 0})


def next_period(head: Document, group: list[Document]) -> list[Document]:
    """The rates of the period after the one `head` covers, copied from its group with the
    period, date and ids moved on; the new head carries the chain."""
    chain = head[NEXT]
    start = chain["due"]
    end_at = periods.period_end(start, chain["periodType"], chain.get("length", 1))
    number = _number(chain) + 1
    kept = [rate for rate in group if rate is group[0] or _applies(rate, number)]
    copies = []
    for rate in kept:
        copy = {k: v for k, v in rate.items() if _copied(k)}
        copy.update(
            id=rate_id(rate[CHAIN], start),
            date=start,
            isBilled=False,
            periodCoverage={"startDateTime": start, "endDateTime": end_at},
        )
        copies.append(copy)
    if len(kept) < len(group):
        copies = _shared_again(copies)
    copies[0][NEXT] = {**chain, "due": end_at, "number": number}
    return copies


def _copied(name: str) -> bool:
    return name in _BOOKKEEPING if name.startswith("_") else name not in _NOT_COPIED


def _group(rates: ResourceStore, head: Document) -> list[Document]:
    """The rates of the head's period that its group names, the head first."""
    start = (head.get("periodCoverage") or {}).get("startDateTime", "")
    ids = [rate_id(chain, start) for chain in head[NEXT]["group"]]
    found = {r["id"]: r for r in rates.collection.find({"id": {"$in": ids}}, {"_id": 0})}
    group = [found[i] for i in ids if i in found]
    if not group or group[0]["id"] != head["id"]:
        return [head]  # the head leads its group; anything else is repeated alone
    return group


def _drop_next(rates: ResourceStore, head: Document) -> None:
    rates.collection.update_one({"id": head["id"]}, {"$unset": {NEXT: ""}})


def _number(chain: Document) -> int:
    number = chain.get("number")
    return number if isinstance(number, int) else 1


def _applies(rate: Document, number: int) -> bool:
    """Whether a rate of the group applies to the `number`th charged period."""
    limit = rate.get(PERIODS)
    return not isinstance(limit, int) or number <= limit


def _shared_again(copies: list[Document]) -> list[Document]:
    """The group with each partner's share worked out again from the customer's rates it
    keeps (a discount ended: the partner's share of the price grows with it)."""
    sold = [c for c in copies if SHARE not in c]
    again = []
    for copy in copies:
        share = money.decimal(copy.get(SHARE))
        owed = share_amounts(sold, share, tax_rate_of(copy)) if share is not None else None
        if owed is None:
            again.append(copy)
            continue
        common = {k: v for k, v in copy.items() if k not in _AMOUNTS}
        again.append(
            build(copy[CHAIN], common, copy["name"], copy["type"], owed, tax_rate_of(copy))
        )
    return again


_AMOUNTS = ("id", "name", "type", "taxExcludedAmount", "taxIncludedAmount", "appliedTax", CHAIN)


def _credits(found: Any, moment: str) -> Iterator[Document]:
    for rate in found:
        credit = unused(rate, moment)
        if credit is not None:
            yield credit


def unused(rate: Document, moment: str) -> Document | None:
    """The credit of what `rate` charged for after `moment`: its whole period when it began
    after `moment`, else its unused whole days (the day `moment` falls in counts as used);
    None when nothing is left unused."""
    period = rate.get("periodCoverage") or {}
    start, finish = period.get("startDateTime"), period.get("endDateTime")
    if not isinstance(start, str) or not isinstance(finish, str) or finish <= moment:
        return None
    charged = amounts_of(rate)
    tax_rate = tax_rate_of(rate)
    if start >= moment:
        off = -charged
        name = f"{rate['name']}: period not used"
    else:
        days = round((dates.parse(finish) - dates.parse(start)) / DAY)
        left = (dates.parse(finish) - dates.parse(moment)) // DAY
        if days <= 0 or left <= 0:
            return None
        share = Fraction(left, days)
        net = -charged.net * share.numerator / share.denominator
        off = money.unit(net, charged.currency, tax_rate, tax_included=False)
        name = f"{rate['name']}: {left} unused days of {days}"
    common: Document = {k: rate[k] for k in KEPT if k in rate}
    common.update(
        date=max(start, moment),
        isBilled=False,
        periodCoverage={"startDateTime": max(start, moment), "endDateTime": finish},
    )
    rate_type = REVERSED.get(str(rate.get("type")), str(rate.get("type")))
    credit = build(f"{rate[CHAIN]}/{UNUSED}", common, name, rate_type, off, tax_rate)
    # Derived from the period it reverses, not from the moment: ending twice credits once.
    credit["id"] = rate_id(f"{rate[CHAIN]}/{UNUSED}", start)
    return credit
