"""Bill runs follow TMF666 billing cycles: a run of one cycle bills that cycle's accounts only,
over the cycle's period, and every bill is due as its account's cycle says (billing.py,
bill_runs.py, periods.cycle_period)."""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from persistence import dates
from tests.api.test_billing import BILLING, bill_run, bills, completed_order, finished, rates
from tests.api.test_orders import CUSTOMERS, mobile_plan
from tests.builders import account, billing_cycle_specification, customer
from tests.servers import server_process

ACCOUNTS = "/tmf-api/accountManagement/v4"
BILLING_V5 = BILLING.replace("/v4", "/v5")
DEFAULT_PAYMENT_DAYS = 14  # TMF_BILL_PAYMENT_DAYS's default


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    """20.00 a month less 25 %, 50.00 to connect, VAT 20 % (tests/api/test_orders.py)."""
    return mobile_plan(live_server.client)


def cycle(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"{ACCOUNTS}/billingCycleSpecification", json=billing_cycle_specification(**body)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def customer_account(client: httpx.Client, **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A customer of ours (TMF629) and an Active billing account of its (TMF666)."""
    created = client.post(f"{CUSTOMERS}/customer", json=customer())
    assert created.status_code == 201, created.text
    buyer = created.json()
    owner = {"id": buyer["id"], "name": buyer["name"], "role": "customer"}
    opened = client.post(
        f"{ACCOUNTS}/billingAccount",
        json=account(relatedParty=[{**owner, "@referredType": "Customer"}], **body),
    )
    assert opened.status_code == 201, opened.text
    return buyer, opened.json()


def following(spec: dict[str, Any]) -> dict[str, Any]:
    """A bill structure naming the cycle `spec`."""
    return {"cycleSpecification": {"id": spec["id"], "name": spec["name"], "isRef": True}}


def charged(client: httpx.Client, plan: dict[str, Any], buyer: dict, held: dict) -> None:
    """An order of the plan on the account, completed: 130.00 (156.00 with VAT) to bill."""
    party = [{"id": buyer["id"], "role": "Customer", "@referredType": "Customer"}]
    completed_order(client, plan, relatedParty=party, billingAccount={"id": held["id"]})


def cycle_run(client: httpx.Client, spec: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = client.post(
        f"{BILLING}/billRun", json={"billingCycleSpecification": {"id": spec["id"]}, **body}
    )
    assert response.status_code == 201, response.text
    return finished(client, f"{BILLING}/billRun/{response.json()['id']}")


def monthly_period(bill_date: datetime, shift: int) -> tuple[str, str]:
    """The month from the (1 + shift)th to the (1 + shift)th that ends last by `bill_date`,
    worked out by hand."""
    end = datetime(bill_date.year, bill_date.month, 1 + shift, tzinfo=UTC)
    if end > bill_date:
        end = datetime(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1 + shift, tzinfo=UTC)
    start = datetime(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1 + shift, tzinfo=UTC)
    return dates.format_datetime(start), dates.format_datetime(end)


def days_between(later: str, earlier: str) -> float:
    return (dates.parse(later) - dates.parse(earlier)) / timedelta(days=1)


def test_a_cycle_run_bills_its_accounts_over_its_period_due_as_it_says(live_server, plan) -> None:
    client = live_server.client
    fifth = cycle(client, billingDateShift=4, paymentDueDateOffset=21)
    other = cycle(client, paymentDueDateOffset=30)
    buyer, ours = customer_account(client, billStructure=following(fifth))
    other_buyer, theirs = customer_account(client, billStructure=following(other))
    charged(client, plan, buyer, ours)
    charged(client, plan, other_buyer, theirs)
    # Far enough ahead that the cycle's last period ends after today's charges.
    bill_date = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)

    run = cycle_run(client, fifth, billDate=bill_date.isoformat())

    assert run["state"] == "done" and run["billCount"] == 1, run
    start, end = monthly_period(bill_date, 4)
    assert run["billingPeriod"] == {"startDateTime": start, "endDateTime": end}
    assert run["billingCycleSpecification"]["id"] == fifth["id"]
    [bill] = bills(client, **{"billingAccount.id": ours["id"]})
    assert bill["billingPeriod"] == run["billingPeriod"]
    assert bill["billDate"] == dates.format_datetime(bill_date)
    assert days_between(bill["paymentDueDate"], bill["billDate"]) == 21
    assert bill["amountDue"]["value"] == 156.0
    assert bills(client, **{"billingAccount.id": theirs["id"]}) == []
    assert all(not r["isBilled"] for r in rates(client, theirs["id"]))
    # v5's bill cycle of the run carries the cycle's due date.
    shown = client.get(f"{BILLING_V5}/billCycle/{bill['billCycle']['id']}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["paymentDueDate"] == bill["paymentDueDate"]

    again = cycle_run(client, fifth, billDate=bill_date.isoformat())
    assert again["state"] == "done" and again["billCount"] == 0
    assert len(bills(client, **{"billingAccount.id": ours["id"]})) == 1


def test_a_run_without_a_cycle_dates_each_bill_by_its_accounts_cycle(live_server, plan) -> None:
    client = live_server.client
    spec = cycle(client, paymentDueDateOffset=30)
    buyer, cycled = customer_account(client, billStructure=following(spec))
    plain_buyer, plain = customer_account(client)
    charged(client, plan, buyer, cycled)
    charged(client, plan, plain_buyer, plain)

    bill_run(client, days_ahead=1, billingAccount={"id": cycled["id"]})
    bill_run(client, days_ahead=1, billingAccount={"id": plain["id"]})

    [on_cycle] = bills(client, **{"billingAccount.id": cycled["id"]})
    [by_default] = bills(client, **{"billingAccount.id": plain["id"]})
    assert days_between(on_cycle["paymentDueDate"], on_cycle["billDate"]) == 30
    assert days_between(by_default["paymentDueDate"], by_default["billDate"]) == (
        DEFAULT_PAYMENT_DAYS
    )


def test_a_cycle_run_with_a_period_bills_that_period(live_server, plan) -> None:
    client = live_server.client
    spec = cycle(client, frequency="weekly")
    buyer, held = customer_account(client, billStructure=following(spec))
    charged(client, plan, buyer, held)
    now = datetime.now(UTC)
    period = {
        "startDateTime": dates.format_datetime(now - timedelta(days=1)),
        "endDateTime": dates.format_datetime(now + timedelta(days=1)),
    }

    run = cycle_run(client, spec, billingPeriod=period)

    assert run["billingPeriod"] == period and run["billCount"] == 1
    [bill] = bills(client, **{"billingAccount.id": held["id"]})
    assert bill["billingPeriod"] == period


@pytest.mark.parametrize(
    ("spec", "status", "words"),
    [
        (None, 422, "no billing cycle specification"),
        ({"frequency": "fortnightly"}, 422, "frequency must be one of"),
        ({"frequency": "monthly", "billingDateShift": 31}, 422, "billingDateShift"),
    ],
)
def test_a_cycle_that_cannot_make_periods_is_refused(live_server, spec, status, words) -> None:
    client = live_server.client
    named = {"id": f"no-such-{uuid.uuid4().hex[:8]}"} if spec is None else cycle(client, **spec)

    response = client.post(f"{BILLING}/billRun", json={"billingCycleSpecification": named})

    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_a_run_names_a_period_or_a_cycle(live_server) -> None:
    response = live_server.client.post(
        f"{BILLING}/billRun", json={"billDate": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 400, response.text
    assert "billingPeriod" in response.json()["message"]


def test_the_server_starts_each_cycle_run_once_when_its_period_ends(settings) -> None:
    """TMF_BILL_CYCLES_AUTO: every poll looks, one run per cycle and period is stored."""
    own = dataclasses.replace(
        settings, bill_cycles_auto=True, mongo_database=f"cycles_{uuid.uuid4().hex[:8]}"
    )
    # A process of its own: a second app in this one would take over mongoengine's connection.
    with server_process(own) as (_, url), httpx.Client(base_url=url, timeout=30) as client:
        spec = cycle(client, frequency="daily", billingDateShift=0, paymentDueDateOffset=7)
        buyer, held = customer_account(client, billStructure=following(spec))
        charged(client, mobile_plan(client), buyer, held)
        query = {"billingCycleSpecification.id": spec["id"]}
        deadline = time.monotonic() + 15
        runs: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not (runs and runs[0]["state"] == "done"):
            time.sleep(0.1)
            runs = client.get(f"{BILLING}/billRun", params=query).json()
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        [run] = runs
        assert run["state"] == "done", run
        assert run["billingPeriod"] == {
            "startDateTime": dates.format_datetime(today - timedelta(days=1)),
            "endDateTime": dates.format_datetime(today),
        }
        # Yesterday's period holds none of today's charges: they wait for tomorrow's run.
        assert run["billCount"] == 0
        assert all(not r["isBilled"] for r in rates(client, held["id"]))
        time.sleep(1)  # ten more polls
        assert len(client.get(f"{BILLING}/billRun", params=query).json()) == 1
