"""Bills by payer on the real database: the billedTo hierarchy, cycles and their due dates, the
accounts told of issued bills, a stopped run completed from its claim; and the periods of a
billing cycle (periods.cycle_period)."""

from __future__ import annotations

import uuid

import pytest

from persistence.database import Database
from persistence.store import ResourceStore
from tests.tmf_apis.test_billing_engine import PERIOD, rate
from tmf_apis.tmf678 import billing, periods
from tmf_apis.tmf678.billing import Billing, Run
from tmf_apis.tmf678.options import BillingOptions

Stores = dict[str, ResourceStore]


@pytest.fixture
def stores(database: Database) -> Stores:
    suffix = uuid.uuid4().hex[:8]
    found = {}
    for schema in ("Rate", "Bill", "BillingAccount", "SettlementAccount", "Cycle"):
        found[schema] = database.store(f"{schema.lower()}_{suffix}")
        database.ensure_indexes(found[schema].collection.name, ("id",))
    found["BillingCycleSpecification"] = found.pop("Cycle")
    return found


def engine(stores: Stores, issued: list[list[str]] | None = None) -> Billing:
    return Billing(
        stores["Rate"],
        stores["Bill"],
        BillingOptions(payment_days=10),
        accounts=stores,
        issued=None if issued is None else issued.append,
    )


def held(stores: Stores, account_id: str, parent: str | None = None, **body: object) -> None:
    document = {"id": account_id, "name": f"Account {account_id}", "state": "Active", **body}
    if parent is not None:
        document["accountRelationship"] = [
            {"relationshipType": "billedTo", "account": {"id": parent}}
        ]
    stores["BillingAccount"].insert(document)


def test_charges_go_up_the_billed_to_line_to_the_top(stores) -> None:
    held(stores, "group")
    held(stores, "company", parent="group")
    held(stores, "site", parent="company")
    for account, net in (("site", 1.0), ("company", 2.0), ("site", 4.0), ("alone", 8.0)):
        stores["Rate"].insert(rate(account, net, net / 5))
    issued: list[list[str]] = []

    outcome = engine(stores, issued).run(PERIOD)

    assert outcome.bill_count == 2
    by_account = {b["billingAccount"]["id"]: b for b in stores["Bill"].find_all({})}
    top = by_account["group"]
    assert top["billingAccount"] == {
        "id": "group",
        "name": "Account group",
        "@referredType": "BillingAccount",
    }
    assert top["taxExcludedAmount"]["value"] == 7.0
    assert [
        (s["billingAccount"]["id"], s["taxExcludedAmount"]["value"]) for s in top["accountSubtotal"]
    ] == [("company", 2.0), ("site", 5.0)]
    assert "accountSubtotal" not in by_account["alone"]
    assert sorted(a for batch in issued for a in batch) == ["alone", "group"]


def test_a_payer_is_billed_whole_when_its_accounts_fall_on_several_pages(
    stores, monkeypatch
) -> None:
    # Two rates a page: the site's rates fill the first; its payer (the top, last in the order
    # of ids) takes them all, its own too, on one bill.
    monkeypatch.setattr(billing, "RATE_PAGE", 2)
    held(stores, "z-top")
    held(stores, "a-site", parent="z-top")
    held(stores, "m-alone")
    for account, net in (("a-site", 1.0), ("a-site", 2.0), ("a-site", 4.0), ("z-top", 8.0)):
        stores["Rate"].insert(rate(account, net, 0.0))
    for net in (16.0, 32.0, 64.0):
        stores["Rate"].insert(rate("m-alone", net, 0.0))

    outcome = engine(stores).run(PERIOD)

    assert (outcome.bill_count, outcome.rates_billed) == (2, 7)
    totals = {
        b["billingAccount"]["id"]: b["taxExcludedAmount"]["value"]
        for b in stores["Bill"].find_all({})
    }
    assert totals == {"z-top": 15.0, "m-alone": 112.0}


@pytest.mark.parametrize("page", [1, 2, 3, 4, 100])
def test_an_account_cut_by_a_page_is_billed_once_whole(stores, monkeypatch, page) -> None:
    monkeypatch.setattr(billing, "RATE_PAGE", page)
    for account, count in (("b", 1), ("c", 3), ("d", 2)):
        held(stores, account)
        for n in range(count):
            stores["Rate"].insert(rate(account, 10.0**n, 0.0))
    stores["Rate"].insert(rate("not-held", 5.0, 0.0))  # an account TMF666 does not hold

    outcome = engine(stores).run(PERIOD)

    assert (outcome.bill_count, outcome.rates_billed) == (4, 7)
    totals = {
        b["billingAccount"]["id"]: b["taxExcludedAmount"]["value"]
        for b in stores["Bill"].find_all({})
    }
    assert totals == {"b": 1.0, "c": 111.0, "d": 11.0, "not-held": 5.0}


def test_a_relationship_out_of_force_is_not_followed(stores) -> None:
    held(stores, "company")
    stores["BillingAccount"].insert(
        {
            "id": "site",
            "name": "Site",
            "accountRelationship": [
                {
                    "relationshipType": "billedTo",
                    "account": {"id": "company"},
                    "validFor": {"endDateTime": "2026-01-01T00:00:00.000Z"},
                }
            ],
        }
    )
    stores["Rate"].insert(rate("site", 1.0, 0.2))

    engine(stores).run(PERIOD)

    [bill] = stores["Bill"].find_all({})
    assert bill["billingAccount"]["id"] == "site"


def test_a_cycle_run_bills_its_payers_due_by_its_offset(stores) -> None:
    stores["BillingCycleSpecification"].insert({"id": "c5", "paymentDueDateOffset": 30})
    held(stores, "cycled", billStructure={"cycleSpecification": {"id": "c5"}})
    held(stores, "child", parent="cycled")
    held(stores, "other")
    for account in ("cycled", "child", "other"):
        stores["Rate"].insert(rate(account, 1.0, 0.2))

    outcome = engine(stores).run(
        Run(PERIOD.period_start, PERIOD.period_end, PERIOD.bill_date, cycle="c5")
    )

    assert outcome.bill_count == 1 and outcome.rates_billed == 2
    [bill] = stores["Bill"].find_all({})
    assert bill["billingAccount"]["id"] == "cycled"
    assert bill["paymentDueDate"] == "2026-12-31T00:00:00.000Z"
    assert stores["Rate"].count({"isBilled": False}) == 1


class Stopped(Exception):
    """A run's process stopping at a given step."""


@pytest.mark.parametrize("stop_before", ["_complete", "_store"])
def test_a_stopped_run_is_completed_from_its_record_whatever_the_accounts_became(
    stores, stop_before: str
) -> None:
    held(stores, "company")
    held(stores, "site", parent="company")
    stores["Rate"].insert(rate("site", 1.0, 0.2))
    first = engine(stores)
    book_run = Run(PERIOD.period_start, PERIOD.period_end, PERIOD.bill_date)
    # Record the bill in flight as a run does (and mark its rates), then stop before the bill
    # is stored.

    def stop(*args: object, **kwargs: object) -> None:
        raise Stopped

    setattr(first, stop_before, stop)
    with pytest.raises(Stopped):
        first.run(book_run)
    assert first.in_flight.count_documents({"bills.payer.billingAccount.id": "company"}) == 1
    stores["BillingAccount"].collection.update_one(
        {"id": "site"}, {"$unset": {"accountRelationship": ""}}
    )

    engine(stores).run(book_run)

    [bill] = stores["Bill"].find_all({})
    assert bill["billingAccount"]["id"] == "company"
    assert bill["accountSubtotal"][0]["billingAccount"]["id"] == "site"


def test_a_settlement_account_gets_a_settlement_bill(stores) -> None:
    partner = rate("sa-1", 3.0, 0.0)
    partner["billingAccount"]["@referredType"] = "SettlementAccount"
    stores["Rate"].insert(partner)

    engine(stores).run(PERIOD)

    [bill] = stores["Bill"].find_all({})
    assert bill["category"] == "settlement"
    assert bill["relatedParty"][0]["role"] == "partner"


@pytest.mark.parametrize(
    ("bill_date", "frequency", "shift", "period"),
    [
        ("2025-03-15T10:00:00Z", "monthly", 0, ("2025-02-01", "2025-03-01")),
        ("2025-03-05T00:00:00Z", "month", 4, ("2025-02-05", "2025-03-05")),
        ("2025-03-04T23:59:59Z", "monthly", 4, ("2025-01-05", "2025-02-05")),
        ("2025-01-03T00:00:00Z", "monthly", 4, ("2024-11-05", "2024-12-05")),
        ("2025-03-15T00:00:00Z", "quarterly", None, ("2024-10-01", "2025-01-01")),
        ("2025-03-15T00:00:00Z", "yearly", 0, ("2024-01-01", "2025-01-01")),
        ("2025-03-15T00:00:00Z", "weekly", 0, ("2025-03-03", "2025-03-10")),
        ("2025-03-15T00:00:00Z", "weeks", 2, ("2025-03-05", "2025-03-12")),
    ],
)
def test_a_cycle_bills_its_last_whole_period(bill_date, frequency, shift, period) -> None:
    start, end = periods.cycle_period(bill_date, frequency, shift)
    assert (start[:10], end[:10]) == period
    assert start.endswith("T00:00:00.000Z") and end.endswith("T00:00:00.000Z")


@pytest.mark.parametrize(
    ("frequency", "shift"), [("fortnightly", 0), (None, 0), ("monthly", 28), ("weekly", -1)]
)
def test_a_cycle_that_makes_no_periods_is_refused(frequency, shift) -> None:
    with pytest.raises(ValueError):
        periods.cycle_period("2025-03-15T00:00:00Z", frequency, shift)
