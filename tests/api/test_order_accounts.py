"""Orders are charged on real TMF666 billing accounts: what an order may name, the default one it
gets when it names none, and the fallback for customers with no account held here
(tmf_apis/tmf622/accounts.py, tmf_apis/accounts.py, docs/accounts.md)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.test_billing import rates
from tests.api.test_orders import (
    CUSTOMERS,
    ORDERS,
    as_customer,
    item,
    mobile_plan,
    move_items,
    read,
)
from tests.api.test_security import Secured, secured  # noqa: F401 (a fixture)
from tests.builders import account, customer

ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    return mobile_plan(live_server.client)


def new_customer(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post(f"{CUSTOMERS}/customer", json=customer(**body))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def holder_of(party: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": party["id"], "name": party["name"], "role": "customer", "@referredType": "Customer"}
    ]


def open_account(client: httpx.Client, party: dict[str, Any], **body: Any) -> dict[str, Any]:
    """An Active billing account of `party` (a customer)."""
    response = client.post(ACCOUNTS, json=account(relatedParty=holder_of(party), **body))
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    return opened


def related(target: dict[str, Any], kind: str = "billedTo") -> list[dict[str, Any]]:
    since = {"startDateTime": "2024-01-01T00:00:00Z"}
    return [{"relationshipType": kind, "account": {"id": target["id"]}, "validFor": since}]


def post_order(
    client: httpx.Client, offer: dict[str, Any], buyer: dict[str, Any], **body: Any
) -> httpx.Response:
    lines = [item("1", offer)]
    return client.post(
        f"{ORDERS}/productOrder",
        json={"productOrderItem": lines, "relatedParty": as_customer(buyer), **body},
    )


def refused(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert all(word in message for word in words), message


def orders_of(client: httpx.Client, buyer: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(
        f"{ORDERS}/productOrder", params={"relatedParty.id": buyer["id"]}
    ).json()
    return found


def test_an_order_naming_an_unknown_account_is_refused_and_not_stored(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client)
    open_account(client, buyer)

    response = post_order(client, plan, buyer, billingAccount={"id": "no-such-account"})

    refused(response, "billing account 'no-such-account' does not exist")
    assert orders_of(client, buyer) == []


def test_an_item_naming_another_customers_account_is_refused(live_server, plan) -> None:
    client = live_server.client
    buyer, other = new_customer(client), new_customer(client)
    open_account(client, buyer)
    foreign = open_account(client, other)

    lines = [item("1", plan, billingAccount={"id": foreign["id"]})]
    response = client.post(
        f"{ORDERS}/productOrder",
        json={"productOrderItem": lines, "relatedParty": as_customer(buyer)},
    )

    refused(response, "item '1'", f"is not an account of customer {buyer['id']!r}")


@pytest.mark.parametrize("state", ["Suspended", "Closed", "Inactive"])
def test_an_account_not_active_is_refused(live_server, plan, state) -> None:
    client = live_server.client
    buyer = new_customer(client)
    held = open_account(client, buyer)
    moved = client.patch(f"{ACCOUNTS}/{held['id']}", json={"state": state})
    assert moved.status_code == 200, moved.text

    response = post_order(client, plan, buyer, billingAccount={"id": held["id"]})

    refused(response, f"billing account {held['id']!r} is {state}, not Active")


def test_a_site_orders_on_its_company_account_but_not_on_a_sibling_site(live_server, plan) -> None:
    client = live_server.client
    company, site, sibling = (new_customer(client) for _ in range(3))
    company_account = open_account(client, company)
    open_account(client, site, accountRelationship=related(company_account))
    sibling_account = open_account(client, sibling, accountRelationship=related(company_account))

    upward = post_order(client, plan, site, billingAccount={"id": company_account["id"]})
    across = post_order(client, plan, site, billingAccount={"id": sibling_account["id"]})

    assert upward.status_code == 201, upward.text
    assert read(client, upward.json()["id"])["state"] == "inProgress"
    assert upward.json()["billingAccount"]["id"] == company_account["id"]
    refused(across, "is not an account of customer")


def test_a_company_account_naming_the_site_account_serves_the_site(live_server, plan) -> None:
    client = live_server.client
    company, site = new_customer(client), new_customer(client)
    site_account = open_account(client, site)
    company_account = open_account(
        client,
        company,
        accountRelationship=related(site_account, "child"),
    )

    response = post_order(client, plan, site, billingAccount={"id": company_account["id"]})

    assert response.status_code == 201, response.text


def test_without_an_account_the_default_is_recorded_and_charged(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client)
    held = open_account(client, buyer)

    placed = post_order(client, plan, buyer)

    assert placed.status_code == 201, placed.text
    assert placed.json()["billingAccount"]["id"] == held["id"]
    order = read(client, placed.json()["id"])
    assert order["state"] == "inProgress", order.get("note")
    assert move_items(client, order, "completed").status_code == 200
    charged = rates(client, held["id"])
    assert {r["name"] for r in charged} == {"Monthly fee", "Welcome discount", "Connection"}


def test_the_first_active_account_of_the_customer_list_is_the_default(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client)
    first, second = open_account(client, buyer), open_account(client, buyer)
    listed = [{"id": second["id"], "name": second["name"]}, {"id": first["id"], "name": "x"}]
    patched = client.patch(f"{CUSTOMERS}/customer/{buyer['id']}", json={"account": listed})
    assert patched.status_code == 200, patched.text

    placed = post_order(client, plan, buyer)

    assert placed.status_code == 201, placed.text
    assert placed.json()["billingAccount"]["id"] == second["id"]


def test_several_accounts_and_no_default_is_refused(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client)
    first, second = open_account(client, buyer), open_account(client, buyer)

    response = post_order(client, plan, buyer)

    refused(response, "several active billing accounts", first["id"], second["id"], "name one")


def test_accounts_held_but_none_active_is_refused(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client)
    open_account(client, buyer, state="Inactive")

    refused(post_order(client, plan, buyer), "has no active billing account")


def test_a_customer_with_no_account_held_falls_back_to_its_account_list(live_server, plan) -> None:
    client = live_server.client
    buyer = new_customer(client, account=[{"id": "legacy-1", "name": "Before TMF666"}])

    by_default = post_order(client, plan, buyer)
    named = post_order(client, plan, buyer, billingAccount={"id": "legacy-1"})
    unknown = post_order(client, plan, buyer, billingAccount={"id": "legacy-2"})

    assert by_default.status_code == 201, by_default.text
    assert by_default.json()["billingAccount"]["id"] == "legacy-1"
    assert named.status_code == 201, named.text
    refused(unknown, "billing account 'legacy-2' does not exist")


def test_changing_the_customer_of_an_order_checks_its_account(live_server, plan) -> None:
    client = live_server.client
    buyer, other = new_customer(client), new_customer(client)
    open_account(client, buyer)
    open_account(client, other)
    placed = post_order(client, plan, buyer).json()

    moved = client.patch(
        f"{ORDERS}/productOrder/{placed['id']}", json={"relatedParty": as_customer(other)}
    )

    refused(moved, f"is not an account of customer {other['id']!r}")


def test_a_draft_is_checked_when_its_accounts_change_and_when_placed(live_server, plan) -> None:
    client = live_server.client
    v5 = "/tmf-api/productOrderingManagement/v5/productOrder"
    buyer = new_customer(client)
    held = open_account(client, buyer)
    party = [
        {
            "role": "customer",
            "partyOrPartyRole": {
                "id": buyer["id"],
                "@referredType": "Customer",
                "@type": "PartyRef",
            },
            "@type": "RelatedPartyRefOrPartyRoleRef",
        }
    ]
    line = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": plan["id"]},
        "@type": "ProductOrderItem",
    }
    body = {
        "productOrderItem": [line],
        "relatedParty": party,
        "requestedInitialState": "draft",
        "@type": "ProductOrder",
    }
    draft = client.post(v5, json=body)
    assert draft.status_code == 201, draft.text
    url = f"{v5}/{draft.json()['id']}"

    wrong = client.patch(url, json={"billingAccount": {"id": "nope", "@type": "BillingAccountRef"}})
    placed = client.patch(url, json={"state": "acknowledged"})

    refused(wrong, "billing account 'nope' does not exist")
    assert placed.status_code == 200, placed.text
    assert placed.json()["billingAccount"]["id"] == held["id"]


def test_a_channel_naming_another_channels_account_reads_it_as_nonexistent(
    secured: Secured,  # noqa: F811 (the fixture imported above)
) -> None:
    with (
        secured.client("admin") as admin,
        secured.client("channel-north") as north,
        secured.client("channel-south") as south,
    ):
        offer = mobile_plan(admin)
        mine = north.post(f"{CUSTOMERS}/customer", json=customer()).json()
        theirs = south.post(f"{CUSTOMERS}/customer", json=customer()).json()
        own_account = north.post(ACCOUNTS, json=account(relatedParty=holder_of(mine))).json()
        their_account = south.post(ACCOUNTS, json=account(relatedParty=holder_of(theirs))).json()

        across = post_order(north, offer, mine, billingAccount={"id": their_account["id"]})
        own = post_order(north, offer, mine, billingAccount={"id": own_account["id"]})
        by_default = post_order(north, offer, mine)

        refused(across, f"billing account {their_account['id']!r} does not exist")
        assert own.status_code == 201, own.text
        assert by_default.status_code == 201, by_default.text
        assert by_default.json()["billingAccount"]["id"] == own_account["id"]
