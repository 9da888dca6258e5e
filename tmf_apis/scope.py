"""What a party-scoped caller (a channel, a partner) may touch, as a database filter and as a
test on a document in memory; by the attribute where a resource records its parties.

`relatedParty` (most resources): one element must hold both the party's id and its role, so two
elements of different parties cannot combine to pass. Any other attribute (a rate's `_party`):
a single party object with that id and role.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RELATED_PARTY = "relatedParty"


def scope_filter(attribute: str, role: str, party_id: str) -> dict[str, Any]:
    if attribute != RELATED_PARTY:
        return {f"{attribute}.id": party_id, f"{attribute}.role": role}
    return {RELATED_PARTY: {"$elemMatch": {"id": party_id, "role": role}}}


def in_scope(document: Mapping[str, Any], attribute: str, role: str, party_id: str) -> bool:
    if attribute != RELATED_PARTY:
        party = document.get(attribute) or {}
        return bool(party.get("id") == party_id and party.get("role") == role)
    return any(
        isinstance(p, dict) and p.get("id") == party_id and p.get("role") == role
        for p in document.get(RELATED_PARTY) or []
    )
