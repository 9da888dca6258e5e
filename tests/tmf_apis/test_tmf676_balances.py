"""TMF676 balances worked out for a batch of accounts (balances.recompute_many) against the real
database: the same balances as one account at a time, unchanged accounts left unwritten, a lost
race settled by the single-account form."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from persistence.database import Database
from persistence.store import ResourceStore
from tmf_apis.tmf676 import balances

NOW = "2025-03-01T00:00:00.000Z"


@pytest.fixture
def stores(database: Database) -> dict[str, ResourceStore]:
    suffix = uuid.uuid4().hex[:8]
    return {
        schema: database.store(f"{schema.lower()}_{suffix}")
        for schema in ("BillingAccount", "SettlementAccount", "CustomerBill", "Payment")
    }


def bill(account: str, remaining: str, unit: str = "EUR") -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "billingAccount": {"id": account},
        "amountDue": {"unit": unit, "value": 100},
        "remainingAmount": {"unit": unit, "value": float(remaining)},
    }


def payment(account: str, total: str, used: str = "0", unit: str = "EUR") -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "account": {"id": account},
        "totalAmount": {"unit": unit, "value": float(total)},
        "_ops": [{"op": "p/0", "bill": "b", "amount": used, "at": NOW}],
    }


def kept(store: ResourceStore, account: str) -> dict[tuple[str, str], float]:
    return {
        (b["balanceType"], b["amount"]["unit"]): b["amount"]["value"]
        for b in store.get(account).get("accountBalance", [])
        if b["balanceType"] in balances.KEPT
    }


def test_a_batch_gets_each_accounts_balances_as_one_at_a_time(
    stores: dict[str, ResourceStore],
) -> None:
    accounts, settlements = stores["BillingAccount"], stores["SettlementAccount"]
    other = {"balanceType": "deposit", "amount": {"unit": "EUR", "value": 5}}
    accounts.insert({"id": "a", "accountBalance": [other]})
    accounts.insert({"id": "b"})
    settlements.insert({"id": "s"})
    stores["CustomerBill"].insert_many(
        [bill("a", "40"), bill("a", "2.5"), bill("b", "10", "USD"), bill("s", "7")]
    )
    stores["Payment"].insert_many([payment("a", "30", used="20"), payment("s", "3")])

    balances.recompute_many(stores, ["a", "b", "s", "not-held", "a"], NOW)

    assert kept(accounts, "a") == {
        ("dueBalance", "EUR"): 42.5,
        ("creditBalance", "EUR"): 10,
    }
    assert accounts.get("a")["accountBalance"][0] == other
    assert kept(accounts, "b") == {("dueBalance", "USD"): 10, ("creditBalance", "USD"): 0}
    assert kept(settlements, "s") == {("dueBalance", "EUR"): 7, ("creditBalance", "EUR"): 3}
    assert accounts.get("a")["lastModified"] == NOW
    revisions = {i: accounts.get_for_update(i)[1] for i in ("a", "b")}
    # The single-account form finds nothing to change, and neither does a second batch.
    for account in ("a", "b"):
        balances.recompute(stores, account, "2025-04-01T00:00:00.000Z")
    balances.recompute_many(stores, ["a", "b"], "2025-04-01T00:00:00.000Z")
    assert {i: accounts.get_for_update(i)[1] for i in ("a", "b")} == revisions
    assert accounts.get("a")["lastModified"] == NOW


def test_an_account_changed_meanwhile_is_worked_out_again_alone(
    stores: dict[str, ResourceStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = stores["BillingAccount"]
    accounts.insert({"id": "a"})
    accounts.insert({"id": "b"})
    stores["CustomerBill"].insert_many([bill("a", "40"), bill("b", "5")])
    real_replace = accounts.replace
    raced: list[str] = []

    def replace_after_a_rival(before: Any, revision: int, after: Any, events: Any = None) -> Any:
        if before["id"] == "a" and not raced:
            # Another writer changes the account and its bills between the batch's reads and
            # its write: the batch's write must lose, and the fresh balances win.
            raced.append("a")
            accounts.modify("a", lambda d: d.update(name="renamed"))
            stores["CustomerBill"].insert(bill("a", "60"))
        return real_replace(before, revision, after, events)

    monkeypatch.setattr(accounts, "replace", replace_after_a_rival)
    balances.recompute_many(stores, ["a", "b"], NOW)

    assert raced == ["a"]
    assert accounts.get("a")["name"] == "renamed"
    assert kept(accounts, "a") == {("dueBalance", "EUR"): 100, ("creditBalance", "EUR"): 0}
    assert kept(accounts, "b") == {("dueBalance", "EUR"): 5, ("creditBalance", "EUR"): 0}
