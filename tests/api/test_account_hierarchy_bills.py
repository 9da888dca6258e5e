"""Bills follow the TMF666 account hierarchy: a site's charges go on its company's bill with each
account's subtotal; and a channel reads its customers' bills only (billing.py, payers.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from settings import Settings
from tests.api.test_bill_cycles import ACCOUNTS, charged, customer_account
from tests.api.test_billing import BILLING, bill_run, bills, rates
from tests.api.test_orders import CUSTOMERS, mobile_plan
from tests.api.test_security import Secured, scoped, secured_server
from tests.builders import account, customer


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    """20.00 a month less 25 %, 50.00 to connect, VAT 20 % (tests/api/test_orders.py)."""
    return mobile_plan(live_server.client)


def billed_to(company: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "relationshipType": "billedTo",
            "account": {"id": company["id"], "name": company["name"]},
            "validFor": {"startDateTime": "2024-01-01T00:00:00Z"},
        }
    ]


def test_a_sites_charges_go_on_its_companys_bill_with_subtotals(live_server, plan) -> None:
    client = live_server.client
    boss, company = customer_account(client)
    site_buyer, site = customer_account(client, accountRelationship=billed_to(company))
    charged(client, plan, boss, company)
    charged(client, plan, site_buyer, site)

    run = bill_run(client, days_ahead=1, billingAccount={"id": company["id"]})

    assert run["state"] == "done" and run["billCount"] == 1, run
    [bill] = bills(client, **{"billingAccount.id": company["id"]})
    assert bills(client, **{"billingAccount.id": site["id"]}) == []
    assert bill["taxExcludedAmount"]["value"] == 260.0
    assert bill["taxIncludedAmount"]["value"] == 312.0
    own, sites = bill["accountSubtotal"]
    assert own["billingAccount"]["id"] == company["id"]
    assert sites["billingAccount"] == {
        "id": site["id"],
        "name": site["name"],
        "@referredType": "BillingAccount",
    }
    for subtotal in (own, sites):
        assert subtotal["taxExcludedAmount"] == {"unit": "EUR", "value": 130.0}
        assert subtotal["taxIncludedAmount"] == {"unit": "EUR", "value": 156.0}
    # The site's rates keep naming the site, and point at the company's bill.
    site_rates = rates(client, site["id"])
    assert site_rates and all(r["bill"]["id"] == bill["id"] for r in site_rates)
    document = client.get(bill["billDocument"][0]["url"])
    assert "Subtotals by account" in document.text
    assert f"{site['name']} ({site['id']})" in document.text
    v5 = client.get(f"{BILLING.replace('/v4', '/v5')}/customerBill/{bill['id']}").json()
    assert v5["accountSubtotal"][1]["billingAccount"]["@type"] == "BillingAccountRef"

    again = bill_run(client, days_ahead=1, billingAccount={"id": company["id"]})
    assert again["billCount"] == 0
    assert len(bills(client, **{"billingAccount.id": company["id"]})) == 1


def test_a_bill_of_one_account_has_no_subtotals(live_server, plan) -> None:
    client = live_server.client
    buyer, held = customer_account(client)
    charged(client, plan, buyer, held)

    bill_run(client, days_ahead=1, billingAccount={"id": held["id"]})

    [bill] = bills(client, **{"billingAccount.id": held["id"]})
    assert "accountSubtotal" not in bill
    assert "Subtotals by account" not in client.get(bill["billDocument"][0]["url"]).text


# ---------------------------------------------------------------------- who reads the bills


@pytest.fixture(scope="module")
def secured(settings: Settings) -> Iterator[Secured]:
    clients = {"admin": ("admin", ""), **scoped("channel")}
    with secured_server(settings, "bills", clients) as server:
        yield server


def test_a_channel_reads_its_customers_bills_only(secured: Secured) -> None:
    with (
        secured.client("admin") as admin,
        secured.client("channel-north") as north,
        secured.client("channel-south") as south,
    ):
        offer = mobile_plan(admin)
        held = {}
        for channel, name in ((north, "north"), (south, "south")):
            made = channel.post(f"{CUSTOMERS}/customer", json=customer())
            assert made.status_code == 201, made.text
            buyer = made.json()
            owner = {"id": buyer["id"], "name": buyer["name"], "role": "customer"}
            opened = channel.post(
                f"{ACCOUNTS}/billingAccount",
                json=account(relatedParty=[{**owner, "@referredType": "Customer"}]),
            )
            assert opened.status_code == 201, opened.text
            charged(admin, offer, buyer, opened.json())
            held[name] = opened.json()["id"]
        now = datetime.now(UTC)
        period = {
            "startDateTime": (now - timedelta(days=1)).isoformat(),
            "endDateTime": (now + timedelta(days=1)).isoformat(),
        }
        run = admin.post(f"{BILLING}/billRun", json={"billingPeriod": period}).json()
        deadline = time.monotonic() + 60
        while admin.get(f"{BILLING}/billRun/{run['id']}").json()["state"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        by_account = {
            b["billingAccount"]["id"]: b for b in admin.get(f"{BILLING}/customerBill").json()
        }
        ours, theirs = by_account[held["north"]], by_account[held["south"]]
        assert {"id": "north", "role": "channel"}.items() <= next(
            p for p in ours["relatedParty"] if p.get("role") == "channel"
        ).items()

        listed = north.get(f"{BILLING}/customerBill")
        assert listed.status_code == 200, listed.text
        assert [b["id"] for b in listed.json()] == [ours["id"]]
        assert north.get(f"{BILLING}/customerBill/{ours['id']}").status_code == 200
        assert north.get(f"{BILLING}/customerBill/{theirs['id']}").status_code == 404
        assert [b["id"] for b in south.get(f"{BILLING}/customerBill").json()] == [theirs["id"]]
        assert (
            north.patch(
                f"{BILLING}/customerBill/{ours['id']}", json={"state": "onHold"}
            ).status_code
            == 403
        )
