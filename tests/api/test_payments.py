"""TMF676 payments over HTTP: applied to bills (partiallyPaid, settled), spread oldest first,
credited and used by the next bill, refunded, never over-applied by concurrent payers, refused
when they name what cannot be paid, finished once when a process stopped half-way, and read by
a partner only for its own payouts (tmf_apis/tmf676, docs/payments.md)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from settings import Settings
from tests.api.test_accounts import BILLING as BILLING_ACCOUNTS
from tests.api.test_accounts import SETTLEMENT as SETTLEMENT_ACCOUNTS
from tests.api.test_billing import BILLING, bill_run, bills, completed_order
from tests.api.test_orders import CUSTOMERS, as_customer, mobile_plan
from tests.api.test_security import Secured, scoped, secured_server
from tests.builders import account, customer
from tmf_apis.tmf676.registry import PAYMENT

PAYMENTS = "/tmf-api/payment/v4"
CARD = {"id": "card-1", "name": "Visa ending 4242", "@referredType": "PaymentMethod"}


def eur(value: float) -> dict[str, Any]:
    return {"unit": "EUR", "value": value}


@pytest.fixture
def plan(live_server) -> dict[str, Any]:
    """20.00 a month less 25 %, 50.00 to connect, VAT 20 %: a first bill of 156.00 for two."""
    return mobile_plan(live_server.client)


def customer_with_account(client: httpx.Client) -> tuple[dict[str, Any], str]:
    """A customer with a TMF666 billing account of its own (which shows the balances)."""
    created = client.post(f"{CUSTOMERS}/customer", json=customer())
    assert created.status_code == 201, created.text
    buyer = created.json()
    owner = {"id": buyer["id"], "name": buyer["name"], "role": "customer"}
    held = client.post(
        BILLING_ACCOUNTS, json=account(relatedParty=[{**owner, "@referredType": "Customer"}])
    )
    assert held.status_code == 201, held.text
    return buyer, str(held.json()["id"])


def first_bill(client: httpx.Client, plan: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An account and its first bill (156.00 EUR)."""
    buyer, account_id = customer_with_account(client)
    completed_order(client, plan, relatedParty=as_customer(buyer))
    bill_run(client, days_ahead=1, billingAccount={"id": account_id})
    [bill] = bills(client, **{"billingAccount.id": account_id})
    assert bill["amountDue"] == eur(156.0)
    return account_id, bill


def pay(client: httpx.Client, account_id: str, value: float, *bills_paid: Any) -> httpx.Response:
    """POST a payment of `value` EUR on the account; each of `bills_paid` is a bill id, or a
    (bill id, amount) pair."""
    body: dict[str, Any] = {
        "account": {"id": account_id},
        "paymentMethod": CARD,
        "totalAmount": eur(value),
    }
    items = []
    for paid in bills_paid:
        bill_id, amount = paid if isinstance(paid, tuple) else (paid, None)
        line: dict[str, Any] = {"item": {"id": bill_id}}
        if amount is not None:
            line["totalAmount"] = eur(amount)
        items.append(line)
    if items:
        body["paymentItem"] = items
    return client.post(f"{PAYMENTS}/payment", json=body)


def paid(client: httpx.Client, account_id: str, value: float, *bills_paid: Any) -> dict[str, Any]:
    response = pay(client, account_id, value, *bills_paid)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def bill(client: httpx.Client, bill_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"{BILLING}/customerBill/{bill_id}").json()
    return found


def balances(client: httpx.Client, account_id: str) -> dict[str, float]:
    held = client.get(f"{BILLING_ACCOUNTS}/{account_id}").json()
    return {b["balanceType"]: b["amount"]["value"] for b in held.get("accountBalance") or []}


def eventually(check: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def shares(payment: dict[str, Any]) -> dict[str, float]:
    return {i["item"]["id"]: i["totalAmount"]["value"] for i in payment["paymentItem"]}


# ---------------------------------------------------------------------- applying payments


def test_half_a_bill_paid_is_partially_paid_and_the_rest_settles_it(live_server, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)

    half = paid(client, account_id, 78, first["id"])

    assert half["status"] == "done" and half["paymentDate"] and half["statusDate"]
    assert shares(half) == {first["id"]: 78.0}
    assert not [name for name in half if name.startswith("_")], half
    halfway = bill(client, first["id"])
    assert halfway["state"] == "partiallyPaid"
    assert halfway["remainingAmount"] == eur(78.0)
    assert halfway["appliedPayment"] == [
        {"appliedAmount": eur(78.0), "payment": {"id": half["id"], "@referredType": "Payment"}}
    ]
    assert halfway["lastUpdate"] > first["lastUpdate"]

    rest = paid(client, account_id, 78, first["id"])

    settled = bill(client, first["id"])
    assert settled["state"] == "settled" and settled["remainingAmount"] == eur(0.0)
    assert [a["payment"]["id"] for a in settled["appliedPayment"]] == [half["id"], rest["id"]]
    assert balances(client, account_id) == {"dueBalance": 0.0, "creditBalance": 0.0}
    assert client.get(f"{PAYMENTS}/payment/{rest['id']}").json() == rest
    listed = client.get(f"{PAYMENTS}/payment", params={"account.id": account_id}).json()
    assert sorted(p["id"] for p in listed) == sorted([half["id"], rest["id"]])


def test_an_overpayment_is_credit_that_the_next_bill_uses(live_server, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)

    over = paid(client, account_id, 200, first["id"])

    assert shares(over) == {first["id"]: 156.0}
    assert bill(client, first["id"])["state"] == "settled"
    assert balances(client, account_id) == {"dueBalance": 0.0, "creditBalance": 44.0}

    # Two more months (72.00) are billed; the credit of 44.00 goes to that bill.
    bill_run(client, days_ahead=62, billingAccount={"id": account_id})
    second = bills(client, **{"billingAccount.id": account_id})[-1]
    assert second["amountDue"] == eur(72.0)

    used = eventually(lambda: bill(client, second["id"])["remainingAmount"] == eur(28.0))
    assert used, bill(client, second["id"])
    assert bill(client, second["id"])["state"] == "partiallyPaid"
    assert shares(client.get(f"{PAYMENTS}/payment/{over['id']}").json()) == {
        first["id"]: 156.0,
        second["id"]: 44.0,
    }
    assert eventually(lambda: balances(client, account_id)["creditBalance"] == 0.0)
    assert balances(client, account_id) == {"dueBalance": 28.0, "creditBalance": 0.0}


def test_a_payment_naming_no_bill_pays_the_oldest_bills_first(live_server, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)
    bill_run(client, days_ahead=62, billingAccount={"id": account_id})
    second = bills(client, **{"billingAccount.id": account_id})[-1]

    spread = paid(client, account_id, 170)

    assert shares(spread) == {first["id"]: 156.0, second["id"]: 14.0}
    assert bill(client, first["id"])["state"] == "settled"
    assert bill(client, second["id"])["remainingAmount"] == eur(58.0)
    assert balances(client, account_id) == {"dueBalance": 58.0, "creditBalance": 0.0}


def test_a_refund_takes_credit_first_then_reopens_the_bill(live_server, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)
    payment = paid(client, account_id, 200, first["id"])

    def refund(value: float) -> httpx.Response:
        return client.post(
            f"{PAYMENTS}/refund",
            json={
                "account": {"id": account_id},
                "payment": {"id": payment["id"]},
                "paymentMethod": CARD,
                "totalAmount": eur(value),
            },
        )

    some = refund(50)  # 44.00 of credit, 6.00 from the bill
    assert some.status_code == 201, some.text
    assert some.json()["status"] == "done" and some.json()["refundDate"]
    reopened = bill(client, first["id"])
    assert reopened["state"] == "partiallyPaid" and reopened["remainingAmount"] == eur(6.0)
    assert balances(client, account_id) == {"dueBalance": 6.0, "creditBalance": 0.0}

    too_much = refund(150.01)
    assert too_much.status_code == 422, too_much.text
    assert "holds 150" in too_much.json()["message"]

    assert refund(150).status_code == 201
    unpaid = bill(client, first["id"])
    # Back to the state it had before it was paid (bill runs make bills `new`).
    assert unpaid["state"] == "new" and unpaid["remainingAmount"] == eur(156.0)
    assert "appliedPayment" not in unpaid
    assert shares(client.get(f"{PAYMENTS}/payment/{payment['id']}").json()) == {}
    assert refund(1).status_code == 422


def test_concurrent_payments_never_take_a_bill_below_zero(live_server, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)

    def one(_: int) -> dict[str, Any]:
        with httpx.Client(base_url=live_server.url, timeout=60) as own:
            return paid(own, account_id, 10, first["id"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        made = list(pool.map(one, range(20)))

    settled = bill(client, first["id"])
    assert settled["state"] == "settled" and settled["remainingAmount"] == eur(0.0)
    assert sum(a["appliedAmount"]["value"] for a in settled["appliedPayment"]) == 156.0
    assert sum(shares(p).get(first["id"], 0) for p in made) == 156.0
    assert balances(client, account_id) == {"dueBalance": 0.0, "creditBalance": 44.0}


def test_what_cannot_be_paid_is_refused(live_server, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)
    other_account, other_bill = first_bill(client, plan)
    closed = client.post(BILLING_ACCOUNTS, json=account()).json()
    assert client.patch(f"{BILLING_ACCOUNTS}/{closed['id']}", json={"state": "Closed"}).is_success
    cases = {
        "unknown bill": pay(client, account_id, 10, "no-such-bill"),
        "another account's bill": pay(client, account_id, 10, other_bill["id"]),
        "unknown account": pay(client, f"nobody-{uuid.uuid4().hex}", 10),
        "closed account": pay(client, closed["id"], 10),
        "zero": pay(client, account_id, 0),
        "negative item": pay(client, account_id, 10, (first["id"], -5)),
        "items beyond the total": pay(client, account_id, 10, (first["id"], 11)),
    }
    wrong_currency = client.post(
        f"{PAYMENTS}/payment",
        json={
            "account": {"id": account_id},
            "paymentMethod": CARD,
            "totalAmount": {"unit": "USD", "value": 10},
            "paymentItem": [{"item": {"id": first["id"]}}],
        },
    )
    cases["wrong currency"] = wrong_currency

    for case, response in cases.items():
        assert response.status_code == 422, (case, response.text)
        assert response.json()["@type"] == "Error" or response.json()["code"], case
    assert "no-such-bill" in cases["unknown bill"].json()["message"]
    assert "Closed" in cases["closed account"].json()["message"]
    assert "USD" in cases["wrong currency"].json()["message"]
    assert pay(client, account_id, "ten").status_code == 400  # type: ignore[arg-type]
    assert bill(client, first["id"])["remainingAmount"] == eur(156.0)
    assert client.get(f"{PAYMENTS}/payment", params={"account.id": account_id}).json() == []
    refund = client.post(
        f"{PAYMENTS}/refund",
        json={
            "account": {"id": account_id},
            "payment": {"id": "no-such-payment"},
            "paymentMethod": CARD,
            "totalAmount": eur(1),
        },
    )
    assert refund.status_code == 422 and "no-such-payment" in refund.json()["message"]
    assert client.get(f"{PAYMENTS}/payment/no-such-payment").status_code == 404


# ---------------------------------------------------------------------- exactly once


def _finished(collection: Any, payment_id: str) -> dict[str, Any]:
    """The stored payment once no step is left on it (a sweeper ran what was)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        stored = collection.find_one({"id": payment_id})
        if "_applying" not in stored:
            return dict(stored)
        time.sleep(0.1)
    raise AssertionError("the sweeper did not finish the payment left half-way")


def test_a_payment_a_stopped_process_left_is_applied_once(live_server, database, plan) -> None:
    client = live_server.client
    account_id, first = first_bill(client, plan)
    payments = database.db[PAYMENT.collection]
    payment_id = str(uuid.uuid4())
    at = "2024-01-01T00:00:00.000Z"
    steps = [{"op": f"{payment_id}/0", "bill": first["id"], "amount": "100", "at": at}]
    # What a process leaves when it dies right after the payment's insert: the step recorded,
    # the bill untouched.
    payments.insert_one(
        {
            "id": payment_id,
            "@type": "Payment",
            "account": {"id": account_id},
            "paymentMethod": CARD,
            "totalAmount": eur(100),
            "status": "done",
            "paymentDate": at,
            "_currency": "EUR",
            "_ops": steps,
            "_applying": at,
            "_credit": 0.0,
            "_rev": 1,
        }
    )

    done = _finished(payments, payment_id)
    # And once more, as a second sweeper or a retried request would: nothing is paid twice.
    payments.update_one({"id": payment_id}, {"$set": {"_ops": steps, "_applying": at}})
    _finished(payments, payment_id)

    assert done["_ops"][0]["applied"] == "100"
    halfway = bill(client, first["id"])
    assert halfway["remainingAmount"] == eur(56.0) and halfway["state"] == "partiallyPaid"
    assert shares(client.get(f"{PAYMENTS}/payment/{payment_id}").json()) == {first["id"]: 100}
    assert eventually(lambda: balances(client, account_id).get("dueBalance") == 56.0)


# ---------------------------------------------------------------------- who sees what


@pytest.fixture(scope="module")
def secured(settings: Settings) -> Iterator[Secured]:
    clients = {"billing": ("billing", ""), **scoped("partner")}
    with secured_server(settings, "payments", clients) as server:
        yield server


def test_a_partner_reads_only_the_payouts_to_its_own_accounts(secured: Secured) -> None:
    def partner(party: str) -> list[dict[str, str]]:
        return [{"id": party, "name": party, "role": "partner", "@referredType": "Organization"}]

    with (
        secured.client("billing") as billing,
        secured.client("partner-north") as north,
    ):
        own = billing.post(SETTLEMENT_ACCOUNTS, json=account(relatedParty=partner("north")))
        other = billing.post(SETTLEMENT_ACCOUNTS, json=account(relatedParty=partner("south")))
        mine = paid(billing, own.json()["id"], 13)
        theirs = paid(billing, other.json()["id"], 13)

        listed = north.get(f"{PAYMENTS}/payment")
        assert listed.status_code == 200, listed.text
        assert [p["id"] for p in listed.json()] == [mine["id"]]
        assert listed.headers["X-Total-Count"] == "1"
        assert north.get(f"{PAYMENTS}/payment/{mine['id']}").status_code == 200
        assert north.get(f"{PAYMENTS}/payment/{theirs['id']}").status_code == 404
        assert north.post(f"{PAYMENTS}/payment", json={}).status_code == 403
        assert north.get(f"{PAYMENTS}/refund").json() == []
        # The payout is credit on the partner's account until a settlement bill takes it.
        held = billing.get(f"{SETTLEMENT_ACCOUNTS}/{own.json()['id']}").json()
        assert {"balanceType": "creditBalance", "amount": eur(13.0)}.items() <= {
            **next(b for b in held["accountBalance"] if b["balanceType"] == "creditBalance")
        }.items()
