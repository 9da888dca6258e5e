"""Every effect of a change, exactly once, whatever moment the server is killed at (issue 19).

Each test runs a workload against `python app.py` on a database of its own, kills the process
with SIGKILL after a seeded delay (several times, a new process on the same database each time),
then starts it once more, lets its sweepers finish what the dead ones left, and checks the stored
bookkeeping (read with pymongo where the API hides it). One test completes order items, pays bills
and writes customers watched by a hub listener all at once (a server start costs seconds, so the
three share the kills): each completed item has one product and its rates once, each payment
(sent with an Idempotency-Key, and sent again with it when a kill cut its request off) is stored
once and its money applied once, each write answered is told at least once and no event twice at
once. The
other kills a bill run while it is in progress: each rate is billed once. tests/crashes.py kills
and starts the processes.
"""

from __future__ import annotations

import os
import queue
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from handlers.idempotency import HEADER
from persistence import dates
from settings import Settings
from tests.api.test_bill_cycles import ACCOUNTS
from tests.api.test_billing import BILLING, bill_run, bills, completed_order, finished
from tests.api.test_orders import CUSTOMERS, ORDERS, as_customer, item, mobile_plan, place
from tests.api.test_payments import CARD, PAYMENTS, customer_with_account, eur
from tests.builders import customer
from tests.crashes import Work, crashable, kill_during, live, stored, wait_until
from tests.listener import Delivery, Listener, running_listener
from tmf_apis.tmf622.completion import COMPLETING
from tmf_apis.tmf676.ledger import LEDGER
from tmf_apis.tmf676.payments import APPLYING, CREDIT

# What a completed item of tests/api/test_orders.py's mobile plan is charged: one rate of each.
PLAN_RATES = ["Connection", "Monthly fee", "Welcome discount"]
SWEEP_SECONDS = 30
# A retry takes a stopped request's Idempotency-Key over this soon (60 s by default).
IDEMPOTENCY_LEASE_SECONDS = 1
# `make test` kills each workload a few times; QA's `make crash-soak` (TMF_CRASHES=long) many
# more times, over more work, at moments drawn from TMF_CRASH_SEED (the make target prints it).
LONG = os.environ.get("TMF_CRASHES", "") == "long"
SEED = int(os.environ.get("TMF_CRASH_SEED", "0")) or None
ORDERS_PLACED = 150 if LONG else 40
KILLS = 30 if LONG else 5
# Kills beyond KILLS, while a window between a write and its effects has not been hit yet.
EXTRA_KILLS = 10
PAYMENTS_MADE = 150 if LONG else 50
CUSTOMERS_WRITTEN = 250 if LONG else 60
ACCOUNTS_BILLED = 4
ORDERS_PER_ACCOUNT = 2
# Each kill of a run is followed by a restart that must find it still in progress.
BILL_RUN_KILLS = 10 if LONG else 3


def _seeded(default: int) -> random.Random:
    """The test's own seed, unless TMF_CRASH_SEED names another (each of the two tests draws
    its own sequence from it)."""
    return random.Random(default if SEED is None else SEED * 1000 + default)


def _database(settings: Settings, name: str) -> str:
    return f"{settings.mongo_database}_crash_{name}"


def _characteristics(rate: dict[str, Any]) -> dict[str, Any]:
    return {c["name"]: c.get("value") for c in rate.get("characteristic") or []}


# ---------------------------------------------------------------------- workloads


def _taken(work: queue.Queue[Any]) -> Iterator[Any]:
    """Each item of the queue, taken off it, until it is empty (shared by the threads)."""
    while True:
        try:
            yield work.get_nowait()
        except queue.Empty:
            return


def _in_progress(client: httpx.Client, order_id: str) -> str:
    def found() -> bool:
        return bool(client.get(f"{ORDERS}/productOrder/{order_id}").json()["state"] == "inProgress")

    wait_until(found, 15, f"order {order_id} in progress")
    return order_id


def _complete_items(orders: queue.Queue[str]) -> Work:
    """Take orders off the queue and complete their items one PATCH at a time (two completions
    per order, each a moment to be killed at)."""

    def work(client: httpx.Client) -> None:
        for order_id in _taken(orders):
            lines = client.get(f"{ORDERS}/productOrder/{order_id}").json()["productOrderItem"]
            for index, line in enumerate(lines):
                if line["state"] == "completed":
                    continue
                lines = [
                    {**other, "state": "completed"} if at == index else other
                    for at, other in enumerate(lines)
                ]
                answer = client.patch(
                    f"{ORDERS}/productOrder/{order_id}", json={"productOrderItem": lines}
                )
                assert answer.status_code == 200, answer.text
                lines = answer.json()["productOrderItem"]

    return work


def _payments(rng: random.Random, account_id: str, bill_ids: list[str], count: int) -> Any:
    """`count` (Idempotency-Key, payment body): a third naming no bill (oldest first), the
    others naming one bill, half of those with the share it takes."""
    made: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    for number in range(count):
        value = round(rng.uniform(6, 14), 2)
        body: dict[str, Any] = {
            "account": {"id": account_id},
            "paymentMethod": CARD,
            "totalAmount": eur(value),
        }
        kind = rng.randrange(3)
        if kind:
            line: dict[str, Any] = {"item": {"id": rng.choice(bill_ids)}}
            if kind == 2:
                line["totalAmount"] = eur(value)
            body["paymentItem"] = [line]
        made.put((f"crash-payment-{number}-{rng.random()}", body))
    return made


def _pay(
    bodies: queue.Queue[tuple[str, dict[str, Any]]], answered: list[str], resent: list[str]
) -> Work:
    """POST the queued payments, each with its Idempotency-Key; the ids of those answered 201
    go to `answered`. One whose request a kill cut off goes back on the queue and is sent again,
    with its key, once a server runs (an integrator's retry): whether or not the stopped process
    stored it, it must make one payment, applied once."""

    def work(client: httpx.Client) -> None:
        for key, body in _taken(bodies):
            try:
                response = _answered(client, f"{PAYMENTS}/payment", body, key)
            except httpx.TransportError:
                bodies.put((key, body))
                resent.append(key)
                raise
            assert response.status_code == 201, response.text
            answered.append(response.json()["id"])

    return work


def _answered(client: httpx.Client, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    """POST until answered: a key still held by a stopped process's request is 409 until its
    lease (IDEMPOTENCY_LEASE_SECONDS here) runs out and the retry takes it over."""
    deadline = time.monotonic() + 30
    while True:
        response = client.post(path, json=body, headers={HEADER: key})
        if response.status_code != 409 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def _write_customers(names: queue.Queue[str], answered: list[tuple[str, str]]) -> Work:
    """Create a customer of each queued name and change it once; each write answered goes to
    `answered` as (customer id, the type of the event that must tell it)."""

    def work(client: httpx.Client) -> None:
        for name in _taken(names):
            created = client.post(f"{CUSTOMERS}/customer", json=customer(name=name))
            assert created.status_code == 201, created.text
            customer_id = created.json()["id"]
            answered.append((customer_id, "CustomerCreateEvent"))
            changed = client.patch(
                f"{CUSTOMERS}/customer/{customer_id}",
                json={"statusReason": "checked"},
                headers={"Content-Type": "application/merge-patch+json"},
            )
            assert changed.status_code == 200, changed.text
            answered.append((customer_id, "CustomerAttributeValueChangeEvent"))

    return work


class OneAtATime:
    """A listener's answer that takes a while over each delivery and notes any that arrives
    while the same event is still being taken."""

    def __init__(self) -> None:
        self.busy: Counter[str] = Counter()
        self.overlapping: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, delivery: Delivery) -> int:
        event_id = delivery.event["eventId"]
        with self.lock:
            if self.busy[event_id]:
                self.overlapping.append(event_id)
            self.busy[event_id] += 1
        time.sleep(0.02)
        with self.lock:
            self.busy[event_id] -= 1
        return 201


# ---------------------------------------------------------------------- orders, payments, events


def test_fulfilment_payments_and_events_come_out_exactly_once(settings) -> None:
    """Orders completed, payments made and customers written at once, the server killed five
    times; then every effect is there once (the three are checked one after the other)."""
    name = _database(settings, "workloads")
    rng = _seeded(19)
    answer = OneAtATime()
    with (
        running_listener() as listener,
        crashable(
            settings,
            name,
            callback_allow_private=True,
            idempotency_lease_seconds=IDEMPOTENCY_LEASE_SECONDS,
        ) as server,
        stored(settings, name) as db,
    ):
        listener.answer = answer
        with server.start() as client:
            hub = client.post(f"{CUSTOMERS}/hub", json={"callback": listener.url})
            assert hub.status_code == 201, hub.text
            plan = mobile_plan(client)
            buyer, account_id = customer_with_account(client)
            # Two bills to pay: 156.00, then 228.00 (a second order and two more months).
            completed_order(client, plan, relatedParty=as_customer(buyer))
            bill_run(client, days_ahead=1, billingAccount={"id": account_id})
            completed_order(client, plan, relatedParty=as_customer(buyer))
            bill_run(client, days_ahead=62, billingAccount={"id": account_id})
            bill_ids = [b["id"] for b in bills(client, **{"billingAccount.id": account_id})]
            assert len(bill_ids) == 2

            def placed(_: int) -> str:
                lines = [item("1", plan), item("2", plan)]
                order = place(client, lines, relatedParty=as_customer(buyer))
                return _in_progress(client, order["id"])

            with ThreadPoolExecutor(4) as pool:
                order_ids = list(pool.map(placed, range(ORDERS_PLACED)))

        def unfinished() -> queue.Queue[str]:
            left: queue.Queue[str] = queue.Queue()
            for order in live(db.product_order, {"id": {"$in": order_ids}}):
                if any(i["state"] != "completed" for i in order["productOrderItem"]):
                    left.put(order["id"])
            return left

        # About 500.00 paid in all: the bills are settled and some of it is credit.
        bodies = _payments(rng, account_id, bill_ids, PAYMENTS_MADE)
        paid: list[str] = []
        resent: list[str] = []  # keys of payments a kill cut off, sent again
        names: queue.Queue[str] = queue.Queue()
        for number in range(CUSTOMERS_WRITTEN):
            names.put(f"Crash {number}")
        written: list[tuple[str, str]] = []

        # Where a kill proves most: between a write and its effects. Each kill after the first
        # waits for one of those windows (a few milliseconds wide) to be open, taking them in turn,
        # until each was hit at least once: on a slow machine, kills at random moments can all miss.
        windows = {
            "completions": (db.product_order, COMPLETING),
            "payments": (db.payment, APPLYING),
        }

        def opened(collection: Any, marker: str) -> Callable[[], bool]:
            where = {marker: {"$exists": True}, "_gone": {"$ne": True}}
            return lambda: collection.find_one(where, {"_id": 1}) is not None

        left = Counter[str]()
        for kill in range(KILLS + EXTRA_KILLS):
            if kill >= KILLS and all(left[window] for window in windows) and resent:
                break
            missed = [window for window in windows if not left[window]] or list(windows)
            target = opened(*windows[missed[kill % len(missed)]]) if kill else None
            complete = _complete_items(unfinished())
            works = [complete, complete, _pay(bodies, paid, resent), _pay(bodies, paid, resent)]
            works.append(_write_customers(names, written))
            kill_during(server, works, rng.uniform(0.2, 0.8), when=target)
            for window, (collection, marker) in windows.items():
                left[window] += len(live(collection, {marker: {"$exists": True}}))
        # Some kills fell between a write and its effects, and cut a payment's request off
        # (else this proves little).
        assert left["completions"] > 0 and left["payments"] > 0 and resent, (left, resent)

        # The last process does what is left and sweeps what the others left.
        with server.start() as client:
            _complete_items(unfinished())(client)
            _pay(bodies, paid, resent)(client)
            _write_customers(names, written)(client)

            def swept() -> bool:
                if live(db.product_order, {COMPLETING: {"$exists": True}}):
                    return False
                if live(db.payment, {APPLYING: {"$exists": True}}):
                    return False
                credit = sum(_cents(p.get(CREDIT, 0)) for p in live(db.payment))
                if _balances(client, account_id).get("creditBalance") != credit:
                    return False
                seen = {(e["event"]["customer"]["id"], e["eventType"]) for e in listener.events()}
                return set(written) <= seen

            wait_until(swept, SWEEP_SECONDS, "every effect carried out, every write told")

        failures = []
        for check in (
            lambda: _check_fulfilment(db, order_ids),
            lambda: _check_payments(db, bill_ids, paid),
            lambda: _check_events(listener, answer),
        ):
            try:
                check()
            except AssertionError as failure:
                failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


def _check_fulfilment(db: Any, order_ids: list[str]) -> None:
    """Every item completed; each has one product and its three rates, once."""
    orders = live(db.product_order, {"id": {"$in": order_ids}})
    made: dict[tuple[str, str], list[str]] = defaultdict(list)
    for product in live(db.product):
        for link in product.get("productOrderItem") or []:
            made[(link["productOrderId"], link["orderItemId"])].append(product["id"])
    charged: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rate in live(db.applied_customer_billing_rate):
        facts = _characteristics(rate)
        charged[(facts["productOrder"], facts["productOrderItem"])].append(rate["name"])

    assert len(orders) == len(order_ids)
    for order in orders:
        assert order["state"] == "completed", order
        for line in order["productOrderItem"]:
            key = (order["id"], line["id"])
            assert line["state"] == "completed"
            assert made[key] == [line["product"]["id"]], (key, made[key])
            assert sorted(charged[key]) == PLAN_RATES, (key, charged[key])


def _check_payments(db: Any, bill_ids: list[str], answered: list[str]) -> None:
    """Each payment sent (with its key, again after a kill cut it off) is stored once and
    answered once, and applied once: its shares of the bills and its credit add up to what it
    paid; each bill's remainder is what its payments left of it."""
    payments = live(db.payment)
    assert len(answered) == len(set(answered)) == PAYMENTS_MADE, "a payment answered twice"
    assert {p["id"] for p in payments} == set(answered), "a payment lost, or made twice"
    taken: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for bill in live(db.customer_bill, {"id": {"$in": bill_ids}}):
        ledger = [entry["op"] for entry in bill.get(LEDGER) or []]
        assert len(ledger) == len(set(ledger)), f"a step applied twice on {bill['id']}"
        applied = Decimal(0)
        for share in bill.get("appliedPayment") or []:
            value = _cents(share["appliedAmount"]["value"])
            taken[share["payment"]["id"]][bill["id"]] = value
            applied += value
        remaining = _cents(bill["remainingAmount"]["value"])
        assert remaining == _cents(bill["amountDue"]["value"]) - applied, bill
        assert remaining >= 0, bill
        assert (bill["state"] == "settled") == (remaining == 0), bill
    for payment in payments:
        assert APPLYING not in payment and payment["status"] == "done", payment
        items = payment["paymentItem"]
        shares = {i["item"]["id"]: _cents(i["totalAmount"]["value"]) for i in items}
        assert shares == taken[payment["id"]], payment
        credit = _cents(payment.get(CREDIT, 0))
        assert credit >= 0, payment
        assert sum(shares.values()) + credit == _cents(payment["totalAmount"]["value"]), payment


def _check_events(listener: Listener, answer: OneAtATime) -> None:
    """Every write answered was told (checked as the sweep's end); never one event twice at
    once; an event delivered again (its delivery cut off by a kill) is the same event."""
    assert answer.overlapping == [], "an event was delivered twice at once"
    by_id: dict[str, dict[str, Any]] = {}
    for event in listener.events():
        assert by_id.setdefault(event["eventId"], event) == event


def _cents(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _balances(client: httpx.Client, account_id: str) -> dict[str, Decimal]:
    held = client.get(f"{ACCOUNTS}/billingAccount/{account_id}").json()
    kept = held.get("accountBalance") or []
    return {b["balanceType"]: _cents(b["amount"]["value"]) for b in kept}


# ---------------------------------------------------------------------- bill runs


def test_a_bill_run_killed_while_in_progress_bills_every_rate_once(settings) -> None:
    name = _database(settings, "bill_run")
    rng = _seeded(678)
    with crashable(settings, name) as server:
        with server.start() as client:
            plan = mobile_plan(client)

            def charged(_: int) -> str:
                buyer, account_id = customer_with_account(client)
                for _ in range(ORDERS_PER_ACCOUNT):
                    completed_order(client, plan, relatedParty=as_customer(buyer))
                return account_id

            with ThreadPoolExecutor(3) as pool:
                accounts = list(pool.map(charged, range(ACCOUNTS_BILLED)))
            # A year ahead: each recurring chain raises a dozen periods, which takes a while.
            now = datetime.now(UTC)
            period = {
                "startDateTime": (now - timedelta(days=1)).isoformat(),
                "endDateTime": (now + timedelta(days=365)).isoformat(),
            }
            posted = client.post(f"{BILLING}/billRun", json={"billingPeriod": period})
            assert posted.status_code == 201, posted.text
            run_id = posted.json()["id"]

        with stored(settings, name) as db:

            def held() -> dict[str, Any]:
                run = db.bill_run.find_one({"id": run_id})
                assert run is not None
                return run

            def state() -> str:
                return str(held()["state"])

            def claimed() -> bool:
                """Whether a live process holds the run (or it ended)."""
                run = held()
                lease = run.get("_lease") or {}
                return run["state"] != "acknowledged" and (
                    run["state"] != "inProgress" or lease.get("until", "") > dates.now()
                )

            killed_in_progress = 0
            for _ in range(BILL_RUN_KILLS):
                wait_until(claimed, SWEEP_SECONDS, "the run claimed")
                if state() != "inProgress":
                    break
                time.sleep(rng.uniform(0.05, 0.4))
                server.kill()
                if state() != "inProgress":
                    break
                killed_in_progress += 1
                # The lease (bill_runs.LEASE_SECONDS, not configurable) runs out: what the
                # passage of two minutes would do.
                expired = dates.format_datetime(datetime.now(UTC) - timedelta(seconds=1))
                db.bill_run.update_one({"id": run_id}, {"$set": {"_lease.until": expired}})
                server.start().close()
            assert killed_in_progress >= 2, "the run finished before the kills"

            if not server.running():
                server.start().close()
            with httpx.Client(base_url=server.url, timeout=30) as client:
                run = finished(client, f"{BILLING}/billRun/{run_id}")
            rates = live(db.applied_customer_billing_rate)
            made = live(db.customer_bill)
            in_flight = db.customer_bill_in_flight.count_documents({})
            created = Counter(
                str(e["event"]["customerBill"]["id"])
                for e in db.events.find({"eventType": "CustomerBillCreateEvent"})
            )

    assert run["state"] == "done", run
    assert in_flight == 0, "a batch of bills left in flight"
    by_bill: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rate in rates:
        assert rate["isBilled"] is True and "_billing" not in rate, rate
        by_bill[rate["bill"]["id"]].append(rate)
    assert set(by_bill) == {b["id"] for b in made}, "a bill without its rates, or the reverse"
    assert created == Counter(b["id"] for b in made), "a bill's Create event lost or doubled"
    assert sorted(b["billingAccount"]["id"] for b in made) == sorted(accounts)
    for bill in made:
        mine = by_bill[bill["id"]]
        for total in ("taxExcludedAmount", "taxIncludedAmount"):
            assert _cents(bill[total]["value"]) == sum(_cents(r[total]["value"]) for r in mine), (
                bill["id"],
                total,
            )
    # Each period of each chain was raised once.
    periods = Counter(
        (r["name"], r["product"]["id"], (r.get("periodCoverage") or {}).get("startDateTime"))
        for r in rates
    )
    assert [key for key, count in periods.items() if count > 1] == []
    assert len(rates) > ACCOUNTS_BILLED * ORDERS_PER_ACCOUNT * 20
