"""Partners are paid on their TMF666 settlement accounts, at the revenue shares those accounts
hold (tmf_apis/tmf666/revenue_shares.py, tmf_apis/tmf678/charging.py, docs/accounts.md)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.test_billing import rates
from tests.api.test_order_accounts import holder_of, new_customer, open_account
from tests.api.test_orders import ORDERS, as_customer, item, move_items, offering, price, read
from tests.api.test_security import Secured, secured  # noqa: F401 (a fixture)
from tests.builders import account, customer

SETTLEMENT = "/tmf-api/accountManagement/v4/settlementAccount"
SETTLEMENT_V5 = "/tmf-api/accountManagement/v5/settlementAccount"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def seller(party: str) -> dict[str, Any]:
    return {"id": party, "name": party, "role": "partner", "@referredType": "Organization"}


def settlement_account(client: httpx.Client, party: str, **body: Any) -> dict[str, Any]:
    response = client.post(SETTLEMENT, json=account(relatedParty=[seller(party)], **body))
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    return opened


def fee(client: httpx.Client, name: str) -> dict[str, Any]:
    """An offering with one price: 100.00 once."""
    once = price(
        client,
        name=name,
        priceType="oneTime",
        price={"unit": "EUR", "value": 100},
        recurringChargePeriodType=None,
        recurringChargePeriodLength=None,
    )
    return offering(client, [once], name=name)


def sold(client: httpx.Client, partner: str, *offers: dict[str, Any]) -> None:
    """A customer's completed order of `offers`, sold by `partner`."""
    buyer = new_customer(client)
    open_account(client, buyer)
    lines = [item(str(n), offer) for n, offer in enumerate(offers, 1)]
    body = {"productOrderItem": lines, "relatedParty": [*as_customer(buyer), seller(partner)]}
    placed = client.post(f"{ORDERS}/productOrder", json=body)
    assert placed.status_code == 201, placed.text
    order = read(client, placed.json()["id"])
    assert order["state"] == "inProgress", order.get("note")
    done = move_items(client, order, *["completed"] * len(offers))
    assert done.status_code == 200, done.text


def shares(client: httpx.Client, account_id: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in rates(client, account_id)}


def test_a_share_comes_from_the_offering_entry_else_the_default_entry(live_server) -> None:
    client = live_server.client
    partner = f"p-{uuid.uuid4().hex[:8]}"
    special, plain = fee(client, "Special"), fee(client, "Plain")
    entries = [
        {"productOffering": {"id": special["id"], "name": "Special"}, "sharePercent": 30},
        {"sharePercent": 15},
    ]
    held = settlement_account(client, partner, revenueShare=entries)

    sold(client, partner, special, plain)

    found = shares(client, held["id"])
    assert set(found) == {"Revenue share 30% of Special", "Revenue share 15% of Plain"}
    assert found["Revenue share 30% of Special"]["taxExcludedAmount"]["value"] == 30.0
    assert found["Revenue share 15% of Plain"]["taxExcludedAmount"]["value"] == 15.0
    assert all(
        r["billingAccount"]
        == {"id": held["id"], "name": held["name"], "@referredType": "SettlementAccount"}
        for r in found.values()
    )
    assert rates(client, f"settlement-{partner}") == []


def test_without_entries_the_setting_gives_the_share_on_the_partner_account(live_server) -> None:
    client = live_server.client
    partner = f"p-{uuid.uuid4().hex[:8]}"
    held = settlement_account(client, partner)

    sold(client, partner, fee(client, "Plain"))

    assert set(shares(client, held["id"])) == {"Revenue share 10% of Plain"}  # default=10


def test_without_a_settlement_account_the_share_goes_on_the_fallback_id(live_server) -> None:
    client = live_server.client
    partner = f"p-{uuid.uuid4().hex[:8]}"
    suspended = settlement_account(client, partner, state="Inactive")

    sold(client, partner, fee(client, "Plain"))

    fallback = shares(client, f"settlement-{partner}")
    assert set(fallback) == {"Revenue share 10% of Plain"}
    assert fallback["Revenue share 10% of Plain"]["billingAccount"]["@referredType"] == (
        "BillingAccount"
    )
    assert rates(client, suspended["id"]) == []


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ([{"sharePercent": 120}], "sharePercent must be a number from 0 to 100 (got 120)"),
        ([{"sharePercent": -1}], "sharePercent must be a number from 0 to 100"),
        ([{"sharePercent": 10}, {"sharePercent": 20}], "revenueShare[0] already gives the share"),
        (
            [
                {"productOffering": {"id": "o-1"}, "sharePercent": 10},
                {"productOffering": {"id": "o-1"}, "sharePercent": 20},
            ],
            "already gives the share for offering 'o-1'",
        ),
    ],
)
def test_revenue_shares_are_checked_on_create_and_patch(live_server, entries, words) -> None:
    client = live_server.client
    partner = f"p-{uuid.uuid4().hex[:8]}"
    created = client.post(
        SETTLEMENT, json=account(relatedParty=[seller(partner)], revenueShare=entries)
    )
    held = settlement_account(client, partner)
    patched = client.patch(f"{SETTLEMENT}/{held['id']}", json={"revenueShare": entries})

    for response in (created, patched):
        assert response.status_code == 422, response.text
        assert words in response.json()["message"]
    assert "revenueShare" not in client.get(f"{SETTLEMENT}/{held['id']}").json()


def test_v5_carries_the_revenue_shares_unchanged(live_server) -> None:
    client = live_server.client
    entries = [{"productOffering": {"id": "o-9", "name": "Nine"}, "sharePercent": 12.5}]
    held = settlement_account(client, f"p-{uuid.uuid4().hex[:8]}", revenueShare=entries)

    shown = client.get(f"{SETTLEMENT_V5}/{held['id']}")
    changed = client.patch(
        f"{SETTLEMENT_V5}/{held['id']}",
        json={"revenueShare": [{"sharePercent": 7}]},
        headers={"Content-Type": "application/merge-patch+json"},
    )

    assert shown.status_code == 200 and shown.json()["revenueShare"] == entries
    assert changed.status_code == 200, changed.text
    assert client.get(f"{SETTLEMENT}/{held['id']}").json()["revenueShare"] == [{"sharePercent": 7}]


def test_a_partner_reads_its_shares_but_cannot_change_them(
    secured: Secured,  # noqa: F811 (the fixture imported above)
) -> None:
    with secured.client("billing") as billing, secured.client("partner-north") as north:
        held = billing.post(
            SETTLEMENT,
            json=account(relatedParty=[seller("north")], revenueShare=[{"sharePercent": 10}]),
        ).json()

        read_back = north.get(f"{SETTLEMENT}/{held['id']}")
        raised = north.patch(
            f"{SETTLEMENT}/{held['id']}", json={"revenueShare": [{"sharePercent": 90}]}
        )

        assert read_back.status_code == 200
        assert read_back.json()["revenueShare"] == [{"sharePercent": 10}]
        assert raised.status_code == 403, raised.text
        assert billing.get(f"{SETTLEMENT}/{held['id']}").json()["revenueShare"] == [
            {"sharePercent": 10}
        ]


def test_a_settlement_account_registers_its_partner_for_channels(
    secured: Secured,  # noqa: F811 (the fixture imported above)
) -> None:
    with secured.client("admin") as admin, secured.client("channel-north") as north:
        offer = fee(admin, "Sold by a shop")
        registered, unknown = f"shop-{uuid.uuid4().hex[:6]}", f"shop-{uuid.uuid4().hex[:6]}"
        settlement_account(admin, registered)
        buyer = north.post(CUSTOMERS, json=customer()).json()
        north.post(
            "/tmf-api/accountManagement/v4/billingAccount",
            json=account(relatedParty=holder_of(buyer)),
        )

        states = {}
        for party in (registered, unknown):
            body = {
                "productOrderItem": [item("1", offer)],
                "relatedParty": [*as_customer(buyer), seller(party)],
            }
            placed = north.post(f"{ORDERS}/productOrder", json=body)
            assert placed.status_code == 201, placed.text
            states[party] = north.get(f"{ORDERS}/productOrder/{placed.json()['id']}").json()

        assert states[registered]["state"] == "inProgress", states[registered].get("note")
        assert states[unknown]["state"] == "rejected"
        assert "not a partner the operator registered" in str(states[unknown]["note"])
