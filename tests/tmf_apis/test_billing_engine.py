"""The billing engine on the real database: bills from rates, safe to repeat and to resume after
a run that stopped half-way; periods and configuration."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pymongo import MongoClient, monitoring

from notifications.events import ResourceEvents
from persistence.database import Database
from persistence.outbox import Outbox
from persistence.store import ResourceStore
from tmf_apis.money import percentages
from tmf_apis.tmf678 import billing, periods
from tmf_apis.tmf678.billing import CLAIM, Billing, Run
from tmf_apis.tmf678.options import BillingOptions
from tmf_apis.tmf678.registry import APPLIED_CUSTOMER_BILLING_RATE as RATES

PERIOD = Run("2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z")


@pytest.fixture
def stores(database: Database) -> tuple[ResourceStore, ResourceStore]:
    suffix = uuid.uuid4().hex[:8]
    rates = database.store(f"rates_{suffix}")
    database.ensure_indexes(rates.collection.name, ("billingAccount.id", "bill.id"))
    bills = database.store(f"bills_{suffix}")
    database.ensure_indexes(bills.collection.name, ())
    return rates, bills


class BillWrites(monitoring.CommandListener):
    """The write commands a client sent, by command name and collection."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update", "delete"):
            with self._lock:
                self.sent.append((event.command_name, str(event.command[event.command_name])))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def with_events(mongo_uri: str) -> Iterator[tuple[ResourceStore, ResourceStore, BillWrites]]:
    """Rates, and bills recording their events in an outbox of their own database; the writes
    sent."""
    writes = BillWrites()
    client: MongoClient[dict] = MongoClient(mongo_uri, event_listeners=[writes])
    name = f"billing_events_{uuid.uuid4().hex[:8]}"
    db = client[name]
    outbox = Outbox(db)
    outbox.ensure_indexes()
    for collection in ("rates", "bills"):
        db[collection].create_index("id", unique=True)
    journal = ResourceEvents(
        api="customerBillManagement",
        schema="CustomerBill",
        path="customerBill",
        kinds=frozenset({"Create", "StateChange", "AttributeValueChange"}),
        state="state",
    )
    yield (
        ResourceStore(db["rates"], (), None, outbox),
        ResourceStore(db["bills"], (), journal, outbox),
        writes,
    )
    client.drop_database(name)
    client.close()


def bill_events(bills: ResourceStore) -> dict[str, list[str]]:
    """Each bill's event types, in number order."""
    found: dict[str, list[str]] = {}
    for event in bills.outbox.events.find().sort("_id", 1):
        found.setdefault(event["event"]["customerBill"]["id"], []).append(event["eventType"])
    return found


def rate(account: str, net: float, tax: float, date: str = "2026-11-10T00:00:00.000Z") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "name": "fee",
        "type": "appliedBillingCharge",
        "date": date,
        "isBilled": False,
        "billingAccount": {"id": account},
        "taxExcludedAmount": {"unit": "EUR", "value": net},
        "taxIncludedAmount": {"unit": "EUR", "value": net + tax},
        "appliedTax": [{"taxRate": 20.0, "taxAmount": {"unit": "EUR", "value": tax}}],
        "_party": {"id": f"customer-of-{account}", "role": "customer"},
    }


def engine(stores: tuple[ResourceStore, ResourceStore]) -> Billing:
    return Billing(*stores, BillingOptions(payment_days=10))


def test_one_bill_per_account_with_its_totals(stores) -> None:
    rates, bills = stores
    for document in (rate("A", 10.0, 2.0), rate("A", 0.1, 0.02), rate("B", 5.0, 1.0)):
        rates.insert(document)
    rates.insert(rate("A", 99.0, 0.0, date="2026-12-02T00:00:00.000Z"))  # after the period

    outcome = engine(stores).run(PERIOD)

    assert outcome.bill_count == 2
    by_account = {b["billingAccount"]["id"]: b for b in bills.find_all({})}
    assert by_account["A"]["taxExcludedAmount"]["value"] == 10.1
    assert by_account["A"]["taxIncludedAmount"]["value"] == 12.12
    assert by_account["A"]["taxItem"][0]["taxAmount"]["value"] == 2.02
    assert by_account["A"]["paymentDueDate"] == "2026-12-11T00:00:00.000Z"
    assert by_account["B"]["amountDue"]["value"] == 6.0
    assert outcome.rates_billed == 3
    assert rates.count({"isBilled": False}) == 1
    assert engine(stores).run(PERIOD).bill_count == 0


class Stopped(Exception):
    """A run's process stopping at a given step."""


def stop_at(step: str, monkeypatch: pytest.MonkeyPatch, after: int = 0) -> None:
    """Stop every engine when it reaches its method `step`, after `after` calls of it have gone
    through."""
    calls = [0]
    real = getattr(Billing, step)

    def stopping(self: Billing, *args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] > after:
            raise Stopped
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Billing, step, stopping)


@pytest.mark.parametrize(("step", "after"), [("_complete", 0), ("_store", 0), ("_store", 1)])
def test_a_run_stopped_with_bills_in_flight_is_completed_once(
    stores, monkeypatch, step: str, after: int
) -> None:
    monkeypatch.setattr(billing, "BILL_BATCH", 2)
    rates, bills = stores
    for number in range(5):
        rates.insert(rate(f"acct-{number}", 1.0 + number, 0.0))
        rates.insert(rate(f"acct-{number}", 10.0, 0.0))
    with monkeypatch.context() as stopping:
        stop_at(step, stopping, after)
        with pytest.raises(Stopped):
            engine(stores).run(PERIOD)
    stopped = engine(stores)
    assert stopped.in_flight.count_documents({}) == 1
    # A rate in flight names its bill already, whether or not the bill is stored.
    marked = rates.count({"isBilled": True})
    assert marked == (0 if step == "_complete" else 4 * (after + 1))  # two bills a batch

    outcome = stopped.run(PERIOD)

    assert stopped.in_flight.count_documents({}) == 0
    totals = {b["billingAccount"]["id"]: b["amountDue"]["value"] for b in bills.find_all({})}
    assert totals == {f"acct-{n}": 11.0 + n for n in range(5)}
    assert outcome.rates_billed == 10 - marked
    assert rates.count({"isBilled": False}) == 0
    for bill in bills.find_all({}):
        assert rates.count({"bill.id": bill["id"]}) == 2


def test_a_bill_of_more_rates_than_a_record_holds_is_stored_whole(stores, monkeypatch) -> None:
    monkeypatch.setattr(billing, "INTENT_RATES", 3)
    rates, bills = stores
    for _ in range(7):
        rates.insert(rate("big", 1.0, 0.0))
    rates.insert(rate("small", 2.0, 0.0))
    with monkeypatch.context() as stopping:
        stop_at("_complete", stopping)
        with pytest.raises(Stopped):
            engine(stores).run(PERIOD)
    stopped = engine(stores)
    assert stopped.in_flight.count_documents({}) == 3  # 3 + 3, then 1 with the small bill's 1

    stopped.run(PERIOD)

    totals = {b["billingAccount"]["id"]: b["amountDue"]["value"] for b in bills.find_all({})}
    assert totals == {"big": 7.0, "small": 2.0}
    assert stopped.in_flight.count_documents({}) == 0


def test_two_runs_at_once_bill_each_rate_once(stores) -> None:
    rates, bills = stores
    for number in range(6):
        rates.insert(rate(f"acct-{number % 3}", 1.0, 0.0))
    first, second = engine(stores), engine(stores)
    # The second run marks and stores while the first has its batch in flight.
    taken = first._complete
    first._complete = lambda *args, **kwargs: (  # type: ignore[method-assign]
        second.run(PERIOD),
        taken(*args, **kwargs),
    )[1]

    outcome = first.run(PERIOD)

    assert rates.count({"isBilled": False}) == 0
    billed = [rates.count({"bill.id": b["id"]}) for b in bills.find_all({})]
    assert sorted(billed) == [2, 2, 2]
    assert outcome.rates_billed == 0  # the second run, which completed its batch, took them


def test_a_run_bills_what_it_marked_when_another_took_some_rates_first(stores) -> None:
    rates, bills = stores
    for number in range(6):
        rates.insert(rate(f"acct-{number % 3}", 1.0 + number, 0.0))
    first = engine(stores)
    one_account = Run(
        PERIOD.period_start, PERIOD.period_end, PERIOD.bill_date, accounts=("acct-1",)
    )
    # A bill of one account's rates is made after the first run read every account's, before
    # it recorded its bills.
    taken = first._bill
    first._bill = lambda *args, **kwargs: (  # type: ignore[method-assign]
        engine(stores).run(one_account),
        taken(*args, **kwargs),
    )[1]

    outcome = first.run(PERIOD)

    assert (outcome.bill_count, outcome.rates_billed) == (2, 4)
    totals = {b["billingAccount"]["id"]: b["amountDue"]["value"] for b in bills.find_all({})}
    assert totals == {"acct-0": 1.0 + 4.0, "acct-1": 2.0 + 5.0, "acct-2": 3.0 + 6.0}
    for bill in bills.find_all({}):
        assert rates.count({"bill.id": bill["id"]}) == 2


# A run of the server before 2026-12-07 claimed its rates for a bill (`_billing`), then stored
# the bill, then marked the rates: its stops are completed as well.
def test_a_run_stopped_after_claiming_is_completed_from_the_same_rates(stores) -> None:
    rates, bills = stores
    claimed = [rate("A", 1.0, 0.2), rate("A", 2.0, 0.4)]
    for document in [*claimed, rate("A", 4.0, 0.8)]:
        rates.insert(document)
    # A run claimed two rates for its bill and stopped before storing the bill.
    left = {
        "bill": "bill-left",
        "run": {
            "period_start": PERIOD.period_start,
            "period_end": PERIOD.period_end,
            "bill_date": PERIOD.bill_date,
            "run_type": "onCycle",
        },
    }
    rates.collection.update_many(
        {"id": {"$in": [c["id"] for c in claimed]}}, {"$set": {CLAIM: left}}
    )

    outcome = engine(stores).run(PERIOD)

    assert outcome.bill_count == 2
    amounts = {b["id"]: b["taxExcludedAmount"]["value"] for b in bills.find_all({})}
    assert amounts.pop("bill-left") == 3.0
    assert list(amounts.values()) == [4.0]
    assert rates.count({"isBilled": False}) == 0
    assert rates.count({"bill.id": "bill-left"}) == 2


def test_a_run_stopped_after_storing_its_bill_stores_it_once(stores) -> None:
    rates, bills = stores
    document = rate("A", 1.0, 0.2)
    rates.insert(document)
    billing = engine(stores)
    billing.run(PERIOD)
    # As if the rates had not been marked: claimed for the bill that exists.
    rates.collection.update_many(
        {},
        {
            "$set": {
                "isBilled": False,
                CLAIM: {
                    "bill": bills.ids({})[0],
                    "run": {
                        "period_start": PERIOD.period_start,
                        "period_end": PERIOD.period_end,
                        "bill_date": PERIOD.bill_date,
                        "run_type": "onCycle",
                    },
                },
            }
        },
    )

    again = billing.run(PERIOD)

    assert again.bill_count == 0 and again.rates_billed == 1
    assert bills.count({}) == 1


@pytest.mark.parametrize(
    ("start", "kind", "end"),
    [
        ("2026-01-31T10:00:00.000Z", "month", "2026-02-28T10:00:00.000Z"),
        ("2028-01-31T10:00:00.000Z", "month", "2028-02-29T10:00:00.000Z"),
        ("2026-11-15T00:00:00.000Z", "month", "2026-12-15T00:00:00.000Z"),
        ("2026-12-15T00:00:00.000Z", "monthly", "2027-01-15T00:00:00.000Z"),
        ("2026-02-28T00:00:00.000Z", "year", "2027-02-28T00:00:00.000Z"),
        ("2026-11-30T00:00:00.000Z", "week", "2026-12-07T00:00:00.000Z"),
        ("2026-11-30T00:00:00.000Z", "quarter", "2027-02-28T00:00:00.000Z"),
    ],
)
def test_period_ends(start: str, kind: str, end: str) -> None:
    assert periods.period_end(start, kind) == end


def test_percentages_are_read_and_checked() -> None:
    parsed = percentages("default=10, partner:p-1=12.5", "TMF_SETTLEMENT_SHARES")
    assert parsed == {"default": Decimal("10"), "partner:p-1": Decimal("12.5")}
    options = BillingOptions(shares=parsed)
    assert options.share("p-1", "o-1") == Decimal("12.5")
    assert options.share("p-2", "o-1") == Decimal("10")
    for bad in ("default", "x=abc", "x=101", "=5"):
        with pytest.raises(ValueError, match="TMF_SETTLEMENT_SHARES"):
            percentages(bad, "TMF_SETTLEMENT_SHARES")


def test_accounts_are_billed_in_batches(stores, monkeypatch) -> None:
    monkeypatch.setattr(billing, "BILL_BATCH", 2)
    rates, bills = stores
    for number in range(5):
        rates.insert(rate(f"acct-{number}", 1.0 + number, 0.0))
        rates.insert(rate(f"acct-{number}", 10.0, 0.0))

    outcome = engine(stores).run(PERIOD)

    assert (outcome.bill_count, outcome.rates_billed) == (5, 10)
    totals = {b["billingAccount"]["id"]: b["amountDue"]["value"] for b in bills.find_all({})}
    assert totals == {f"acct-{n}": 11.0 + n for n in range(5)}


def test_the_claims_index_of_earlier_versions_is_dropped(database: Database) -> None:
    name = f"rates_{uuid.uuid4().hex[:8]}"
    database.ensure_indexes(name, ("billingAccount.id", "_billing.bill"))
    assert "_billing.bill_1" in database.db[name].index_information()

    database.ensure_indexes(name, RATES.indexes, RATES.retired_indexes)
    database.ensure_indexes(name, RATES.indexes, RATES.retired_indexes)  # once dropped, left

    held = database.db[name].index_information()
    assert "_billing.bill_1" not in held and "bill.id_1" in held


def test_each_bill_is_written_once_and_its_create_event_copied_once(with_events) -> None:
    rates, bills, writes = with_events
    for number in range(5):
        rates.insert(rate(f"acct-{number}", 1.0, 0.0))
    del writes.sent[:]

    outcome = Billing(rates, bills, BillingOptions(payment_days=10)).run(PERIOD)

    assert outcome.bill_count == 5
    assert bill_events(bills) == {b["id"]: ["CustomerBillCreateEvent"] for b in bills.find_all({})}
    # One insert stores the batch's bills; nothing is written to them afterwards.
    assert [sent for sent in writes.sent if sent[1] == "bills"] == [("insert", "bills")]
    assert bills.collection.count_documents({"_pending.0": {"$exists": True}}) == 0


def test_a_run_stopped_before_copying_its_bills_events_is_completed_once(
    with_events, monkeypatch
) -> None:
    rates, bills, _ = with_events
    for number in range(3):
        rates.insert(rate(f"acct-{number}", 1.0 + number, 0.0))
    stored = ResourceStore.insert_held

    def stopping(self: ResourceStore, *args: object, **kwargs: object) -> object:
        stored(self, *args, **kwargs)  # type: ignore[arg-type]
        raise Stopped

    with monkeypatch.context() as stopped:
        stopped.setattr(ResourceStore, "insert_held", stopping)
        with pytest.raises(Stopped):
            Billing(rates, bills, BillingOptions(payment_days=10)).run(PERIOD)
    made = {b["billingAccount"]["id"]: b["id"] for b in bills.find_all({})}
    assert len(made) == 3 and bill_events(bills) == {}
    # Before the next run, one of the bills changes: its Create event goes out first.
    bills.modify(made["acct-1"], lambda bill: bill.update(state="sent"))
    assert bill_events(bills) == {
        made["acct-1"]: ["CustomerBillCreateEvent", "CustomerBillStateChangeEvent"]
    }

    outcome = Billing(rates, bills, BillingOptions(payment_days=10)).run(PERIOD)

    assert (outcome.bill_count, outcome.rates_billed) == (0, 0)
    assert bill_events(bills) == {
        made["acct-0"]: ["CustomerBillCreateEvent"],
        made["acct-1"]: ["CustomerBillCreateEvent", "CustomerBillStateChangeEvent"],
        made["acct-2"]: ["CustomerBillCreateEvent"],
    }
    assert bills.outbox.events.count_documents({}) == 4
