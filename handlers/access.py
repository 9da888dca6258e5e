"""Who may do what: roles, the operations each allows, and the party scope of a channel or partner.

Actions: `read` (list, retrieve, bill documents), `create` (POST, hub registration, bill runs),
`update` (PATCH, replays), `delete` (DELETE, hub unregistration). Each API package declares its
grants (`Api.grants`) and where its resources record their parties (`Resource.party`); this
module gathers them. The matrix they make today, by API and resource path (`*` for every
resource of the API, `hub` and `listener` included):

- admin: everything;
- catalog_manager: TMF620, everything;
- channel: TMF620 catalog entities read (not its import or export jobs); TMF629 customer read,
  create, update; TMF622 productOrder read, create, update (its own, see below); TMF666
  billingAccount read, create, partyAccount and financialAccount read (its customers'), the
  billing reference data read; TMF678 customerBill read (its customers' accounts' bills);
- fulfilment: TMF620 catalog entities read; TMF622 productOrder read, update;
  cancelProductOrder read;
- billing: TMF629 and TMF622 read; TMF678 everything but delete (bill runs included); TMF666
  everything;
- partner: TMF620 catalog entities read; TMF678 customerBill and appliedCustomerBillingRate read
  (its own); TMF666 settlementAccount read (its own).

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
from functools import cache
from typing import Any

from tmf_apis import scope
from tmf_apis.registry import ALL, ANY, CREATE, DELETE, READ, UPDATE

__all__ = ["ALL", "ANY", "CREATE", "DELETE", "READ", "UPDATE"]

# The operator's own role; every other role's grants are declared by the API packages.
ADMIN = "admin"
# Roles that act for a party, and the relatedParty role that marks what is theirs.
SCOPED = {"channel": "channel", "partner": "partner"}
_NO_SCOPED_ACCESS = frozenset({"hub", "listener"})


@cache
def grants() -> dict[str, dict[tuple[str, str], frozenset[str]]]:
    """Every role's grants, by (API, resource path), as the API packages declare them."""
    from tmf_apis import APIS  # the packages' rules import this module's neighbours

    found: dict[str, dict[tuple[str, str], frozenset[str]]] = {ADMIN: {(ANY, ANY): ALL}}
    for api in APIS:
        for role, by_resource in api.grants.items():
            for resource, actions in by_resource.items():
                found.setdefault(role, {})[(api.tmf, resource)] = frozenset(actions)
    return found


@cache
def _party_attributes() -> dict[tuple[str, str], str]:
    """Where each party resource records its parties, by (API, resource path)."""
    from tmf_apis import APIS

    return {
        (api.tmf, r.path): r.party for api in APIS for r in api.resources if r.party is not None
    }


def roles() -> tuple[str, ...]:
    return tuple(grants())


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
    if (api, resource) not in _party_attributes():
        return Decision(True)
    return Decision(True, SCOPED[granted[0]])


def scope_filter(api: str, resource: str, scope_role: str, party_id: str) -> dict[str, Any]:
    """The MongoDB filter of what a scoped principal may touch (tmf_apis/scope.py)."""
    attribute = _party_attributes().get((api, resource), scope.RELATED_PARTY)
    return scope.scope_filter(attribute, scope_role, party_id)


def in_scope(
    document: Mapping[str, Any], api: str, resource: str, scope_role: str, party_id: str
) -> bool:
    """The same test on a document in memory (a patched resource must stay the party's)."""
    attribute = _party_attributes().get((api, resource), scope.RELATED_PARTY)
    return scope.in_scope(document, attribute, scope_role, party_id)


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
    unknown = sorted(set(roles) - set(grants()))
    if unknown or not roles:
        return f"unknown roles {unknown or roles}; known: {', '.join(grants())}"
    if any(r in SCOPED for r in roles) and not party_id:
        return f"roles {', '.join(r for r in roles if r in SCOPED)} act for a party: give one"
    return None


def _grants(role: str, api: str, resource: str, action: str) -> bool:
    for (grant_api, grant_resource), actions in grants().get(role, {}).items():
        if grant_api in (ANY, api) and grant_resource in (ANY, resource) and action in actions:
            return True
    return False
