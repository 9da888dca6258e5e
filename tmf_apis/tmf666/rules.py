"""What TMF666 adds to the generic operations on an account (billing, settlement, party,
financial): its lifecycle, the balance the server keeps, the hierarchy and whose it is.

- `state` follows lifecycle.py: Active when the creator names none, never Closed on creation,
  then only along the graph (409); a state outside it is 422.
- `accountBalance` and `lastModified` are the server's (registry.py lists them as server-owned:
  a client's values are dropped on create, refused on patch). A new account shows an empty
  balance; payments and bills, which later keep it, write it through the store, not through a
  client's PATCH. `lastModified` is stamped on every write.
- `accountRelationship` (hierarchy.py): each names an account held here, and one type of
  relationship makes no loop (422); a relationship without `validFor`, which v4 requires and v5
  does not, holds from the time it is written. An account another one names is not deleted
  (409).
- Whose the account is (owners.py): a channel opens billing accounts for its own customers, and
  an account naming a channel's customer is that channel's too.
- A bill structure's format, presentation medium or cycle given by a link to one held here
  without a name (v5 links need none, v4 requires it) takes that one's name.
"""

from __future__ import annotations

from typing import Any

import errors
from tmf_apis.rules import Document, RuleContext, Rules
from tmf_apis.tmf666 import hierarchy, lifecycle, owners

BALANCE = "accountBalance"
LAST_MODIFIED = "lastModified"
# The parts of a bill structure that link to reference data held here, by resource schema.
STRUCTURE_PARTS = {
    "format": "BillFormat",
    "cycleSpecification": "BillingCycleSpecification",
    "presentationMedia": "BillPresentationMedia",
}


class AccountRules(Rules):
    def on_create(self, document: Document, context: RuleContext) -> None:
        state = document.setdefault("state", lifecycle.INITIAL)
        _check_known(state)
        if state in lifecycle.FINAL:
            raise errors.UnprocessableEntity(
                f"a new account cannot start {state}; it starts "
                f"{', '.join(s for s in lifecycle.STATES if s not in lifecycle.FINAL)}",
                reason="Invalid initial state",
            )
        document[BALANCE] = []
        document[LAST_MODIFIED] = context.now
        owners.complete(document, context, creating=True)
        _check_relationships(document, context)
        _name_structure(document, context)

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        old = str(before.get("state", lifecycle.INITIAL))
        new = after.setdefault("state", old)
        _check_known(new)
        problem = lifecycle.move_problem(old, str(new))
        if problem:
            raise errors.Conflict(problem, reason="Illegal state transition")
        after[LAST_MODIFIED] = context.now
        owners.complete(after, context, creating=False)
        if after.get(hierarchy.RELATIONSHIPS) != before.get(hierarchy.RELATIONSHIPS):
            _check_relationships(after, context)
        if after.get("billStructure") != before.get("billStructure"):
            _name_structure(after, context)

    def on_delete(self, document: Document, context: RuleContext) -> None:
        named_by = hierarchy.referrers(str(document["id"]), context)
        if named_by:
            raise errors.Conflict(
                f"account {document['id']!r} is named by the accountRelationship of "
                f"{', '.join(repr(i) for i in named_by)}; remove those relationships first",
                reason="Account in use",
            )


def _check_known(state: Any) -> None:
    if not isinstance(state, str) or state not in lifecycle.MOVES:
        raise errors.UnprocessableEntity(
            f"state {state!r} is not an account state; one of: {', '.join(lifecycle.STATES)}",
            reason="Unknown state",
        )


def _check_relationships(document: Document, context: RuleContext) -> None:
    relationships = document.get(hierarchy.RELATIONSHIPS)
    if isinstance(relationships, list):
        document[hierarchy.RELATIONSHIPS] = [
            {**r, "validFor": {"startDateTime": context.now}}
            if isinstance(r, dict) and "validFor" not in r
            else r
            for r in relationships
        ]
    found = hierarchy.problems(str(document.get("id", "")), document, context)
    if found:
        raise errors.UnprocessableEntity("; ".join(found), reason="Invalid account relationship")


def _name_structure(document: Document, context: RuleContext) -> None:
    structure = document.get("billStructure")
    if not isinstance(structure, dict):
        return
    named = dict(structure)
    for part, schema in STRUCTURE_PARTS.items():
        value = structure.get(part)
        if isinstance(value, list):
            named[part] = [_named(link, schema, context) for link in value]
        elif value is not None:
            named[part] = _named(value, schema, context)
    document["billStructure"] = named


def _named(link: Any, schema: str, context: RuleContext) -> Any:
    if not isinstance(link, dict) or link.get("name") or not link.get("id"):
        return link
    held = context.resolve(schema, link)
    return {**link, "name": held["name"]} if held is not None and held.get("name") else link
