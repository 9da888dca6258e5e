"""TMF678 v5 beside v4 on one store: bills and rates the engine makes (through v4 bill runs)
read, listed, patched and heard through v5, each edition in its own shape; bills on demand
either way; the bill cycles the runs record; a partner's scope the same in both editions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from settings import Settings
from tests.api.test_billing import (
    account_holder,
    bill_run,
    bills,
    completed_order,
    finished,
    plan,  # noqa: F401 (a fixture)
)
from tests.api.test_orders import as_customer, mobile_plan
from tests.api.test_security import (
    Secured,
    _settlement_bills,
    scoped,
    secured_server,
)
from tests.listener import running_listener
from tmf_apis.tmf678.registry import API, API_V5

V4, V5 = API.base_path, API_V5.base_path
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
JSON_PATCH_QUERY = {"Content-Type": "application/json-patch-query+json"}


def billed_account(client: httpx.Client, offer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An account whose completed order a v4 bill run billed; the account and its bill."""
    buyer, account = account_holder(client)
    completed_order(client, offer, relatedParty=as_customer(buyer))
    run = bill_run(client, days_ahead=1, billingAccount={"id": account})
    assert run["state"] == "done", run
    [bill] = bills(client, **{"billingAccount.id": account})
    return account, bill


def test_engine_bills_read_in_v5_shape(live_server, plan) -> None:  # noqa: F811
    client = live_server.client
    account, bill = billed_account(client, plan)

    shown = client.get(f"{V5}/customerBill/{bill['id']}")

    assert shown.status_code == 200, shown.text
    v5 = shown.json()
    assert v5["href"].endswith(f"{V5}/customerBill/{bill['id']}")
    assert (v5["@type"], v5["runType"], v5["amountDue"]) == (
        "CustomerBill",
        "onCycle",
        bill["amountDue"],
    )
    assert v5["billingAccount"]["@type"] == "BillingAccountRef"
    [party] = v5["relatedParty"]
    assert party["role"] == "payer" and party["@type"] == "RelatedPartyRefOrPartyRoleRef"
    assert party["partyOrPartyRole"]["@type"] == "PartyRoleRef"
    assert v5["billDocument"][0]["@type"] == "Attachment"
    assert v5["billCycle"]["@type"] == "BillCycleRef"
    assert bill["billCycle"] == {"id": v5["billCycle"]["id"], "@referredType": "BillCycle"}


def test_v5_lists_filter_sort_and_select_engine_bills_and_rates(live_server, plan) -> None:  # noqa: F811
    client = live_server.client
    account, bill = billed_account(client, plan)

    listed = client.get(
        f"{V5}/customerBill",
        params={"billingAccount.id": account, "sort": "-billDate", "fields": "state,runType"},
    )
    charges = client.get(
        f"{V5}/appliedCustomerBillingRate",
        params={
            "billingAccount.id": account,
            "appliedBillingRateType": "appliedBillingCharge",
            "sort": "appliedBillingRateType,name",
            "fields": "appliedBillingRateType,isBilled,bill",
        },
    )

    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "id": bill["id"],
            "href": listed.json()[0]["href"],
            "state": "new",
            "runType": "onCycle",
            "@type": "CustomerBill",
        }
    ]
    assert charges.status_code == 200, charges.text
    assert len(charges.json()) == 2  # the monthly fee and the connection; credits left out
    for rate in charges.json():
        assert rate["appliedBillingRateType"] == "appliedBillingCharge" and "type" not in rate
        assert rate["isBilled"] is True and rate["@type"] == "AppliedCustomerBillingRate"
        assert rate["bill"] == {
            "id": bill["id"],
            "@referredType": "CustomerBill",
            "@type": "CustomerBillRef",
        }
    v4 = client.get(f"{V4}/appliedCustomerBillingRate", params={"billingAccount.id": account})
    assert {r["type"] for r in v4.json()} == {"appliedBillingCharge", "appliedBillingCredit"}


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (MERGE, {"state": "onHold"}),
        (JSON_PATCH, [{"op": "replace", "path": "/state", "value": "onHold"}]),
        (JSON_PATCH_QUERY, [{"op": "replace", "path": "/state", "value": "onHold"}]),
    ],
    ids=["merge", "json-patch", "json-patch-query"],
)
def test_a_bill_moved_through_v5_reads_so_in_v4(live_server, plan, headers, body) -> None:  # noqa: F811
    client = live_server.client
    _, bill = billed_account(client, plan)

    moved = client.patch(f"{V5}/customerBill/{bill['id']}", headers=headers, json=body)

    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "onHold" and moved.json()["@type"] == "CustomerBill"
    stored = client.get(f"{V4}/customerBill/{bill['id']}").json()
    # Only the state and its date changed: what v5 showed otherwise went back as it was.
    assert stored == {**bill, "state": "onHold", "lastUpdate": stored["lastUpdate"]}


def test_a_bill_moved_through_v4_reads_so_in_v5(live_server, plan) -> None:  # noqa: F811
    client = live_server.client
    _, bill = billed_account(client, plan)

    moved = client.patch(f"{V4}/customerBill/{bill['id']}", json={"state": "validated"})

    assert moved.status_code == 200, moved.text
    assert client.get(f"{V5}/customerBill/{bill['id']}").json()["state"] == "validated"
    refused = client.patch(f"{V5}/customerBill/{bill['id']}", headers=MERGE, json={"state": "new"})
    assert refused.status_code == 409  # the same state graph in both editions
    other_cycle = client.patch(
        f"{V5}/customerBill/{bill['id']}", headers=MERGE, json={"billCycle": {"id": "x"}}
    )
    assert other_cycle.status_code == 400, other_cycle.text


def test_a_bill_on_demand_asked_through_v5_reads_in_v4(live_server, plan) -> None:  # noqa: F811
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))

    asked = client.post(
        f"{V5}/customerBillOnDemand",
        json={
            "billingAccount": {"id": account, "@type": "BillingAccountRef"},
            "relatedParty": {
                "role": "requester",
                "@type": "RelatedPartyRefOrPartyRoleRef",
                "partyOrPartyRole": {"id": buyer["id"], "@referredType": "Customer"},
            },
        },
    )

    assert asked.status_code == 201, asked.text
    assert asked.json()["@type"] == "CustomerBillOnDemand"
    assert asked.json()["relatedParty"]["partyOrPartyRole"]["id"] == buyer["id"]
    request = client.get(f"{V4}/customerBillOnDemand/{asked.json()['id']}").json()
    assert request["state"] == "done"
    assert request["billingAccount"] == {"id": account}
    assert request["relatedParty"] == {
        "id": buyer["id"],
        "@referredType": "Customer",
        "role": "requester",
    }
    bill = client.get(f"{V5}/customerBill/{request['customerBill']['id']}").json()
    assert bill["runType"] == "offCycle" and "billCycle" not in bill


def test_a_bill_on_demand_asked_through_v4_reads_in_v5(live_server, plan) -> None:  # noqa: F811
    client = live_server.client
    buyer, account = account_holder(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))

    asked = client.post(f"{V4}/customerBillOnDemand", json={"billingAccount": {"id": account}})

    shown = client.get(f"{V5}/customerBillOnDemand/{asked.json()['id']}").json()
    assert shown["state"] == "done" and shown["@type"] == "CustomerBillOnDemand"
    assert shown["billingAccount"] == {"id": account, "@type": "BillingAccountRef"}
    assert shown["customerBill"]["@type"] == "CustomerBillRef"


def test_bill_runs_record_their_cycle_once(live_server, plan) -> None:  # noqa: F811
    client = live_server.client
    buyer, account = account_holder(client)
    other, second = account_holder(client)
    for party in (buyer, other):
        completed_order(client, plan, relatedParty=as_customer(party))
    now = datetime.now(UTC).replace(microsecond=0)
    period = {
        "startDateTime": (now - timedelta(days=1)).isoformat(),
        "endDateTime": (now + timedelta(days=1)).isoformat(),
    }
    # Two runs of one cycle (one account each), the second twice over: one cycle.
    for target in (account, second, second):
        created = client.post(
            f"{V4}/billRun",
            json={
                "billingPeriod": period,
                "billDate": now.isoformat(),
                "billingAccount": {"id": target},
            },
        )
        assert created.status_code == 201, created.text
        assert finished(client, f"{V4}/billRun/{created.json()['id']}")["state"] == "done"
    [first] = bills(client, **{"billingAccount.id": account})
    [then] = bills(client, **{"billingAccount.id": second})
    cycle_id = first["billCycle"]["id"]

    cycle = client.get(f"{V5}/billCycle/{cycle_id}")
    listed = client.get(f"{V5}/billCycle", params={"id": cycle_id})

    assert then["billCycle"]["id"] == cycle_id
    assert cycle.status_code == 200, cycle.text
    assert listed.headers["X-Total-Count"] == "1"
    shown = cycle.json()
    assert shown["@type"] == "BillCycle" and shown["href"].endswith(f"{V5}/billCycle/{cycle_id}")
    assert shown["billingDate"] == first["billDate"]
    assert shown["paymentDueDate"] == first["paymentDueDate"]
    assert shown["validFor"] == first["billingPeriod"]
    assert client.get(f"{V4}/billCycle/{cycle_id}").status_code == 404  # v5 only
    assert client.get(f"{V5}/billRun").status_code == 404  # v4 only
    dated = client.get(
        f"{V5}/billCycle", params={"billingDate": first["billDate"], "sort": "-billingDate"}
    )
    assert cycle_id in [c["id"] for c in dated.json()]


def test_v5_listeners_hear_v4_changes_in_v5_shape(events_server) -> None:
    client = events_server.client
    offer = mobile_plan(client)
    _, bill = billed_account(client, offer)
    query = f"eventType=CustomerBillStateChangeEvent&event.customerBill.id={bill['id']}"
    with running_listener() as v5_listener, running_listener() as v4_listener:
        for base, listener in ((V5, v5_listener), (V4, v4_listener)):
            hub = client.post(f"{base}/hub", json={"callback": listener.url, "query": query})
            assert hub.status_code == 201, hub.text
        moved = client.patch(f"{V4}/customerBill/{bill['id']}", json={"state": "onHold"})
        assert moved.status_code == 200, moved.text
        [heard_v5] = v5_listener.wait_count(1)
        [heard_v4] = v4_listener.wait_count(1)

    v5 = heard_v5["event"]["customerBill"]
    assert v5["href"].endswith(f"{V5}/customerBill/{bill['id']}")
    assert v5["state"] == "onHold" and v5["@type"] == "CustomerBill"
    assert v5["relatedParty"][0]["partyOrPartyRole"]["id"] == bill["relatedParty"][0]["id"]
    v4 = heard_v4["event"]["customerBill"]
    assert v4["href"].endswith(f"{V4}/customerBill/{bill['id']}")
    assert v4["relatedParty"] == bill["relatedParty"]


@pytest.fixture(scope="module")
def partners(settings: Settings) -> Iterator[Secured]:
    clients = {"admin": ("admin", ""), **scoped("partner")}
    with secured_server(settings, "partners", clients) as server:
        yield server


def test_a_partner_sees_the_same_statements_through_both_editions(partners: Secured) -> None:
    statements = _settlement_bills(partners)
    with partners.client("partner-north") as north:
        for base in (V4, V5):
            mine = north.get(f"{base}/customerBill")
            assert [b["id"] for b in mine.json()] == [statements["north"]], base
            assert mine.headers["X-Total-Count"] == "1"
            other = north.get(f"{base}/customerBill/{statements['south']}")
            assert other.status_code == 404, base
            assert (
                north.get(f"{base}/customerBill", params={"id": statements["south"]}).json() == []
            )
            rates = north.get(f"{base}/appliedCustomerBillingRate").json()
            assert rates and {r["billingAccount"]["id"] for r in rates} == {"settlement-north"}
            moved = north.patch(
                f"{base}/customerBill/{statements['north']}", json={"state": "onHold"}
            )
            assert moved.status_code == 403, base
        # A cycle belongs to no party: its dates are those of the partner's own statements.
        cycle = north.get(f"{V5}/customerBill/{statements['north']}").json()["billCycle"]
        assert north.get(f"{V5}/billCycle/{cycle['id']}").status_code == 200
        assert north.get(f"{V5}/billCycle").status_code == 200
