"""The bill document: a bill rendered as HTML, at `GET /customerBill/{id}/document` (our extension).

Every bill's `billDocument` points here. It shows the bill's number, dates, account and parties
(by name, with the postal address their customer record holds), one line per rate it totals, the
taxes by rate, the amount due and, once payments apply to it (TMF676), what is paid and what is
left; on a bill that holds the charges of accounts billed to its own (`accountSubtotal`,
billing.py), each account's subtotal. From the stored bill and rates, and the accounts and
customers they name as stored now, so it always agrees with what the API returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
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
        # The inventory's products name the lines' groups; without TMF637, their ids do. The
        # same holds for TMF629's customers and TMF666's accounts.
        products = stores.get("Product")
        return (
            render(
                bill,
                lines,
                _product_names(products, lines),
                _parties(stores.get("Customer"), bill),
                _account_name(stores, bill),
            ),
            200,
            {"Content-Type": MEDIA_TYPE},
        )

    return retrieve_customer_bill_document


# Printable: A4 margins, amounts right-aligned, nothing but the bill on paper.
_STYLE = """
body{font-family:"Helvetica Neue",Arial,sans-serif;color:#222;margin:2.5em auto;max-width:52em}
h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.1em;margin:2em 0 .5em}
dl{display:grid;grid-template-columns:max-content auto;gap:.3em 2em;margin:0 0 2em}
dt{color:#666}dd{margin:0}
table{border-collapse:collapse;width:100%}th,td{padding:.4em .6em;text-align:left}
thead th{border-bottom:2px solid #222}tbody td{border-bottom:1px solid #ddd}
td.n,th.n{text-align:right;white-space:nowrap}
tr.group td{background:#f4f4f4;font-weight:bold}
tr.total td{border-top:2px solid #222;font-weight:bold}
tr.due td{font-size:1.15em;font-weight:bold}
@media print{body{margin:0;max-width:none}@page{size:A4;margin:2cm}}
"""
_NUMBER_CELL = "<td class='n'>"
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@dataclass(frozen=True)
class Party:
    """A party as the document names it."""

    name: str
    address: str = ""


# Where a stored (v4-shaped) postal contact medium keeps each part, in the order written.
_ADDRESS_PARTS = ("street1", "street2", "postCode", "city", "stateOrProvince", "country")


def _parties(customers: ResourceStore | None, bill: Document) -> dict[str, Party]:
    wanted = sorted(
        {
            str(p["id"])
            for p in bill.get("relatedParty") or []
            if isinstance(p, dict) and p.get("id")
        }
    )
    if customers is None or not wanted:
        return {}
    return {
        str(c["id"]): Party(str(c.get("name") or c["id"]), _postal_address(c))
        for c in customers.find_all({"id": {"$in": wanted}})
    }


def _postal_address(customer: Document) -> str:
    """The customer's preferred postal address on one line ("" without one)."""
    media = [m for m in customer.get("contactMedium") or [] if isinstance(m, dict)]
    media.sort(key=lambda m: not m.get("preferred"))
    for medium in media:
        where = medium.get("characteristic") or {}
        parts = [str(where[k]) for k in _ADDRESS_PARTS if isinstance(where, dict) and where.get(k)]
        if parts:
            return ", ".join(parts)
    return ""


def _account_name(stores: Mapping[str, ResourceStore], bill: Document) -> str | None:
    account_id = (bill.get("billingAccount") or {}).get("id")
    for schema in ("BillingAccount", "SettlementAccount"):
        store = stores.get(schema)
        found = store.find_one({"id": account_id}) if store is not None and account_id else None
        if found is not None and found.get("name"):
            return str(found["name"])
    return None


def _product_names(products: ResourceStore | None, rates: list[Document]) -> dict[str, str]:
    wanted = sorted(
        {
            str(r["product"]["id"])
            for r in rates
            if isinstance(r.get("product"), dict) and r["product"].get("id")
        }
    )
    if products is None or not wanted:
        return {}
    found = products.find_all({"id": {"$in": wanted}})
    return {p["id"]: str(p["name"]) for p in found if isinstance(p.get("name"), str)}


def render(
    bill: Document,
    rates: list[Document],
    product_names: Mapping[str, str] | None = None,
    parties: Mapping[str, Party] | None = None,
    account_name: str | None = None,
) -> str:
    period = bill.get("billingPeriod") or {}
    account = bill.get("billingAccount") or {}
    if account_name and not account.get("name"):
        account = {**account, "name": account_name}
    named = [
        _party(p, (parties or {}).get(str(p.get("id"))))
        for p in bill.get("relatedParty") or []
        if isinstance(p, dict)
    ]
    facts = [
        ("Bill number", bill.get("billNo")),
        ("Bill date", _day(bill.get("billDate"))),
        ("Billing period", _period(period)),
        ("Billing account", _account(account)),
        ("Parties", named),
        ("Payment due", _day(bill.get("paymentDueDate"))),
        ("State", bill.get("state")),
    ]
    rows = "".join(
        _product_rows(product, held) for product, held in _by_product(rates, product_names or {})
    )
    taxes = "".join(
        _row(f"{t.get('taxCategory')} {t.get('taxRate')}%", "", "", _amount(t.get("taxAmount")))
        for t in bill.get("taxItem") or []
        if isinstance(t, dict)
    )
    totals = _row(
        "Total",
        "",
        _amount(bill.get("taxExcludedAmount")),
        _amount(bill.get("taxIncludedAmount")),
        kind="total",
    ) + _due_rows(bill)
    header = "".join(f"<dt>{escape(k)}</dt><dd>{_fact(v)}</dd>" for k, v in facts)
    subtotals = "".join(
        _row(
            _account(s.get("billingAccount")),
            _amount(s.get("taxExcludedAmount")),
            _amount(s.get("taxIncludedAmount")),
            numbers_from=1,
        )
        for s in bill.get("accountSubtotal") or []
        if isinstance(s, dict)
    )
    by_account = (
        "<h2>Subtotals by account</h2><table><thead><tr><th>Account</th><th class='n'>Excl. tax"
        f"</th><th class='n'>Incl. tax</th></tr></thead><tbody>{subtotals}</tbody></table>"
        if subtotals
        else ""
    )
    kind = "Settlement statement" if bill.get("category") == "settlement" else "Bill"
    title = f"{kind} {bill.get('billNo') or bill['id']}"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(str(title))}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(str(title))}</h1>"
        f"<dl>{header}</dl>"
        "<table><thead><tr><th>Charge</th><th>Period</th><th class='n'>Excl. tax</th>"
        f"<th class='n'>Incl. tax</th></tr></thead><tbody>{rows}</tbody>"
        f"<tbody>{taxes}{totals}</tbody></table>"
        f"{by_account}</body></html>"
    )


def _by_product(
    rates: list[Document], names: Mapping[str, str]
) -> list[tuple[str, list[Document]]]:
    """The rates by the product they charge for (its name, else its id), in the order first
    met; charges for no product last."""
    groups: dict[str, list[Document]] = {}
    for rate in rates:
        product = rate.get("product")
        held = product if isinstance(product, dict) else {}
        known = names.get(str(held.get("id")))
        name = str(known or held.get("name") or held.get("id") or "")
        groups.setdefault(name, []).append(rate)
    named = [(name, held) for name, held in groups.items() if name]
    return named + [("", groups[""])] if "" in groups else named


def _product_rows(product: str, rates: list[Document]) -> str:
    heading = _row(f"Product {product}" if product else "Other charges", "", "", "", kind="group")
    return heading + "".join(
        _row(
            rate.get("name"),
            _coverage(rate),
            _amount(rate.get("taxExcludedAmount")),
            _amount(rate.get("taxIncludedAmount")),
        )
        for rate in rates
    )


def _due_rows(bill: Document) -> str:
    """The amount due and, once payments apply to the bill, what they paid and what is left."""
    due, left = bill.get("amountDue"), bill.get("remainingAmount")
    rows = _row("Amount due", "", "", _amount(due), kind="due")
    if not isinstance(due, dict) or not isinstance(left, dict) or left == due:
        return rows
    if left.get("unit") != due.get("unit") or left.get("value") is None:
        return rows
    paid = Decimal(str(due.get("value") or 0)) - Decimal(str(left["value"]))
    return (
        rows
        + _row("Paid", "", "", _amount({"value": -paid, "unit": due.get("unit")}))
        + _row("Left to pay", "", "", _amount(left), kind="due")
    )


def _fact(value: Any) -> str:
    """A header fact: a list shows one entry a line."""
    if isinstance(value, list):
        return "<br>".join(escape(str(v)) for v in value if v)
    return escape(str(value or ""))


def _row(*cells: Any, kind: str = "", numbers_from: int = 2) -> str:
    """A table row; the cells from `numbers_from` on are amounts, aligned right."""
    shown = "".join(
        (_NUMBER_CELL if n >= numbers_from else "<td>") + escape(str(c or "")) + "</td>"
        for n, c in enumerate(cells)
    )
    return f"<tr class='{kind}'>{shown}</tr>" if kind else f"<tr>{shown}</tr>"


def _party(party: Document, known: Party | None) -> str:
    """ "Name (role), address": the bill's own name first, else the customer record's."""
    who = party.get("name") or (known.name if known else None) or party.get("id") or ""
    shown = f"{who} ({party['role']})" if party.get("role") else str(who)
    return f"{shown}, {known.address}" if known and known.address else shown


def _account(reference: Any) -> str:
    if not isinstance(reference, dict):
        return ""
    name, account_id = reference.get("name"), reference.get("id")
    return f"{name} ({account_id})" if name else str(account_id or "")


def _day(moment: Any) -> str:
    """`2026-12-06T10:00:00.000Z` as `6 Dec 2026`."""
    if not isinstance(moment, str) or len(moment) < 10 or moment[4] != "-":
        return str(moment or "")
    year, month, day = moment[:4], int(moment[5:7]), int(moment[8:10])
    return f"{day} {_MONTHS[month - 1]} {year}"


def _period(period: Any) -> str:
    """A period as the days it covers: its end is the first moment after it, so an end at
    midnight shows the day before."""
    if not isinstance(period, dict):
        return ""
    start, end = period.get("startDateTime"), period.get("endDateTime")
    if not isinstance(start, str) or not isinstance(end, str):
        return ""
    last = _day(end)
    if end[10:19] in ("T00:00:00", "") and end[:10] > start[:10]:
        moment = date.fromisoformat(end[:10]) - timedelta(days=1)
        last = f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"
    first = _day(start)
    return first if first == last else f"{first} – {last}"


def _coverage(rate: Document) -> str:
    return _period(rate.get("periodCoverage"))


def _amount(money: Any) -> str:
    if not isinstance(money, dict):
        return ""
    return f"{money.get('value', 0):,.2f} {money.get('unit', '')}"
