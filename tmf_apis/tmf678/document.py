"""The bill document: a bill rendered as HTML, at `GET /customerBill/{id}/document` (our extension).

Every bill's `billDocument` points here. It shows the bill's number, dates, account and parties,
one line per rate it totals, the taxes by rate and the amounts due, and, on a bill that holds the
charges of accounts billed to its own (`accountSubtotal`, billing.py), each account's subtotal;
from the stored bill and rates, so it always agrees with what the API returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from persistence.store import ResourceStore
from settings import Settings
from tmf_apis.rules import Document

# The document declares its encoding itself (a meta charset); the spec names the bare type.
MEDIA_TYPE = "text/html"


def handler(
    stores: Mapping[str, ResourceStore], _settings: Settings
) -> Callable[..., tuple[str, int, dict[str, str]]]:
    bills, rates = stores["CustomerBill"], stores["AppliedCustomerBillingRate"]

    def retrieve_customer_bill_document(id: str) -> tuple[str, int, dict[str, str]]:
        bill = bills.get(id)  # NotFound: 404
        lines = list(rates.find_all({"bill.id": id}))
        return render(bill, lines), 200, {"Content-Type": MEDIA_TYPE}

    return retrieve_customer_bill_document


def render(bill: Document, rates: list[Document]) -> str:
    period = bill.get("billingPeriod") or {}
    account = bill.get("billingAccount") or {}
    parties = ", ".join(f"{p.get('id')} ({p.get('role')})" for p in bill.get("relatedParty") or [])
    facts = [
        ("Bill number", bill.get("billNo")),
        ("Bill date", bill.get("billDate")),
        ("Billing period", f"{period.get('startDateTime')} to {period.get('endDateTime')}"),
        ("Billing account", account.get("name") or account.get("id")),
        ("Parties", parties),
        ("Payment due", bill.get("paymentDueDate")),
        ("State", bill.get("state")),
    ]
    rows = "".join(
        _row(
            rate.get("name"),
            _coverage(rate),
            _amount(rate.get("taxExcludedAmount")),
            _amount(rate.get("taxIncludedAmount")),
        )
        for rate in rates
    )
    taxes = "".join(
        _row(f"{t.get('taxCategory')} {t.get('taxRate')}%", "", "", _amount(t.get("taxAmount")))
        for t in bill.get("taxItem") or []
    )
    totals = _row(
        "Total",
        "",
        _amount(bill.get("taxExcludedAmount")),
        _amount(bill.get("taxIncludedAmount")),
    ) + _row("Amount due", "", "", _amount(bill.get("amountDue")))
    header = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v or ''))}</dd>" for k, v in facts)
    subtotals = "".join(
        _row(
            _account(s.get("billingAccount")),
            _amount(s.get("taxExcludedAmount")),
            _amount(s.get("taxIncludedAmount")),
        )
        for s in bill.get("accountSubtotal") or []
        if isinstance(s, dict)
    )
    by_account = (
        "<h2>Subtotals by account</h2><table><thead><tr><th>Account</th><th>Excl. tax</th>"
        f"<th>Incl. tax</th></tr></thead><tbody>{subtotals}</tbody></table>"
        if subtotals
        else ""
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Bill {escape(str(bill.get('billNo') or bill['id']))}</title></head><body>"
        f"<h1>Bill {escape(str(bill.get('billNo') or ''))}</h1><dl>{header}</dl>"
        "<table><thead><tr><th>Charge</th><th>Period</th><th>Excl. tax</th>"
        f"<th>Incl. tax</th></tr></thead><tbody>{rows}{taxes}{totals}</tbody></table>"
        f"{by_account}</body></html>"
    )


def _row(*cells: Any) -> str:
    return "<tr>" + "".join(f"<td>{escape(str(c or ''))}</td>" for c in cells) + "</tr>"


def _account(reference: Any) -> str:
    if not isinstance(reference, dict):
        return ""
    name, account_id = reference.get("name"), reference.get("id")
    return f"{name} ({account_id})" if name else str(account_id or "")


def _coverage(rate: Document) -> str:
    period = rate.get("periodCoverage") or {}
    if not period:
        return ""
    return f"{period.get('startDateTime', '')[:10]} to {period.get('endDateTime', '')[:10]}"


def _amount(money: Any) -> str:
    if not isinstance(money, dict):
        return ""
    return f"{money.get('value', 0):.2f} {money.get('unit', '')}"
