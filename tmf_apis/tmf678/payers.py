"""Who pays for whom: the accounts (TMF666) as bill runs read them: whose bill an account's
charges go on, the billing cycle that bill follows, and the channels that may read it.

Read by resource schema name from the stores every API shares (TMF678 imports nothing of
TMF666); a server without TMF666, or a charge whose account TMF666 does not hold (charges made
before accounts were checked), is billed on the account the charge names, with the default
terms.

- The payer: an account with an `accountRelationship` of type `billedTo` (TMF666's hierarchy:
  a site's account billed to its company's) has its charges billed on the account it names,
  followed up to an account billed to no other. A relationship counts when its `validFor`
  holds at the bill date; a chain that names an account not held here stops before it.
- The cycle: the payer's `billStructure.cycleSpecification` names a BillingCycleSpecification;
  the one stored under its id, else the values the structure gives inline (a RefOrValue).
- The channels: the payer's `relatedParty` entries in the role `channel` (TMF666 tags an account
  with its customer's channels, tmf666/owners.py); its bills carry them, so that the channel
  reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from persistence.store import ResourceStore
from tmf_apis.rules import Document

BILLING, SETTLEMENT = "BillingAccount", "SettlementAccount"
# The accounts a charge may name, by resource schema.
SCHEMAS = (BILLING, SETTLEMENT)
CYCLE_SCHEMA = "BillingCycleSpecification"
BILLED_TO = "billedTo"
CHANNEL = "channel"
SETTLEMENT_PREFIX = "settlement-"
CYCLE_ID = "billStructure.cycleSpecification.id"
# How far a billedTo chain is followed (TMF666 refuses loops; this bounds a racing one).
MAX_DEPTH = 64
# Accounts read together, one round trip each.
READ_BATCH = 500


@dataclass(frozen=True)
class Payer:
    """The account a bill is for, and the terms of its bills."""

    reference: Document
    # The BillingCycleSpecification its bills follow; None for the default terms.
    cycle: Document | None = None
    channels: tuple[Document, ...] = ()
    settlement: bool = False

    @property
    def cycle_id(self) -> str | None:
        found = (self.cycle or {}).get("id")
        return found if isinstance(found, str) else None

    def payment_days(self, default: int) -> int:
        offset = due_offset(self.cycle)
        return default if offset is None else offset


def due_offset(cycle: Document | None) -> int | None:
    """Days from a bill's date to its payment due date the cycle sets; None when it sets none."""
    offset = (cycle or {}).get("paymentDueDateOffset")
    return offset if isinstance(offset, int) and not isinstance(offset, bool) else None


class AccountBook:
    """The accounts and cycles of one bill run, read once each."""

    def __init__(self, stores: Mapping[str, ResourceStore], at: str) -> None:
        self.stores = {s: stores[s] for s in SCHEMAS if s in stores}
        self.cycles = stores.get(CYCLE_SCHEMA)
        self.at = at  # the bill date: when relationships must hold
        # (schema, document) by account id; None for an id no store holds.
        self._accounts: dict[str, tuple[str, Document] | None] = {}
        self._cycles: dict[str, Document | None] = {}

    def load(self, ids: Iterable[str]) -> None:
        """Read these accounts, and the accounts they are billed to, in batches."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self._accounts]
        for _ in range(MAX_DEPTH):
            if not wanted:
                return
            for start in range(0, len(wanted), READ_BATCH):
                self._read(wanted[start : start + READ_BATCH])
            parents = (self._parent(i) for i in wanted)
            wanted = [p for p in dict.fromkeys(parents) if p and p not in self._accounts]

    def payer(self, named: Document) -> Payer:
        """Whose bill the charges of the account `named` (a rate's billingAccount) go on."""
        account_id = str(named.get("id"))
        self.load([account_id])
        top, seen = account_id, {account_id}
        for _ in range(MAX_DEPTH):
            parent = self._parent(top)
            if parent is None or parent in seen or self._accounts.get(parent) is None:
                break
            seen.add(parent)
            top = parent
        held = self._accounts.get(top)
        if held is None:
            referred = named.get("@referredType")
            settled = referred == SETTLEMENT or account_id.startswith(SETTLEMENT_PREFIX)
            return Payer(named, settlement=settled)
        schema, account = held
        reference = named if top == account_id else _reference(schema, account)
        return Payer(
            reference,
            self.cycle((account.get("billStructure") or {}).get("cycleSpecification")),
            tuple(_channels(account)),
            schema == SETTLEMENT or top.startswith(SETTLEMENT_PREFIX),
        )

    def name(self, account_id: str) -> str | None:
        held = self._accounts.get(account_id)
        found = held[1].get("name") if held else None
        return found if isinstance(found, str) else None

    def cycle(self, given: Any) -> Document | None:
        """The cycle specification a bill structure names: the stored one, else as given."""
        if not isinstance(given, dict):
            return None
        cycle_id = given.get("id")
        if isinstance(cycle_id, str) and self.cycles is not None:
            if cycle_id not in self._cycles:
                self._cycles[cycle_id] = self.cycles.find_one({"id": cycle_id})
            stored = self._cycles[cycle_id]
            if stored is not None:
                return stored
        return given

    def of_cycle(self, cycle_id: str) -> set[str]:
        """The accounts whose bill structure names the cycle, and the accounts billed to them
        (their payer may still be another: the caller checks)."""
        found = {i for store in self.stores.values() for i in store.ids({CYCLE_ID: cycle_id})}
        return self.with_children(found)

    def any_billed_to(self) -> bool:
        """Whether any account names another it is billed to (in force or not)."""
        named = {"accountRelationship.relationshipType": BILLED_TO}
        return any(store.exists(named) for store in self.stores.values())

    def with_children(self, ids: Iterable[str]) -> set[str]:
        """These accounts and every account billed to them, however deep."""
        found = set(ids)
        frontier = list(found)
        for _ in range(MAX_DEPTH):
            if not frontier:
                break
            named = {
                "accountRelationship": {
                    "$elemMatch": {"relationshipType": BILLED_TO, "account.id": {"$in": frontier}}
                }
            }
            children = {i for s in self.stores.values() for i in s.ids(named)}
            frontier = sorted(children - found)
            found |= children
        return found

    def _read(self, ids: list[str]) -> None:
        for i in ids:
            self._accounts.setdefault(i, None)
        for schema, store in self.stores.items():
            for account in store.find_all({"id": {"$in": ids}}):
                if self._accounts.get(account["id"]) is None:
                    self._accounts[account["id"]] = (schema, account)

    def _parent(self, account_id: str) -> str | None:
        """The account `account_id` is billed to at the bill date, if any."""
        held = self._accounts.get(account_id)
        for relationship in (held[1] if held else {}).get("accountRelationship") or []:
            if not isinstance(relationship, dict) or relationship.get("relationshipType") != (
                BILLED_TO
            ):
                continue
            target = (relationship.get("account") or {}).get("id")
            if isinstance(target, str) and target != account_id and self._holds(relationship):
                return target
        return None

    def _holds(self, relationship: Document) -> bool:
        valid = relationship.get("validFor") or {}
        start, end = valid.get("startDateTime"), valid.get("endDateTime")
        return (not isinstance(start, str) or start <= self.at) and (
            not isinstance(end, str) or self.at < end
        )


def _reference(schema: str, account: Document) -> Document:
    reference = {"id": account["id"], "@referredType": schema}
    if isinstance(account.get("name"), str):
        reference["name"] = account["name"]
    return reference


def _channels(account: Document) -> list[Document]:
    tags = []
    for party in account.get("relatedParty") or []:
        if isinstance(party, dict) and party.get("role") == CHANNEL and party.get("id"):
            tag = {"id": str(party["id"]), "role": CHANNEL}
            for name in ("name", "@referredType"):
                if isinstance(party.get(name), str):
                    tag[name] = party[name]
            tags.append(tag)
    return tags
