"""What a payment and a refund must name, and what their creation sets off.

Both are checked before anything is written (422 with the reason: a reference in a body to
something unknown is not a 404), stored with their effects recorded (payments.py, refunds.py),
and carried out right after the write; the sweeper carries out what a stopped process left.
Both are `done` (the official example statuses' word for a finished transaction) once
recorded; a refund a concurrent one left nothing for turns `failed`. `paymentDate`,
`refundDate` and `statusDate` are the server's.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import errors
from persistence.errors import Conflict
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf676 import accounts, balances, ledger, payments, refunds

log = logging.getLogger("tmf.payments")


def _refuse(message: str, reason: str) -> errors.UnprocessableEntity:
    return errors.UnprocessableEntity(message, reason=reason)


def _positive(value: Any, where: str) -> tuple[Decimal, str]:
    """A Money's amount and currency; refused unless the amount is above zero and the
    currency named."""
    found = ledger.amount(value)
    unit = ledger.currency(value)
    if found <= 0:
        raise _refuse(f"{where}: the amount must be above zero", "Invalid amount")
    if not unit:
        raise _refuse(f"{where}: the currency (unit) is required", "Invalid amount")
    return found, unit


def _same_currency(value: Any, unit: str, where: str) -> None:
    if isinstance(value, dict) and ledger.currency(value) not in ("", unit):
        raise _refuse(
            f"{where}: currency {ledger.currency(value)} differs from the payment's {unit}",
            "Wrong currency",
        )


def _hide_internals(document: Document) -> None:
    """The answer to the client shows no bookkeeping (the stored document keeps it)."""
    for name in [n for n in document if n.startswith("_")]:
        document.pop(name)


class PaymentRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        total, unit = _positive(document.get("totalAmount"), "totalAmount")
        for name in ("amount", "taxAmount"):
            _same_currency(document.get(name), unit, name)
        account_id = str((document.get("account") or {}).get("id"))
        held = accounts.held(context.stores, account_id)
        account = held[1] if held is not None else None
        billed = accounts.billed(context.stores, account_id)
        refusal = accounts.refusal(account, billed, account_id)
        if refusal is not None:
            raise _refuse(f"account: {refusal}", "Account refuses payment")
        known = accounts.currencies(account, billed)
        if known and unit not in known:
            raise _refuse(
                f"totalAmount: account {account_id!r} is billed in {', '.join(sorted(known))}, "
                f"not {unit}",
                "Wrong currency",
            )
        plan = self._plan(document, context, account_id, total, unit)
        document.update(status=refunds.DONE, statusDate=context.now, paymentDate=context.now)
        document[payments.CURRENCY] = unit
        party = accounts.owner(account, billed)
        if party is not None:
            document[accounts.PARTY] = party
        document[payments.APPLYING] = context.now  # the balance follows even without steps
        payments.add_ops(document, plan, str(document["id"]), context.now)

    def _plan(
        self, document: Document, context: RuleContext, account_id: str, total: Decimal, unit: str
    ) -> list[tuple[str, Decimal]]:
        items = [i for i in document.get("paymentItem") or [] if isinstance(i, dict)]
        bills = context.stores.get(ledger.BILL_SCHEMA)
        if bills is None:  # TMF678 not served: there is no bill to pay, all of it is credit
            if items:
                raise _refuse("paymentItem: no bills are served here", "Unknown bill")
            return []
        if not items:
            return payments.plan_open_bills(bills, {**document, payments.CURRENCY: unit}, total)
        plan: list[tuple[str, Decimal]] = []
        rest = total
        for n, item in enumerate(items):
            where = f"paymentItem[{n}]"
            bill_id = str((item.get("item") or {}).get("id"))
            bill = bills.find_one({"id": bill_id})
            if bill is None:
                raise _refuse(f"{where}: bill {bill_id!r} does not exist", "Unknown bill")
            if (bill.get("billingAccount") or {}).get("id") != account_id:
                raise _refuse(
                    f"{where}: bill {bill_id!r} is not a bill of account {account_id!r}",
                    "Bill of another account",
                )
            billed_in = ledger.currency(bill.get("amountDue"))
            if billed_in != unit:
                raise _refuse(
                    f"{where}: bill {bill_id!r} is in {billed_in}, the payment in {unit}",
                    "Wrong currency",
                )
            given = item.get("totalAmount", item.get("amount"))
            if given is not None:
                wanted, _ = _positive(given, f"{where}.totalAmount")
                _same_currency(given, unit, f"{where}.totalAmount")
            else:
                wanted = min(ledger.remaining(bill), rest)
            if wanted > rest:
                raise _refuse(
                    f"{where}: the items ask for more than the payment's totalAmount",
                    "Items exceed the payment",
                )
            rest -= wanted
            plan.append((bill_id, wanted))
        return plan

    def after_create(self, document: Document, context: RuleContext) -> None:
        try:
            settled = payments.settle(
                context.store(payments.PAYMENT_SCHEMA),
                context.store(ledger.BILL_SCHEMA),
                str(document["id"]),
                context.now,
            )
            balances.recompute(context.stores, str(document["account"]["id"]), context.now)
            document["paymentItem"] = settled["paymentItem"]
        except Conflict:
            log.warning("payment left for the sweeper", extra={"payment": document["id"]})
        _hide_internals(document)


class RefundRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        wanted, unit = _positive(document.get("totalAmount"), "totalAmount")
        for name in ("amount", "taxAmount"):
            _same_currency(document.get(name), unit, name)
        payment_id = (document.get("payment") or {}).get("id")
        if not isinstance(payment_id, str):
            raise _refuse("payment: a refund names the payment it gives back", "Payment missing")
        held = context.stores.get(payments.PAYMENT_SCHEMA)
        payment = payments.stored(held, payment_id) if held is not None else None
        if payment is None:
            raise _refuse(f"payment: payment {payment_id!r} does not exist", "Unknown payment")
        account_id = (document.get("account") or {}).get("id")
        if account_id != (payment.get("account") or {}).get("id"):
            raise _refuse(
                f"account: payment {payment_id!r} was made on another account",
                "Payment of another account",
            )
        if unit != payments.unit(payment):
            raise _refuse(
                f"totalAmount: payment {payment_id!r} is in {payments.unit(payment)}",
                "Wrong currency",
            )
        left = refunds.holds(payment)
        if wanted > left:
            raise _refuse(
                f"totalAmount: payment {payment_id!r} holds {left} {unit} to refund",
                "Refund exceeds the payment",
            )
        document.update(status=refunds.DONE, statusDate=context.now, refundDate=context.now)
        if payment.get(accounts.PARTY):
            document[accounts.PARTY] = payment[accounts.PARTY]
        document[payments.APPLYING] = context.now

    def after_create(self, document: Document, context: RuleContext) -> None:
        try:
            done = refunds.carry_out(context.stores, document, context.now)
            document.update(status=done["status"], statusDate=done["statusDate"])
        except Conflict:
            log.warning("refund left for the sweeper", extra={"refund": document["id"]})
        _hide_internals(document)
