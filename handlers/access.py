"""Who may do what: roles, the operations each allows, and the party scope of a channel or partner.

Actions: `read` (list, retrieve, bill documents), `create` (POST, hub registration, bill runs),
`update` (PATCH, replays), `delete` (DELETE, hub unregistration). The matrix, by API and resource
path (`*` for every resource of the API, `hub` and `listener` included):

- admin: everything;
- catalog_manager: TMF620, everything;
- channel: TMF620 catalog entities read (not its import or export jobs); TMF629 customer read,
  create, update; TMF622 productOrder read, create, update (its own, see below);
- fulfilment: TMF620 catalog entities read; TMF622 productOrder read, update;
  cancelProductOrder read;
- billing: TMF629 and TMF622 read; TMF678 everything but delete (bill runs included);
- partner: TMF620 catalog entities read; TMF678 customerBill and appliedCustomerBillingRate read
  (its own).

A channel or partner acts for one party (`party` of its key or token) and is scoped: it sees,
counts, changes and deletes only resources whose `relatedParty` has one element with that party's
id and its role (`channel` or `partner`); a rate belongs to the party its charge concerns. What a
channel creates is tagged with it as `relatedParty` (role `channel`). A scoped role has no hub:
its events would include other parties' resources. Resources without a party (catalog entities)
are read by everyone the matrix lets read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

READ, CREATE, UPDATE, DELETE = "read", "create", "update", "delete"
ALL = frozenset({READ, CREATE, UPDATE, DELETE})
ANY = "*"

# What of the catalog everyone who reads it reads: the entities, not the import and export jobs
# (their files are the operator's, named by paths on its servers).
_CATALOG_ENTITIES = (
    "catalog",
    "category",
    "productOffering",
    "productOfferingPrice",
    "productSpecification",
)
_CATALOG_READ = {("TMF620", r): frozenset({READ}) for r in _CATALOG_ENTITIES}

GRANTS: dict[str, dict[tuple[str, str], frozenset[str]]] = {
    "admin": {(ANY, ANY): ALL},
    "catalog_manager": {("TMF620", ANY): ALL},
    "channel": {
        **_CATALOG_READ,
        ("TMF629", "customer"): frozenset({READ, CREATE, UPDATE}),
        ("TMF622", "productOrder"): frozenset({READ, CREATE, UPDATE}),
    },
    "fulfilment": {
        **_CATALOG_READ,
        ("TMF622", "productOrder"): frozenset({READ, UPDATE}),
        ("TMF622", "cancelProductOrder"): frozenset({READ}),
    },
    "billing": {
        ("TMF629", ANY): frozenset({READ}),
        ("TMF622", ANY): frozenset({READ}),
        ("TMF678", ANY): frozenset({READ, CREATE, UPDATE}),
    },
    "partner": {
        **_CATALOG_READ,
        ("TMF678", "customerBill"): frozenset({READ}),
        ("TMF678", "appliedCustomerBillingRate"): frozenset({READ}),
    },
}
ROLES = tuple(GRANTS)
# Roles that act for a party, and the relatedParty role that marks what is theirs.
SCOPED = {"channel": "channel", "partner": "partner"}
# Where a resource records its parties, when not in `relatedParty`: a rate's charge party.
_PARTY_ATTRIBUTE = {"appliedCustomerBillingRate": "_party"}
# Resources that belong to parties: a scoped role sees only its party's. Others (the catalog)
# it reads whole, as far as the matrix lets it.
PARTY_RESOURCES = frozenset(
    {
        "customer",
        "productOrder",
        "customerBill",
        "appliedCustomerBillingRate",
        "customerBillOnDemand",
    }
)
_NO_SCOPED_ACCESS = frozenset({"hub", "listener"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a client's name, its roles and the party a scoped role acts for."""

    name: str
    roles: frozenset[str]
    party_id: str | None = None
    # Unique per client (an API client's id, a token's issuer and subject): what rate limits
    # count by; names are not unique.
    subject: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "roles": sorted(self.roles),
            "party": self.party_id,
            "subject": self.subject,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Principal:
        return cls(
            str(data["name"]),
            frozenset(data["roles"]),
            data.get("party"),
            str(data.get("subject") or ""),
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # The relatedParty role the principal is scoped by, when it is allowed only for its party.
    scope_role: str | None = None


def decide(principal: Principal, api: str, resource: str, action: str) -> Decision:
    granted = [role for role in principal.roles if _grants(role, api, resource, action)]
    if not granted:
        return Decision(False)
    unscoped = [role for role in granted if role not in SCOPED]
    if unscoped:
        return Decision(True)
    if resource in _NO_SCOPED_ACCESS or not principal.party_id:
        return Decision(False)
    if resource not in PARTY_RESOURCES:
        return Decision(True)
    return Decision(True, SCOPED[granted[0]])


def scope_filter(resource: str, scope_role: str, party_id: str) -> dict[str, Any]:
    """The MongoDB filter of what a scoped principal may touch: one element holds both the
    party's id and its role, so two elements cannot combine to pass."""
    attribute = _PARTY_ATTRIBUTE.get(resource)
    if attribute is not None:
        return {f"{attribute}.id": party_id, f"{attribute}.role": scope_role}
    return {"relatedParty": {"$elemMatch": {"id": party_id, "role": scope_role}}}


def in_scope(document: Mapping[str, Any], resource: str, scope_role: str, party_id: str) -> bool:
    """The same test on a document in memory (a patched resource must stay the party's)."""
    attribute = _PARTY_ATTRIBUTE.get(resource)
    if attribute is not None:
        party = document.get(attribute) or {}
        return bool(party.get("id") == party_id and party.get("role") == scope_role)
    return any(
        isinstance(p, dict) and p.get("id") == party_id and p.get("role") == scope_role
        for p in document.get("relatedParty") or []
    )


def foreign_tags(document: Mapping[str, Any], scope_role: str, party_id: str) -> list[str]:
    """Other parties a document names in the caller's scope role: a channel may not put its
    records in another channel's lists (or strip another's tag, which the same check refuses)."""
    return sorted(
        {
            str(p.get("id"))
            for p in document.get("relatedParty") or []
            if isinstance(p, dict) and p.get("role") == scope_role and p.get("id") != party_id
        }
    )


def check_roles(roles: Iterable[str], party_id: str | None) -> str | None:
    """Why these roles cannot be given (unknown, or scoped without a party), or None."""
    roles = list(roles)
    unknown = sorted(set(roles) - set(GRANTS))
    if unknown or not roles:
        return f"unknown roles {unknown or roles}; known: {', '.join(ROLES)}"
    if any(r in SCOPED for r in roles) and not party_id:
        return f"roles {', '.join(r for r in roles if r in SCOPED)} act for a party: give one"
    return None


def _grants(role: str, api: str, resource: str, action: str) -> bool:
    for (grant_api, grant_resource), actions in GRANTS.get(role, {}).items():
        if grant_api in (ANY, api) and grant_resource in (ANY, resource) and action in actions:
            return True
    return False
