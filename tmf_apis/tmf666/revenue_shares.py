"""A partner's revenue shares, kept on its settlement account (an extension of this server).

`revenueShare` on a SettlementAccount (declared in our TMF666 v4 and v5 specs; v5 carries it
unchanged) lists the percent of what the partner sells that is its share:
`[{productOffering?: {id, name?, href?}, sharePercent}]`. An entry naming an offering holds for
that offering; the one naming none is the partner's default. Charging reads them
(tmf_apis/tmf678/charging.py): the entry for the item's offering, else the default entry, else
the `TMF_SETTLEMENT_SHARES` setting.

Rules (422 otherwise): `sharePercent` is a number from 0 to 100; at most one entry names no
offering, and at most one names each offering (by id). The operator (billing, admin) writes
them; the partner only reads its account (registry.py), so it cannot change its own share.
"""

from __future__ import annotations

from typing import Any

import errors
from tmf_apis import money
from tmf_apis.rules import Document, RuleContext
from tmf_apis.tmf666.rules import AccountRules

SHARES = "revenueShare"
PERCENT = "sharePercent"
OFFERING = "productOffering"
LOWEST, HIGHEST = 0, 100


class SettlementAccountRules(AccountRules):
    """An account's rules (rules.py) and the revenue share rules above."""

    def on_create(self, document: Document, context: RuleContext) -> None:
        _check(document.get(SHARES))
        super().on_create(document, context)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        if after.get(SHARES) != before.get(SHARES):
            _check(after.get(SHARES))
        super().on_patch(before, after, context)


def problems(shares: Any) -> list[str]:
    """Why a `revenueShare` value cannot be kept; empty when it can (or is absent)."""
    if shares is None:
        return []
    if not isinstance(shares, list):
        return [f"{SHARES}: a list of shares"]
    found = []
    seen: dict[str | None, int] = {}
    for index, entry in enumerate(shares):
        place = f"{SHARES}[{index}]"
        if not isinstance(entry, dict):
            found.append(f"{place}: a share is an object with {PERCENT}")
            continue
        percent = money.decimal(entry.get(PERCENT))
        if percent is None or not LOWEST <= percent <= HIGHEST:
            found.append(
                f"{place}: {PERCENT} must be a number from {LOWEST} to {HIGHEST} "
                f"(got {entry.get(PERCENT)!r})"
            )
        offering = entry.get(OFFERING)
        if offering is not None and not (isinstance(offering, dict) and offering.get("id")):
            found.append(f"{place}: {OFFERING} names the offering by id")
            continue
        key = str(offering["id"]) if offering is not None else None
        if key in seen:
            what = f"offering {key!r}" if key is not None else "no offering (the default share)"
            found.append(f"{place}: {SHARES}[{seen[key]}] already gives the share for {what}")
        else:
            seen[key] = index
    return found


def _check(shares: Any) -> None:
    found = problems(shares)
    if found:
        raise errors.UnprocessableEntity("; ".join(found), reason="Invalid revenue share")
