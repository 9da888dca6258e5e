"""`customerBillOnDemand`: an off-cycle bill for one account (or one party's accounts), now.

The POST names a `billingAccount`, or a `relatedParty` whose accounts are billed; naming neither
is 400. The request is stored `inProgress` (what the 201 answer shows); the same request then
runs billing (billing.py) for those accounts over everything unbilled up to now, recurring
periods that have begun included, and the request ends:
- `done`, with `customerBill` naming the bill produced (the first, when the party's accounts
  gave several);
- `terminatedWithError` when there was nothing to bill: the account has no charges here, or all
  of them are billed already. The reason is appended to `description`, the one free-text
  attribute of the resource.
"""

from __future__ import annotations

from typing import Any

import errors
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf678 import billing, charging
from tmf_apis.tmf678.billing import Billing, Run
from tmf_apis.tmf678.options import BillingOptions

IN_PROGRESS, DONE, TERMINATED = "inProgress", "done", "terminatedWithError"
RATES, BILLS = charging.RATE_SCHEMA, billing.BILL_SCHEMA


class OnDemandRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        if not _account_id(document) and not _party_id(document):
            raise errors.BadRequest(
                "a bill on demand names the billingAccount to bill (billingAccount.id), or the "
                "party whose accounts to bill (relatedParty.id)",
                reason="Nothing to bill",
            )
        document["state"] = IN_PROGRESS
        document["lastUpdate"] = context.now

    def after_create(self, document: Document, context: RuleContext) -> None:
        rates = context.store(RATES)
        accounts = _accounts(document, context)
        outcome = None
        if accounts:
            engine = Billing(
                rates,
                context.store(BILLS),
                BillingOptions.from_settings(context.settings),
                products=context.stores.get(billing.PRODUCT_SCHEMA),
                # A site's charges go on its company's bill, as in a bill run (payers.py).
                accounts=context.stores,
            )
            first = min(
                (r.get("date", context.now) for r in _unbilled(rates, accounts)),
                default=context.now,
            )
            run = Run(first, context.now, context.now, billing.OFF_CYCLE, tuple(accounts))
            outcome = engine.run(run)

        def finish(request: Document) -> None:
            request["lastUpdate"] = context.now
            if outcome is not None and outcome.first_bill is not None:
                request["state"] = DONE
                bill = outcome.first_bill
                request["customerBill"] = {"id": bill["id"], "@referredType": BILLS}
                return
            request["state"] = TERMINATED
            named = ", ".join(accounts) if accounts else _describe(document)
            reason = (
                f"nothing to bill: every charge of {named} is billed already"
                if accounts
                else f"no charges are known for {named}"
            )
            told = request.get("description")
            request["description"] = f"{told} ({reason})" if told else reason

        context.store("CustomerBillOnDemand").modify(document["id"], finish)


def _accounts(document: Document, context: RuleContext) -> list[str]:
    """The accounts to bill: the one named, or those of the named party's charges; only
    accounts that have charges here count."""
    rates = context.store(RATES)
    account = _account_id(document)
    if account:
        return [account] if rates.exists({"billingAccount.id": account}) else []
    party = _party_id(document)
    found = rates.collection.distinct("billingAccount.id", {f"{charging.PARTY}.id": party})
    return sorted(a for a in found if isinstance(a, str))


def _unbilled(rates: Any, accounts: list[str]) -> Any:
    where = {"billingAccount.id": {"$in": accounts}, "isBilled": False}
    return rates.collection.find(where, {"_id": 0, "date": 1})


def _account_id(document: Document) -> str | None:
    account = document.get("billingAccount")
    value = account.get("id") if isinstance(account, dict) else None
    return value if isinstance(value, str) and value else None


def _party_id(document: Document) -> str | None:
    party = document.get("relatedParty")
    value = party.get("id") if isinstance(party, dict) else None
    return value if isinstance(value, str) and value else None


def _describe(document: Document) -> str:
    account = _account_id(document)
    return f"billing account {account}" if account else f"party {_party_id(document)}"
