"""The bill_list operations (TMF678), on the bills the last bill run made: the bills of one billing
account (`bill_list`), and a page of one customer's bills at a random offset (`bill_list_paged`),
through the API and as the pymongo calls the server's store makes for them.

Before they are timed, persistence/query.py must build the filters the raw side runs, and the
server's pages and `X-Total-Count` must equal what the raw queries find.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from app import load_spec
from bench.api import HttpClient
from bench.billing import BILLS
from bench.load import Worker, WorkerFactory
from bench.rates import ACCOUNTS_PER_PARTY, account_id, parties, party_id
from bench.seed import SeedError
from persistence import query
from persistence.store import REVISION
from settings import Settings
from tmf_apis.schema import describe
from tmf_apis.tmf678.registry import API, CUSTOMER_BILL

Document = dict[str, Any]

VARIANTS = ("bill_list", "bill_list_paged")
PAGE_SIZE = 50
API_CHECKS = 3
_SHOWN = {"_id": 0, REVISION: 0}


@dataclass(frozen=True)
class BilledAccounts:
    """What the requests draw from: accounts 0..accounts-1, each with one bill, and their
    customers, ACCOUNTS_PER_PARTY accounts each."""

    accounts: int

    @property
    def parties(self) -> int:
        return parties(self.accounts)

    def account(self, rng: random.Random) -> str:
        return account_id(rng.randrange(self.accounts))

    def page(self, rng: random.Random) -> tuple[str, int]:
        """A customer and an offset at which a full page of its bills starts (when it has one)."""
        party = rng.randrange(self.parties)
        bills = min(ACCOUNTS_PER_PARTY, self.accounts - party * ACCOUNTS_PER_PARTY)
        return party_id(party), rng.randint(0, max(0, bills - PAGE_SIZE))


def account_path(account: str) -> str:
    """bill_list's request: the bills of one billing account, no `limit` (a client's plain ask)."""
    return f"{BILLS}?billingAccount.id={account}"


def party_path(party: str, offset: int) -> str:
    """bill_list_paged's request: one page of a customer's bills."""
    return f"{BILLS}?relatedParty.id={party}&limit={PAGE_SIZE}&offset={offset}"


def operations(
    host: str, port: int, bills: Collection[Document], billed: BilledAccounts, seed: int
) -> dict[str, tuple[WorkerFactory, WorkerFactory]]:
    """Per variant, the worker factory over HTTP and the one of the raw driver."""
    # A list without `limit` is cut at the server's largest page (settings.py).
    whole = Settings().max_page_size

    def by_account(thread: int) -> Worker:
        client, rng = HttpClient(host, port), random.Random(f"{seed}-bill_list-{thread}")

        def request() -> None:
            client.send("GET", account_path(billed.account(rng)), expected=(200, 206))

        return Worker(request, client.close)

    def by_account_raw(thread: int) -> Worker:
        rng = random.Random(f"{seed}-bill_list-{thread}")

        def request() -> None:
            # persistence/store.py ResourceStore.find: one page, counted only when it is full.
            where = {"billingAccount.id": billed.account(rng)}
            items = list(find(bills, where, 0, whole))
            if len(items) == whole:
                bills.count_documents(where)

        return Worker(request)

    def paged(thread: int) -> Worker:
        client, rng = HttpClient(host, port), random.Random(f"{seed}-bill_list_paged-{thread}")

        def request() -> None:
            client.send("GET", party_path(*billed.page(rng)), expected=(200, 206))

        return Worker(request, client.close)

    def paged_raw(thread: int) -> Worker:
        rng = random.Random(f"{seed}-bill_list_paged-{thread}")

        def request() -> None:
            party, offset = billed.page(rng)
            where = {"relatedParty.id": party}
            items = list(find(bills, where, offset, PAGE_SIZE))
            # The store knows the total from a short page, unless it is past the end.
            if len(items) == PAGE_SIZE or (not items and offset):
                bills.count_documents(where)

        return Worker(request)

    return {VARIANTS[0]: (by_account, by_account_raw), VARIANTS[1]: (paged, paged_raw)}


def find(bills: Collection[Document], where: Document, offset: int, limit: int) -> list[Document]:
    return list(bills.find(where, _SHOWN).sort([("_id", ASCENDING)]).skip(offset).limit(limit))


def check(
    client: HttpClient, bills: Collection[Document], billed: BilledAccounts, seed: int
) -> None:
    """The raw filters are the server's; its pages and totals are what the raw queries find."""
    spec = load_spec(Settings().specs_dir / API.spec)
    types = describe(spec, CUSTOMER_BILL.schema).field_types
    rng = random.Random(f"{seed}-bill-list-checks")
    whole = Settings().max_page_size
    for name in ("billingAccount.id", "relatedParty.id"):
        if query.build_filter([(name, "x")], types) != {name: "x"}:
            raise SeedError(f"the server builds another filter for {name} than bench/bill_lists.py")
    for _ in range(API_CHECKS):
        account = billed.account(rng)
        _check_page(client, bills, account_path(account), {"billingAccount.id": account}, 0, whole)
        party, offset = billed.page(rng)
        where = {"relatedParty.id": party}
        _check_page(client, bills, party_path(party, offset), where, offset, PAGE_SIZE)


def _check_page(
    client: HttpClient,
    bills: Collection[Document],
    path: str,
    where: Document,
    offset: int,
    limit: int,
) -> None:
    headers: dict[str, str] = {}
    shown = json.loads(client.send("GET", path, expected=(200, 206), headers_out=headers))
    found = find(bills, where, offset, limit)
    if not found or [b["id"] for b in shown] != [b["id"] for b in found]:
        raise SeedError(f"GET {path} differs from the raw query (or finds nothing)")
    total = bills.count_documents(where)
    if int(headers.get("x-total-count", "-1")) != total:
        raise SeedError(f"X-Total-Count of GET {path} is not {total}")
