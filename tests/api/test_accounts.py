"""TMF666 accounts over HTTP: what the server keeps (state, balance, time), the state graph, the
hierarchy without loops, and who sees which account on a secured server (tmf_apis/tmf666)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from settings import Settings
from tests.api.test_security import Secured, scoped, secured_server
from tests.builders import account, billing_cycle_specification, customer, unique
from tmf_apis.tmf666 import lifecycle

ROOT = "/tmf-api/accountManagement/v4"
BILLING = f"{ROOT}/billingAccount"
SETTLEMENT = f"{ROOT}/settlementAccount"
FINANCIAL = f"{ROOT}/financialAccount"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def opened(client: httpx.Client, path: str = BILLING, **overrides: Any) -> dict[str, Any]:
    response = client.post(path, json=account(**overrides))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def billed_to(target: dict[str, Any], kind: str = "billedTo") -> list[dict[str, Any]]:
    """An accountRelationship naming `target`."""
    return [
        {
            "relationshipType": kind,
            "account": {"id": target["id"], "name": target["name"]},
            "validFor": {"startDateTime": "2024-01-01T00:00:00Z"},
        }
    ]


# ---------------------------------------------------------------------- what the server keeps


def test_a_new_account_is_active_with_an_empty_balance_the_client_cannot_set(live_server) -> None:
    forged = [{"balanceType": "deposit", "amount": {"unit": "EUR", "value": 1e6}, "validFor": {}}]
    created = opened(live_server.client, accountBalance=forged, lastModified="2000-01-01T00:00:00Z")

    assert created["state"] == lifecycle.ACTIVE
    assert created["accountBalance"] == []
    assert created["lastModified"] > "2020"
    assert created["@type"] == "BillingAccount"
    assert live_server.client.get(f"{BILLING}/{created['id']}").json() == created


def test_the_balance_and_the_time_are_refused_in_a_patch(live_server) -> None:
    created = opened(live_server.client)
    target = f"{BILLING}/{created['id']}"
    balance = [{"balanceType": "deposit", "amount": {"unit": "EUR", "value": 5}, "validFor": {}}]

    for patch in ({"accountBalance": balance}, {"lastModified": "2030-01-01T00:00:00Z"}):
        refused = live_server.client.patch(target, json=patch)
        assert refused.status_code == 400, refused.text
        assert "cannot be changed with PATCH" in refused.json()["message"]
    resent = live_server.client.patch(target, json={"accountBalance": [], "name": "kept"})

    assert resent.status_code == 200, resent.text
    assert resent.json()["accountBalance"] == []
    assert resent.json()["lastModified"] >= created["lastModified"]


def test_accounts_are_found_by_party_and_state(live_server) -> None:
    party = unique("cust").replace(" ", "-")
    owner = [{"id": party, "name": "Ada", "role": "customer", "@referredType": "Organization"}]
    active = opened(live_server.client, relatedParty=owner)
    dormant = opened(live_server.client, relatedParty=owner, state=lifecycle.INACTIVE)
    opened(live_server.client)

    mine = live_server.client.get(BILLING, params={"relatedParty.id": party, "sort": "name"})
    dormant_only = live_server.client.get(
        BILLING, params={"relatedParty.id": party, "state": lifecycle.INACTIVE}
    )

    assert {a["id"] for a in mine.json()} == {active["id"], dormant["id"]}
    assert [a["id"] for a in dormant_only.json()] == [dormant["id"]]


def test_reference_data_with_integers_beyond_32_bits_is_patched(live_server) -> None:
    # MongoDB gives such an integer back as bson's Int64 (tmf_apis/checking.py).
    cycle = f"{ROOT}/billingCycleSpecification"
    created = live_server.client.post(
        cycle, json=billing_cycle_specification(billingDateShift=2**40)
    ).json()

    patched = live_server.client.patch(f"{cycle}/{created['id']}", json={"frequency": "weekly"})

    assert patched.status_code == 200, patched.text
    assert patched.json()["billingDateShift"] == 2**40


# ---------------------------------------------------------------------- the state graph


def test_state_moves_along_the_graph_and_closed_is_final(live_server) -> None:
    created = opened(live_server.client, path=SETTLEMENT)
    target = f"{SETTLEMENT}/{created['id']}"

    for state in (lifecycle.SUSPENDED, lifecycle.ACTIVE, lifecycle.INACTIVE, lifecycle.CLOSED):
        moved = live_server.client.patch(target, json={"state": state})
        assert moved.status_code == 200, (state, moved.text)
        assert moved.json()["state"] == state
    reopened = live_server.client.patch(target, json={"state": lifecycle.ACTIVE})

    assert reopened.status_code == 409
    assert "final" in reopened.json()["message"]


def test_a_move_off_the_graph_is_409_and_an_unknown_state_422(live_server) -> None:
    created = opened(live_server.client, state=lifecycle.INACTIVE)
    target = f"{BILLING}/{created['id']}"

    skipped = live_server.client.patch(target, json={"state": lifecycle.SUSPENDED})
    unknown = live_server.client.patch(target, json={"state": "Dormant"})
    unknown_on_create = live_server.client.post(BILLING, json=account(state="inactive"))
    closed_on_create = live_server.client.post(BILLING, json=account(state=lifecycle.CLOSED))

    assert skipped.status_code == 409
    assert "from Inactive: Active, Closed" in skipped.json()["message"]
    assert unknown.status_code == 422
    assert "one of: Inactive, Active, Suspended, Closed" in unknown.json()["message"]
    assert unknown_on_create.status_code == 422
    assert closed_on_create.status_code == 422
    assert live_server.client.get(target).json()["state"] == lifecycle.INACTIVE


# ---------------------------------------------------------------------- the hierarchy


def test_a_site_account_is_billed_to_its_company_account(live_server) -> None:
    company = opened(live_server.client, name=unique("Company"))
    site = opened(live_server.client, name=unique("Site"), accountRelationship=billed_to(company))

    children = live_server.client.get(
        BILLING, params={"accountRelationship.account.id": company["id"]}
    )

    assert [a["id"] for a in children.json()] == [site["id"]]


def test_a_relationship_names_an_account_held_here(live_server) -> None:
    created = opened(live_server.client)
    ghost = {"id": "no-such-account", "name": "Ghost"}

    refused = live_server.client.post(BILLING, json=account(accountRelationship=billed_to(ghost)))
    itself = live_server.client.patch(
        f"{BILLING}/{created['id']}", json={"accountRelationship": billed_to(created)}
    )

    assert refused.status_code == 422
    assert "account 'no-such-account' does not exist" in refused.json()["message"]
    assert itself.status_code == 422
    assert "cannot be related to itself" in itself.json()["message"]


def test_relationships_of_one_type_make_no_loop(live_server) -> None:
    company = opened(live_server.client, name=unique("Company"))
    region = opened(
        live_server.client, name=unique("Region"), accountRelationship=billed_to(company)
    )
    site = opened(live_server.client, name=unique("Site"), accountRelationship=billed_to(region))

    loop = live_server.client.patch(
        f"{BILLING}/{company['id']}", json={"accountRelationship": billed_to(site)}
    )
    other_type = live_server.client.patch(
        f"{BILLING}/{company['id']}", json={"accountRelationship": billed_to(site, "contains")}
    )

    assert loop.status_code == 422
    message = loop.json()["message"]
    assert f"billedTo {site['id']!r} would close a loop" in message
    assert f"{company['id']!r} -> {site['id']!r} -> {region['id']!r} -> {company['id']!r}" in (
        message
    )
    assert other_type.status_code == 200, other_type.text


def test_any_kind_of_account_may_be_named_and_a_named_one_is_not_deleted(live_server) -> None:
    pooled = opened(live_server.client, path=FINANCIAL)
    member = opened(live_server.client, accountRelationship=billed_to(pooled, "belongsTo"))
    target = f"{FINANCIAL}/{pooled['id']}"

    refused = live_server.client.delete(target)
    live_server.client.patch(f"{BILLING}/{member['id']}", json={"accountRelationship": []})
    deleted = live_server.client.delete(target)

    assert refused.status_code == 409
    assert member["id"] in refused.json()["message"]
    assert deleted.status_code == 204


def test_a_relationship_without_validity_holds_from_when_it_is_written(live_server) -> None:
    company = opened(live_server.client)
    v5 = ROOT.replace("/v4", "/v5")
    relationship = {"relationshipType": "billedTo", "account": {"id": company["id"]}}

    created = live_server.client.post(
        f"{v5}/billingAccount",
        json={
            **account(),
            "relatedParty": [
                {
                    "role": "customer",
                    "partyOrPartyRole": {
                        "id": "c-1",
                        "name": "Ada",
                        "@referredType": "Organization",
                    },
                }
            ],
            "accountRelationship": [relationship],
        },
    )

    assert created.status_code == 201, created.text
    [shown] = created.json()["accountRelationship"]
    assert shown["validFor"]["startDateTime"] >= company["lastModified"]
    assert shown["account"] == {"id": company["id"], "@type": "AccountRef"}


# ---------------------------------------------------------------------- who sees what


@pytest.fixture(scope="module")
def secured(settings: Settings) -> Iterator[Secured]:
    clients = {name: (name, "") for name in ("admin", "billing", "fulfilment")}
    with secured_server(
        settings, "accounts", {**clients, **scoped("channel", "partner")}
    ) as server:
        yield server


def _customer_of(client: httpx.Client) -> dict[str, str]:
    created = client.post(CUSTOMERS, json=customer())
    assert created.status_code == 201, created.text
    found = created.json()
    return {
        "id": found["id"],
        "name": found["name"],
        "role": "customer",
        "@referredType": "Customer",
    }


def test_a_channel_opens_and_reads_its_own_customers_accounts(secured: Secured) -> None:
    with (
        secured.client("channel-north") as north,
        secured.client("channel-south") as south,
        secured.client("billing") as billing,
    ):
        ours, theirs = _customer_of(north), _customer_of(south)
        by_north = north.post(BILLING, json=account(relatedParty=[ours]))
        by_billing = billing.post(BILLING, json=account(relatedParty=[ours]))
        for_another = north.post(BILLING, json=account(relatedParty=[theirs]))
        for_nobody = north.post(BILLING, json=account())

        assert by_north.status_code == 201, by_north.text
        assert by_billing.status_code == 201, by_billing.text
        tag = {"id": "north", "name": "north", "role": "channel", "@referredType": "Organization"}
        assert tag in by_north.json()["relatedParty"]
        assert tag in by_billing.json()["relatedParty"]
        assert for_another.status_code == 422
        assert for_another.json()["message"] == f"customer {theirs['id']!r} does not exist"
        assert for_nobody.status_code == 422
        mine = {by_north.json()["id"], by_billing.json()["id"]}
        for root in (ROOT, ROOT.replace("/v4", "/v5")):
            assert mine <= {a["id"] for a in north.get(f"{root}/billingAccount").json()}, root
            assert not mine & {a["id"] for a in south.get(f"{root}/billingAccount").json()}
            for account_id in mine:
                assert south.get(f"{root}/billingAccount/{account_id}").status_code == 404
        target = f"{BILLING}/{by_north.json()['id']}"
        assert north.patch(target, json={"state": "Suspended"}).status_code == 403
        assert north.delete(target).status_code == 403
        assert north.get(f"{ROOT}/billFormat").status_code == 200
        assert north.post(SETTLEMENT, json=account()).status_code == 403


def test_a_partner_reads_only_its_own_settlement_account(secured: Secured) -> None:
    def partner(party: str) -> dict[str, str]:
        return {"id": party, "name": party, "role": "partner", "@referredType": "Organization"}

    with (
        secured.client("billing") as billing,
        secured.client("partner-north") as north,
        secured.client("fulfilment") as fulfilment,
    ):
        own = billing.post(SETTLEMENT, json=account(relatedParty=[partner("north")])).json()
        other = billing.post(SETTLEMENT, json=account(relatedParty=[partner("south")])).json()

        listed = north.get(SETTLEMENT, params={"relatedParty.id": "north,south"})
        assert [a["id"] for a in listed.json()] == [own["id"]]
        assert listed.headers["X-Total-Count"] == "1"
        assert north.get(f"{SETTLEMENT}/{other['id']}").status_code == 404
        assert north.get(f"{SETTLEMENT}/{own['id']}").status_code == 200
        assert north.patch(f"{SETTLEMENT}/{own['id']}", json={"name": "x"}).status_code == 403
        assert north.get(BILLING).status_code == 403
        assert north.get(f"{ROOT}/billFormat").status_code == 403
        assert fulfilment.get(BILLING).status_code == 403
