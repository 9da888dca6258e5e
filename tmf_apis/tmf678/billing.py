"""Bill runs: every account's unbilled rates become one CustomerBill per account and currency.

A run for a billing period [start, end):
1. moves on the recurring chains whose next period starts before `end` (chains.py: each
   chain's newest rate says when its next period is due; a chain behind by several periods
   catches up), as the status of the product a chain charges for says (TMF637, read by schema
   name from the Product store):
   - `active` (and `pendingTerminate`: in service until its termination completes): the period
     is raised;
   - `suspended` (and `created`, `pendingActive`: not in service): the period is skipped, nothing
     charged, and the chain goes on with the next one;
   - `terminated`, `cancelled`, `aborted`: the chain ends (chains.py), at the product's
     `terminationDate` (credited as charging.py says), else where it stands (no credit);
   - a rate that names no product, a server without the Product store, a product not found:
     raised, as before products were kept;
2. finishes any bill a stopped run left half-made (below);
3. for each account, takes its unbilled rates dated before `end` (those dated before `start`
   too: a charge raised late, or left by an earlier run's stop, goes on the next bill rather
   than nowhere), totals them into a bill, and stores it.

A batch of bills is written in three steps, each of which may be done again: first a record of
the bills in flight (`customer_bill_in_flight`: each new bill's id, its rates' ids and what it
takes of its payer), then its rates marked `isBilled` with the bill they go on (only a rate still
unbilled is marked: of two runs at once, one takes it), then the bills, each made from the rates
marked with it (its id fixed, so storing it twice stores it once) and holding its Create event
(`ResourceStore.insert_held`), then their events copied to the outbox; the record goes last. Each
rate and each bill is written once. A run that stops anywhere leaves a record that the next run
completes (`_finish_stopped`): it marks the same rates again (those marked already stay as they
are), stores the bills not yet stored and copies the events the others still hold (a copy made
before is not made again). So running a cycle again, or two runs at once, bills no rate twice,
and each bill's Create event goes out once, before any other event of it. While a batch is in
flight, its rates name a bill that is not stored yet; a bill, once stored, lists all its rates.

Whose bill a rate goes on is the payer of its account (payers.py: TMF666's `billedTo`
hierarchy, followed to the top): a site's rates go on its company's bill, which lists each
account's subtotal in `accountSubtotal` when it holds rates of more than one account (or of
another account than its own); the rates keep naming their own account. What a bill needs of
its payer (the account it names, its due date, its channels, its kind, the accounts' names) is
decided when its batch is recorded in flight and written into the record, so that the run that
completes a bill makes it from the record alone, however the accounts changed meanwhile. The payer's
billing cycle (`billStructure.cycleSpecification`) gives its bills' `paymentDueDate` (bill date
+ `paymentDueDateOffset` days; the TMF_BILL_PAYMENT_DAYS setting without one); a run of one
cycle (`Run.cycle`) bills only the accounts whose payer follows that cycle.

A settlement account (`settlement-<partner>`, `@referredType: SettlementAccount`, or a TMF666
settlement account) gets a bill of category `settlement` naming the partner as `relatedParty`
with role `partner`; every other bill names the customer (`payer`). Bills also name the
channels of their payer's account (role `channel`), which thereby read them.

An on-cycle run's bills name their bill cycle (cycles.py) in `billCycle`; the cycle is stored
before the first of them, so every bill's cycle exists. Each batch of stored bills is told to
`issued` with the accounts billed (bill_runs.py publishes domain.BILLS_ISSUED).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, UpdateMany

from persistence import dates
from persistence.store import REVISION, ResourceStore, live
from tmf_apis import money
from tmf_apis.rules import Document
from tmf_apis.tmf678 import chains, cycles, periods
from tmf_apis.tmf678.options import BillingOptions
from tmf_apis.tmf678.payers import SETTLEMENT, SETTLEMENT_PREFIX, AccountBook, Payer
from tmf_apis.tmf678.rates import NEXT, PARTY

log = logging.getLogger("tmf.billing")

BILL_SCHEMA = "CustomerBill"
PRODUCT_SCHEMA = "Product"
# TMF637 product statuses (tmf_apis/tmf637/lifecycle.py) as bill runs read them.
ENDED = frozenset({"terminated", "cancelled", "aborted"})
NOT_IN_SERVICE = frozenset({"created", "pendingActive", "suspended"})
# How a stopped run of the server before 2026-12-07 left its rates: claimed for a bill it had
# not stored (`_adopt_claims` takes them over).
CLAIM = "_billing"
# The collection of bills in flight, named after the bills' collection.
IN_FLIGHT = "_in_flight"
# Rate ids in one record of bills in flight (about 45 bytes each: 2 MB).
INTENT_RATES = 50_000
ON_CYCLE, OFF_CYCLE = "onCycle", "offCycle"
# Chains raised per step, so that a run's memory stays bounded however many are due.
RAISE_BATCH = 500
# Bills in flight together: their rates marked in one round trip, the bills stored in another.
BILL_BATCH = 200
# Unbilled rates read at a time, in the order of their accounts' ids: a run holds the rates and
# accounts of one page (a few MB), however many accounts it bills. Each page's query is a scan
# on SecantusDB, so pages are large.
RATE_PAGE = 5_000
# Values in one `$in` query: SecantusDB compares each document with every value.
IN_CHUNK = 200
# What a bill run reads of a rate: what its bill is made of (bill_document), so that a batch
# whose rates all went on its bills is billed from what was read (the benchmark's raw run reads
# the same).
BILLED_FIELDS = {
    "_id": 0,
    "id": 1,
    "billingAccount": 1,
    "taxExcludedAmount": 1,
    "taxIncludedAmount": 1,
    "appliedTax": 1,
    "periodCoverage": 1,
    PARTY: 1,
}
_UNBILLED_FIELDS = {"isBilled": 1, "date": 1, CLAIM: 1}


@dataclass(frozen=True)
class Run:
    """One bill run's parameters."""

    period_start: str
    period_end: str
    bill_date: str
    run_type: str = ON_CYCLE
    # Bill only these accounts and those billed to them (a bill on demand); None bills every
    # account.
    accounts: tuple[str, ...] | None = None
    # Bill only the accounts whose payer follows this BillingCycleSpecification (its id).
    cycle: str | None = None
    # That cycle's paymentDueDateOffset, for the bill cycle record (cycles.py).
    payment_days: int | None = None


@dataclass
class Group:
    """The unbilled rates of one payer in one currency, with the accounts they name."""

    payer: Payer
    rates: list[Document]
    accounts: dict[str, Document]


@dataclass
class Outcome:
    """What a run did; it keeps counts, not the bills, so a run's memory does not grow with it."""

    bill_count: int = 0
    # The first bill the run stored (what a bill on demand refers to).
    first_bill: Document | None = None
    rates_billed: int = 0
    rates_raised: int = 0


class Billing:
    """Runs bills over the rate and bill stores."""

    def __init__(
        self,
        rates: ResourceStore,
        bills: ResourceStore,
        options: BillingOptions,
        bill_cycles: ResourceStore | None = None,
        products: ResourceStore | None = None,
        accounts: Mapping[str, ResourceStore] | None = None,
        issued: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.rates = rates
        self.bills = bills
        # The batches of bills in flight: what a run that stops leaves for the next to complete.
        self.in_flight = bills.collection.database[f"{bills.collection.name}{IN_FLIGHT}"]
        self.options = options
        # Where on-cycle runs record their bill cycles; None where no edition serves them.
        self.cycles = bill_cycles
        # The products rates charge for (TMF637); None where the inventory is not served.
        self.products = products
        # The stores of the accounts (TMF666) and cycle specifications, by schema; none where
        # rates are billed on the accounts they name with the default terms.
        self.accounts = accounts or {}
        # Told the accounts of each batch of bills stored.
        self.issued = issued

    def run(self, run: Run, progress: Callable[[Outcome], None] | None = None) -> Outcome:
        outcome = Outcome()
        book = AccountBook(self.accounts, run.bill_date)
        scope = _scope(run, book)
        outcome.rates_raised = self.raise_recurring(run.period_end, scope)
        self._finish_stopped(scope, outcome)
        # Each page is billed before the next is read: its rates are marked, so the next page's
        # query leaves out what a payer's bill took from further on.
        for groups in self._pages(run, scope):
            for start in range(0, len(groups), BILL_BATCH):
                batch = [(str(uuid.uuid4()), group) for group in groups[start : start + BILL_BATCH]]
                self._bill(run, batch, outcome)
                if progress is not None:
                    progress(outcome)
        return outcome

    # ---------------------------------------------------------------- recurring charges

    def raise_recurring(self, until: str, accounts: Iterable[str] | None = None) -> int:
        """Move on every recurring chain whose next period starts before `until`, as its
        product's status says; returns how many rates that stored."""
        where: dict[str, Any] = {f"{NEXT}.due": {"$lt": until}}
        if accounts is not None:
            where["billingAccount.id"] = {"$in": list(accounts)}
        raised = 0
        while True:
            heads = list(self.rates.collection.find(where, {"_id": 0}, limit=RAISE_BATCH))
            if not heads:
                return raised
            products = self._products(heads)
            for head in heads:
                raised += self._move_on(head, products.get(_product_id(head) or ""))

    def _move_on(self, head: Document, product: Document | None) -> int:
        """Raise the chain's next period, skip it or end the chain (each moves `_next` on, so
        that the loop above ends)."""
        status = (product or {}).get("status")
        if status in ENDED:
            return chains.end(self.rates, head, _ended_at(product or {}, head))
        if status in NOT_IN_SERVICE:
            chains.skip_next(self.rates, head)
            return 0
        return chains.raise_next(self.rates, head)

    def _products(self, heads: list[Document]) -> dict[str, Document]:
        """The products the heads charge for, by id; none without a product store."""
        ids = list({i for i in map(_product_id, heads) if i is not None})
        if self.products is None or not ids:
            return {}
        found = self.products.collection.find(
            live({"id": {"$in": ids}}), {"_id": 0, "id": 1, "status": 1, "terminationDate": 1}
        )
        return {p["id"]: p for p in found}

    # ---------------------------------------------------------------- bills

    def _pages(self, run: Run, scope: set[str] | None) -> Iterator[list[Group]]:
        """The run's unbilled rates as bills to make, by payer and currency, a page at a time.

        Each page holds up to `RATE_PAGE` unbilled rates in the order of their account ids, every
        rate of each of its accounts; the payers of those accounts are billed whole: the rates
        of the accounts billed to them that other pages hold are read with them."""
        where = _unbilled_before(run.period_end)
        # Without any billedTo relationship, each account is its own payer's only account.
        hierarchies = AccountBook(self.accounts, run.bill_date).any_billed_to()
        # A small scope (a bill on demand) is asked of the database; a large one (a cycle's
        # accounts) is checked here: SecantusDB's `$in` costs its length for every rate.
        asked = scope is not None and len(scope) <= IN_CHUNK
        last = ""
        while True:
            accounts: dict[str, Any] = {"$gt": last}
            if asked and scope is not None:
                accounts["$in"] = sorted(scope)
            page = list(
                self.rates.collection.find({**where, "billingAccount.id": accounts}, BILLED_FIELDS)
                .sort("billingAccount.id", ASCENDING)
                .limit(RATE_PAGE)
            )
            by_account: dict[str, list[Document]] = {}
            for rate in page:
                account_id = (rate.get("billingAccount") or {}).get("id")
                if isinstance(account_id, str):
                    by_account.setdefault(account_id, []).append(rate)
            if not by_account:
                return
            ordered = sorted(by_account)
            if len(page) == RATE_PAGE:
                if len(ordered) > 1:
                    # The last account may go on in the next page: it starts there.
                    del by_account[ordered.pop()]
                else:
                    # One account holds a page or more: all its rates, by themselves.
                    by_account = self._rates_of(ordered, where)
            last = ordered[-1]
            if scope is not None and not asked:
                by_account = {a: r for a, r in by_account.items() if a in scope}
            yield self._groups(run, scope, where, by_account, hierarchies)

    def _rates_of(
        self, account_ids: Iterable[str], where: Mapping[str, Any]
    ) -> dict[str, list[Document]]:
        """The unbilled rates of these accounts, by account; asked a few accounts at a time,
        by account id alone (the rest is checked here, so SecantusDB keeps to that index)."""
        wanted = sorted(account_ids)
        found: dict[str, list[Document]] = {}
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            for rate in self.rates.collection.find(
                {"billingAccount.id": {"$in": chunk}}, {**BILLED_FIELDS, **_UNBILLED_FIELDS}
            ):
                if _still_unbilled(rate, where):
                    found.setdefault(rate["billingAccount"]["id"], []).append(rate)
        return found

    def _groups(
        self,
        run: Run,
        scope: set[str] | None,
        where: Mapping[str, Any],
        by_account: Mapping[str, list[Document]],
        hierarchies: bool,
    ) -> list[Group]:
        """The bills of the payers of these accounts (their unbilled rates, by account id)."""
        book = AccountBook(self.accounts, run.bill_date)  # one page's accounts, then let go
        named = {a: rates[0]["billingAccount"] for a, rates in by_account.items()}
        book.load(named)
        payers: dict[str, Payer] = {}
        for account in named.values():
            payer = book.payer(account)
            if run.cycle is None or payer.cycle_id == run.cycle:
                payers[str(payer.reference["id"])] = payer
        rates = dict(by_account)
        if hierarchies:
            # The accounts billed to these payers that other pages hold.
            others = book.with_children(payers) - set(rates)
            if scope is not None:
                others &= scope
            book.load(others)
            rates.update(self._rates_of(others, where))
        groups: dict[tuple[str, str], Group] = {}
        for account_id, held in rates.items():
            account = held[0]["billingAccount"]
            payer_id = str(book.payer(account).reference["id"])
            if payer_id not in payers:
                continue  # billed to another payer now: its own page bills it
            for rate in held:
                currency = (rate.get("taxExcludedAmount") or {}).get("unit", "")
                group = groups.setdefault((payer_id, currency), Group(payers[payer_id], [], {}))
                group.rates.append(rate)
                group.accounts.setdefault(account_id, _named(account, book.name(account_id)))
        return list(groups.values())

    def _bill(self, run: Run, batch: list[tuple[str, Group]], outcome: Outcome) -> None:
        """Bill each (new bill id, its payer's rates) of the batch: its intent recorded, its rates
        marked, its bills stored, a few round trips for the whole batch."""
        intents = _intents(run, batch, self.options)
        self.in_flight.insert_many(intents)
        self._complete(intents, outcome, read={bill_id: group.rates for bill_id, group in batch})

    def _finish_stopped(self, scope: set[str] | None, outcome: Outcome) -> None:
        """Complete the batches a stopped run left in flight, and the claims of a stopped run of
        the server before 2026-12-07 (rates claimed, then marked in a second write)."""
        self._adopt_claims()
        left = list(self.in_flight.find({}))
        if left:
            log.info("completing the bills a stopped run left", extra={"batches": len(left)})
            self._complete(left, outcome, scope)

    def _adopt_claims(self) -> None:
        """Record each claim an earlier server's stopped run left as a batch in flight (keyed by
        its bill, so that adopting it twice records it once); `_complete` marks its rates."""
        where = {"isBilled": False, CLAIM: {"$exists": True}}
        claims: dict[str, Document] = {}
        for rate in self.rates.collection.find(where, {"id": 1, CLAIM: 1}):
            claim = rate[CLAIM]
            bill = {"id": claim["bill"], "payer": claim.get("payer"), "rates": []}
            intent = claims.setdefault(
                claim["bill"],
                {"_id": f"claim-{claim['bill']}", "run": claim["run"], "bills": [bill]},
            )
            intent["bills"][0]["rates"].append(rate["id"])
        for intent in claims.values():
            self.in_flight.replace_one({"_id": intent["_id"]}, intent, upsert=True)

    def _complete(
        self,
        intents: list[Document],
        outcome: Outcome,
        scope: set[str] | None = None,
        read: Mapping[str, list[Document]] | None = None,
    ) -> None:
        """Mark the rates of these batches billed, each with its bill, then store the bills from
        the rates marked, then let the batches go. Every step may be done again: a rate is
        marked only while unbilled, a bill is stored once by its id. `read`: each bill's rates
        as the run read them, its bills made from them if this marked every one."""
        marks = [
            UpdateMany(
                {"id": {"$in": bill["rates"]}, "isBilled": False},
                {
                    "$set": {"isBilled": True, "bill": _bill_ref(bill["id"])},
                    "$unset": {CLAIM: ""},
                    # A new revision: ETags and the shapes kept per revision follow the change.
                    "$inc": {REVISION: 1},
                },
            )
            for intent in intents
            for bill in intent["bills"]
            if bill["rates"]
        ]
        marked = (
            self.rates.collection.bulk_write(marks, ordered=False).modified_count if marks else 0
        )
        outcome.rates_billed += marked
        if read is not None and marked != sum(len(rates) for rates in read.values()):
            read = None  # another run took some of them first: the bills are what is marked
        # Only once every rate is marked: a bill spread over several records is read whole.
        self._store(intents, outcome, scope, read)
        self.in_flight.delete_many({"_id": {"$in": [intent["_id"] for intent in intents]}})

    def _store(
        self,
        intents: list[Document],
        outcome: Outcome,
        scope: set[str] | None,
        read: Mapping[str, list[Document]] | None,
    ) -> None:
        """Store the bills in flight, each from the rates marked with it (none: each of its
        rates went on another run's bill first), as `read` holds them or read again."""
        facts = {
            bill["id"]: (intent["run"], bill.get("payer"))
            for intent in intents
            for bill in intent["bills"]
        }
        marked: dict[str, list[Document]] = defaultdict(list)
        if read is not None:
            marked.update(read)
        else:
            for rate in self.rates.collection.find(
                {"bill.id": {"$in": list(facts)}}, {**BILLED_FIELDS, "bill.id": 1}
            ):
                marked[rate["bill"]["id"]].append(rate)
        runs = {bill_id: Run(**facts[bill_id][0]) for bill_id in marked}
        for run in set(runs.values()):
            if run.run_type == ON_CYCLE and self.cycles is not None:
                # The bills name their cycle: it is stored before them.
                cycles.record(
                    self.cycles,
                    run.period_start,
                    run.period_end,
                    run.bill_date,
                    run.payment_days if run.payment_days is not None else self.options.payment_days,
                    run.cycle,
                )
        bills = [
            bill_document(
                bill_id,
                runs[bill_id],
                rates,
                self.options,
                runs[bill_id].run_type == ON_CYCLE and self.cycles is not None,
                facts[bill_id][1],
            )
            for bill_id, rates in marked.items()
        ]
        # A bill already stored (by a run that stopped before letting its batch go) is left
        # out of the insert. Each bill holds its Create event until it is copied (the record in
        # flight is what finishes the copy after a stop): one write per bill.
        stored, events = self.bills.insert_held(bills)
        self.bills.outbox.append(events)
        if len(stored) < len(bills):
            taken = {bill["id"] for bill in stored}
            self.bills.release_held([bill["id"] for bill in bills if bill["id"] not in taken])
        outcome.bill_count += len(stored)
        if not stored:
            return
        if outcome.first_bill is None:
            # What a bill on demand names: one of its accounts' bills, not one of a stopped run
            # elsewhere that it completed first.
            outcome.first_bill = next(
                (b for b in stored if _in_scope(marked[b["id"]], scope)), None
            )
        if self.issued is not None:
            self.issued(sorted({str(b["billingAccount"]["id"]) for b in stored}))


def _intents(run: Run, batch: list[tuple[str, Group]], options: BillingOptions) -> list[Document]:
    """The batch as records of bills in flight, each naming its bill, its payer's facts and its
    rates, split so that none holds more than `INTENT_RATES` rate ids (a document's size is
    bounded; a bill of more rates is spread over several, in one insert)."""
    facts = _run_facts(run)
    intents: list[Document] = []
    held = INTENT_RATES
    for bill_id, group in batch:
        payer = _payer_facts(group, run, options)
        ids = [rate["id"] for rate in group.rates]
        for start in range(0, max(len(ids), 1), INTENT_RATES):
            rates = ids[start : start + INTENT_RATES]
            if held + len(rates) > INTENT_RATES:
                intents.append({"_id": str(uuid.uuid4()), "run": facts, "bills": []})
                held = 0
            intents[-1]["bills"].append({"id": bill_id, "payer": payer, "rates": rates})
            held += len(rates)
    return intents


def _in_scope(rates: list[Document], scope: set[str] | None) -> bool:
    return scope is None or any(r["billingAccount"]["id"] in scope for r in rates)


def bill_document(
    bill_id: str,
    run: Run,
    rates: list[Document],
    options: BillingOptions,
    cycled: bool = False,
    payer: Document | None = None,
) -> Document:
    """The bill of one payer's `rates` (all in one currency): their sums, tax per rate;
    `cycled`: it names its run's bill cycle; `payer`: what its batch in flight decided of the
    payer (_payer_facts); none (a claim of an earlier version): the first rate's account, by default
    terms."""
    facts = payer or {}
    account = facts.get("billingAccount") or rates[0]["billingAccount"]
    currency = rates[0]["taxExcludedAmount"]["unit"]
    net = _sum(r["taxExcludedAmount"]["value"] for r in rates)
    gross = _sum(r["taxIncludedAmount"]["value"] for r in rates)
    taxes: dict[Decimal, Decimal] = defaultdict(Decimal)
    for rate in rates:
        for tax in rate.get("appliedTax") or []:
            rate_percent = money.decimal(tax.get("taxRate")) or money.ZERO
            taxes[rate_percent] += _sum([tax["taxAmount"]["value"]])
    settlement = bool(facts.get("settlement", _is_settlement(account)))
    due = facts.get("paymentDueDate") or periods.add_days(run.bill_date, options.payment_days)
    bill: Document = {
        "id": bill_id,
        "@type": BILL_SCHEMA,
        "billNo": _bill_number(run, bill_id),
        "billDate": run.bill_date,
        "lastUpdate": run.bill_date,
        "category": "settlement" if settlement else "normal",
        "runType": run.run_type,
        "state": "new",
        "billingAccount": account,
        "billingPeriod": _billing_period(run, rates),
        "paymentDueDate": due,
        "taxExcludedAmount": _money(net, currency),
        "taxIncludedAmount": _money(gross, currency),
        "amountDue": _money(gross, currency),
        "remainingAmount": _money(gross, currency),
        "taxItem": [
            {
                "taxCategory": "VAT",
                "taxRate": float(rate),
                "taxAmount": _money(amount, currency),
            }
            for rate, amount in sorted(taxes.items())
        ],
        "relatedParty": _parties(rates, settlement, facts.get("channels") or []),
        "billDocument": [
            {
                "id": f"{bill_id}-document",
                "name": f"bill-{_bill_number(run, bill_id)}.html",
                "attachmentType": "invoice",
                "mimeType": "text/html",
                "url": f"{options.document_base}/customerBill/{bill_id}/document",
                "@type": "AttachmentRefOrValue",
            }
        ],
    }
    subtotals = _subtotals(rates, account, facts.get("accounts") or [], currency)
    if subtotals:
        bill["accountSubtotal"] = subtotals
    if run.run_type == ON_CYCLE:
        bill["nextBillDate"] = run.period_end
    if cycled:
        bill["billCycle"] = cycles.reference(
            run.period_start, run.period_end, run.bill_date, run.cycle
        )
    return bill


def _parties(rates: list[Document], settlement: bool, channels: list[Document]) -> list[Document]:
    seen: dict[str, Document] = {}
    for rate in rates:
        party = rate.get(PARTY) or {}
        if isinstance(party.get("id"), str):
            role = "partner" if settlement else "payer"
            seen.setdefault(party["id"], {"id": party["id"], "role": role})
    referred = "Organization" if settlement else "Customer"
    named = [{**p, "@referredType": referred} for p in seen.values()]
    return named + [dict(c) for c in channels]


def _subtotals(
    rates: list[Document], account: Document, named: list[Document], currency: str
) -> list[Document]:
    """Each account's sums, the payer's own first, when the bill holds rates of an account
    other than the payer's; none otherwise."""
    by_account: dict[str, list[Document]] = defaultdict(list)
    for rate in rates:
        by_account[str(rate["billingAccount"]["id"])].append(rate)
    if set(by_account) <= {account["id"]}:
        return []
    references = {str(a["id"]): a for a in named}
    order = sorted(by_account, key=lambda a: (a != account["id"], a))
    return [
        {
            "billingAccount": references.get(a) or by_account[a][0]["billingAccount"],
            "taxExcludedAmount": _money(
                _sum(r["taxExcludedAmount"]["value"] for r in by_account[a]), currency
            ),
            "taxIncludedAmount": _money(
                _sum(r["taxIncludedAmount"]["value"] for r in by_account[a]), currency
            ),
        }
        for a in order
    ]


def _billing_period(run: Run, rates: list[Document]) -> Document:
    """The run's period; a bill on demand's (which runs up to now) stretched to cover the
    periods its charges are for (a month's fee charged today)."""
    start, end = run.period_start, run.period_end
    if run.run_type == OFF_CYCLE:
        for rate in rates:
            covered = rate.get("periodCoverage") or {}
            first, last = covered.get("startDateTime"), covered.get("endDateTime")
            start = min(start, first) if isinstance(first, str) else start
            end = max(end, last) if isinstance(last, str) else end
    return {"startDateTime": start, "endDateTime": end}


def _unbilled_before(end: str) -> dict[str, Any]:
    return {"isBilled": False, CLAIM: {"$exists": False}, "date": {"$lt": end}}


def _still_unbilled(rate: Document, where: Mapping[str, Any]) -> bool:
    """`where` (`_unbilled_before`), checked on a rate read without it."""
    date = rate.get("date")
    return (
        rate.get("isBilled") is False
        and CLAIM not in rate
        and isinstance(date, str)
        and date < where["date"]["$lt"]
    )


def _scope(run: Run, book: AccountBook) -> set[str] | None:
    """The accounts whose rates the run may bill; None for every account."""
    scope = None if run.accounts is None else book.with_children(run.accounts)
    if run.cycle is not None:
        members = book.of_cycle(run.cycle)
        scope = members if scope is None else scope & members
    return scope


def _payer_facts(group: Group, run: Run, options: BillingOptions) -> Document:
    """What the bill of `group` takes of its payer, fixed when its batch is recorded in flight."""
    payer = group.payer
    return {
        "billingAccount": payer.reference,
        "paymentDueDate": periods.add_days(run.bill_date, payer.payment_days(options.payment_days)),
        "channels": list(payer.channels),
        "settlement": payer.settlement,
        "accounts": list(group.accounts.values()),
    }


def _named(reference: Document, name: str | None) -> Document:
    """A rate's account reference, named by its TMF666 name when it carries none."""
    shown = {k: v for k, v in reference.items() if k in ("id", "href", "name", "@referredType")}
    if name and not shown.get("name"):
        shown["name"] = name
    return shown


def _is_settlement(account: Document) -> bool:
    return account.get("@referredType") == SETTLEMENT or str(account.get("id")).startswith(
        SETTLEMENT_PREFIX
    )


def _product_id(rate: Document) -> str | None:
    found = (rate.get("product") or {}).get("id")
    return found if isinstance(found, str) else None


def _ended_at(product: Document, head: Document) -> str:
    """When an ended product's chain stops: its termination date, else where the chain stands
    (its next period, not raised)."""
    ended = product.get("terminationDate")
    if product.get("status") == "terminated" and isinstance(ended, str):
        try:
            return dates.normalize(ended)
        except ValueError:
            pass
    return str(head[NEXT]["due"])


def _bill_ref(bill_id: str) -> Document:
    return {"id": bill_id, "@referredType": BILL_SCHEMA}


def _run_facts(run: Run) -> dict[str, Any]:
    return {
        "period_start": run.period_start,
        "period_end": run.period_end,
        "bill_date": run.bill_date,
        "run_type": run.run_type,
        "cycle": run.cycle,
        "payment_days": run.payment_days,
    }


def _bill_number(run: Run, bill_id: str) -> str:
    return f"{run.period_start[:7].replace('-', '')}-{bill_id[:8].upper()}"


def _sum(values: Iterable[Any]) -> Decimal:
    """A bill's amounts are sums of its rates' (tmf_apis/money.py): nothing is rounded again."""
    return sum((money.decimal(v) or money.ZERO for v in values), money.ZERO)


def _money(amount: Decimal, currency: str) -> Document:
    return money.money(amount, currency)
