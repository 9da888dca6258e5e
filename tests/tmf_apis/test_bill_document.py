"""The bill document as a customer or partner reads it: readable dates and periods, lines by
product, taxes and totals, names rather than bare ids, and nothing a name holds run as markup."""

from __future__ import annotations

from tmf_apis.tmf678.document import Party, render

BILL = {
    "id": "b-1",
    "billNo": "B-2026-12-0001",
    "billDate": "2026-12-06T10:00:00.000Z",
    "paymentDueDate": "2026-12-20T10:00:00.000Z",
    "state": "new",
    "category": "normal",
    "billingPeriod": {
        "startDateTime": "2026-12-01T00:00:00.000Z",
        "endDateTime": "2027-01-01T00:00:00.000Z",
    },
    "billingAccount": {"id": "acc-1", "name": "Moon FC"},
    "relatedParty": [{"id": "c-1", "name": "Moon FC Ltd", "role": "customer"}, {"id": "p-9"}],
    "taxItem": [
        {"taxCategory": "VAT", "taxRate": 20.0, "taxAmount": {"value": 246.9, "unit": "EUR"}}
    ],
    "taxExcludedAmount": {"value": 1234.5, "unit": "EUR"},
    "taxIncludedAmount": {"value": 1481.4, "unit": "EUR"},
    "amountDue": {"value": 1481.4, "unit": "EUR"},
}
MONTH = {"startDateTime": "2026-12-01T00:00:00.000Z", "endDateTime": "2027-01-01T00:00:00.000Z"}


def rate(name: str, value: float, product: dict[str, str] | None) -> dict[str, object]:
    shown: dict[str, object] = {
        "name": name,
        "periodCoverage": MONTH,
        "taxExcludedAmount": {"value": value, "unit": "EUR"},
        "taxIncludedAmount": {"value": value * 1.2, "unit": "EUR"},
    }
    if product is not None:
        shown["product"] = product
    return shown


def test_a_bill_reads_as_a_bill() -> None:
    rates = [
        rate("Monthly fee", 40.0, {"id": "pr-1", "name": "Fibre 1G"}),
        rate("Late fee", 5.0, None),
        rate("Router rental", 1189.5, {"id": "pr-1", "name": "Fibre 1G"}),
        rate("<script>alert(1)</script>", 0.0, {"id": "pr-2"}),
    ]
    page = render(BILL, rates)
    assert "<title>Bill B-2026-12-0001</title>" in page
    assert "<style>" in page and "@media print" in page
    assert "6 Dec 2026" in page and "20 Dec 2026" in page  # bill date, payment due
    assert "1 Dec 2026 – 31 Dec 2026" in page  # the period's end is the first moment after it
    assert "Moon FC (acc-1)" in page and "Moon FC Ltd (customer)" in page and "p-9" in page
    assert "1,234.50 EUR" in page and "1,481.40 EUR" in page and "VAT 20.0%" in page
    # Lines by product, in the order first met; charges for no product last.
    fibre, other_product, others = (
        page.index("Product Fibre 1G"),
        page.index("Product pr-2"),
        page.index("Other charges"),
    )
    assert fibre < page.index("Router rental") < other_product < others < page.index("Late fee")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_settlement_statement_says_so() -> None:
    page = render({**BILL, "category": "settlement"}, [])
    assert "<h1>Settlement statement B-2026-12-0001</h1>" in page


def test_parties_and_account_are_named_from_their_records() -> None:
    bill = {
        **BILL,
        "billingAccount": {"id": "acc-1"},
        "relatedParty": [{"id": "c-1", "role": "payer"}],
    }
    known = {"c-1": Party("Harbour Fish Ltd", "1 Quay road, 4000-001, Porto, Portugal")}
    page = render(bill, [], parties=known, account_name="Harbour Fish, head office")
    assert "Harbour Fish, head office (acc-1)" in page
    assert "Harbour Fish Ltd (payer), 1 Quay road, 4000-001, Porto, Portugal" in page
    assert "c-1" not in page.replace("(acc-1)", "")


def test_a_partly_paid_bill_shows_what_is_paid_and_what_is_left() -> None:
    paid = {**BILL, "state": "partiallyPaid", "remainingAmount": {"value": 481.4, "unit": "EUR"}}
    page = render(paid, [])
    assert "Amount due" in page and "1,481.40 EUR" in page
    assert "Paid" in page and "-1,000.00 EUR" in page
    assert page.index("Left to pay") > page.index("Paid") and "481.40 EUR" in page
    assert "Left to pay" not in render(BILL, [])  # nothing paid yet: the amount due alone
