"""TMF666 v5's accounts and billing reference data against the stored (v4) ones, both ways.

v5 on the left, stored (v4) on the right. Accounts (billing, settlement, party, financial):

- `lastUpdate` is `lastModified` (filters, `sort` and `fields` too);
- `relatedParty[{role, partyOrPartyRole: {id, href, name, @referredType, @type}, @type}]` is
  `relatedParty[{id, href, name, role, @referredType}]` (tmf_apis/v5_shapes.py), and so is a
  contact's single `relatedParty`;
- a contact's `contactMedium` typed (`EmailContactMedium` with `emailAddress` on it, ...) is
  v4's `{mediumType, characteristic: {emailAddress, ...}}` (tmf_apis/v5_shapes.py);
- a bill structure's `format`, `cycleSpecification` and each `presentationMedia`: v5 tells a
  link from a value by `@type` (`BillFormatRef` or `BillFormat`, ...), v4 by `isRef` (true for
  a link); a v5 object without `@type` is a link when it has an `id` and nothing but a link's
  attributes;
- `@type` on the account and on every object v5 types (`AccountBalance`, `AccountRelationship`,
  `AccountRef`, `Contact`, `TaxExemptionCertificate`, `TaxDefinition`, `PaymentPlan`,
  `PaymentMethodRef`, `FinancialAccountRef`, `BillStructure`, ...) is filled from the v5
  document on the way out when the stored one has none (tmf_apis/typed.py), and a v5 patch
  leaves out what the fill added (`patched`);
- `state`, `accountBalance`, `accountRelationship`, `taxExemption` (v4 `AccountTaxExemption`,
  v5 `TaxExemptionCertificate`), `paymentPlan`, `creditLimit`: the same attributes; what only
  one edition names (v5's `ratingType`, a relationship's or balance's `id`, a tax exemption's
  `taxDefinition` and `attachment`; v4's `accountBalance` inside a financial account link, a
  cycle's `dateShift`) is an extension attribute of the other, kept as sent.

Bill formats, presentation media and billing cycle specifications have the same attributes in
both; v5 adds `@type`.

Lossy, v4 to v5 (v5 cannot show it; a v5 write of the account, which maps it whole, does not
keep it either): a related party without an `id` (v4 takes one, v5 references require it); a
link (`isRef: true`) without an `id`, shown as a value and so stored back with `isRef: false`.
Lossy, v5 to v4: a related party's envelope `@type` `RelatedPartyRefOrPartyRoleRef` and a
reference kind `PartyRef` are v5's defaults and not stored; where the envelope names another
`@type`, it replaces the reference's; a bill structure part's `@type` that says what `isRef`
says is not stored, nor a contact medium's `@type` that its `mediumType` or details tell
again. A v5 write that leaves out what v4 requires (a related party's `name` or
`@referredType`, a contact's `contactType` or `validFor`, a tax exemption's
`issuingJurisdiction` or `validFor`) is refused (422), since v4 clients read the same account;
a relationship's `validFor` and a link's `name` to reference data held here are filled in
instead (rules.py).
"""

from __future__ import annotations

from typing import Any

from tmf_apis.editions import Document, V5Mapping
from tmf_apis.typed import TypeDefaults
from tmf_apis.v5_shapes import (
    MEDIUM_DETAILS,
    RELATED_REF,
    drop_unnamed,
    each,
    medium_to_v4,
    medium_to_v5,
    related_to_v4,
    related_to_v5,
)

SPEC = "TMF666-AccountManagement-v5.yaml"
TYPE = "@type"
# Resource path -> schema.
ACCOUNTS = {
    "billingAccount": "BillingAccount",
    "settlementAccount": "SettlementAccount",
    "partyAccount": "PartyAccount",
    "financialAccount": "FinancialAccount",
}
REFERENCE_DATA = {
    "billFormat": "BillFormat",
    "billPresentationMedia": "BillPresentationMedia",
    "billingCycleSpecification": "BillingCycleSpecification",
}
# v4 name -> v5 name.
LAST_MODIFIED, LAST_UPDATE = "lastModified", "lastUpdate"
# A bill structure's parts: (v5 kind of a value, v5 kind of a link).
STRUCTURE = {
    "format": ("BillFormat", "BillFormatRef"),
    "cycleSpecification": ("BillingCycleSpecification", "BillingCycleSpecificationRef"),
    "presentationMedia": ("BillPresentationMedia", "BillPresentationMediaRef"),
}
IS_REF = "isRef"
# What a link holds; an untyped v5 object with an id and nothing else is a link.
_LINK = frozenset({"id", "href", "name", "@referredType", "@baseType", "@schemaLocation"})


class AccountV5(V5Mapping):
    def __init__(self) -> None:
        self.types = TypeDefaults(SPEC)

    def to_wire(self, resource: str, document: Document) -> Document:
        if resource in ACCOUNTS:
            filled: Document = self.types.fill(ACCOUNTS[resource], _account_to_v5(document))
            return filled
        if resource in REFERENCE_DATA:
            typed: Document = self.types.fill(REFERENCE_DATA[resource], document)
            return typed
        return super().to_wire(resource, document)

    def from_wire(self, resource: str, body: Document) -> Document:
        return _account_to_v4(body) if resource in ACCOUNTS else body

    def patched(self, resource: str, body: Document, before: Document) -> Document:
        if resource in ACCOUNTS:
            body = self.types.unfill(ACCOUNTS[resource], body, _account_to_v5(before))
            return self.from_wire(resource, body)
        if resource in REFERENCE_DATA:
            unfilled: Document = self.types.unfill(REFERENCE_DATA[resource], body, before)
            return unfilled
        return self.from_wire(resource, body)

    def stored_path(self, resource: str, path: str) -> str:
        return _stored_path(path) if resource in ACCOUNTS else path


# ---------------------------------------------------------------------- v4 -> v5


def _account_to_v5(document: Document) -> Document:
    shown = _renamed(document, LAST_MODIFIED, LAST_UPDATE)
    # v4 takes related parties without an id, which v5 cannot show: those are left out.
    drop_unnamed(shown, "relatedParty")
    each(shown, "relatedParty", lambda party: related_to_v5(party, RELATED_REF))
    each(shown, "contact", _contact_to_v5)
    structure = shown.get("billStructure")
    if isinstance(structure, dict):
        shown["billStructure"] = _structure(structure, _part_to_v5)
    return shown


def _contact_to_v5(contact: Document) -> Document:
    shown = dict(contact)
    party = shown.get("relatedParty")
    if isinstance(party, dict):
        if party.get("id"):
            shown["relatedParty"] = related_to_v5(party, RELATED_REF)
        else:
            del shown["relatedParty"]
    each(shown, "contactMedium", medium_to_v5)
    return shown


def _part_to_v5(part: Document, kinds: tuple[str, str]) -> Document:
    value_kind, link_kind = kinds
    shown = {k: v for k, v in part.items() if k != IS_REF}
    if not shown.get(TYPE):
        # A link v5 cannot show without its id is shown as a value.
        is_link = part.get(IS_REF) is True and bool(part.get("id"))
        shown[TYPE] = link_kind if is_link else value_kind
    return shown


# ---------------------------------------------------------------------- v5 -> v4


def _account_to_v4(body: Document) -> Document:
    stored = _renamed(body, LAST_UPDATE, LAST_MODIFIED)
    each(stored, "relatedParty", lambda party: related_to_v4(party, RELATED_REF))
    each(stored, "contact", _contact_to_v4)
    structure = stored.get("billStructure")
    if isinstance(structure, dict):
        stored["billStructure"] = _structure(structure, _part_to_v4)
    return stored


def _contact_to_v4(contact: Document) -> Document:
    stored = dict(contact)
    party = stored.get("relatedParty")
    if isinstance(party, dict):
        stored["relatedParty"] = related_to_v4(party, RELATED_REF)
    each(stored, "contactMedium", _medium_to_v4)
    return stored


def _medium_to_v4(medium: Document) -> Document:
    """A v5 contact medium as v4 stores it, without the `@type` its `mediumType` or details
    tell again on the way out."""
    stored = medium_to_v4(medium)
    kind = stored.get(TYPE)
    bare = {k: v for k, v in stored.items() if k != TYPE}
    return bare if kind is not None and medium_to_v5(bare).get(TYPE) == kind else stored


def _part_to_v4(part: Document, kinds: tuple[str, str]) -> Document:
    value_kind, link_kind = kinds
    kind = part.get(TYPE)
    if IS_REF in part:
        is_link = part[IS_REF] is True
    elif kind in kinds:
        is_link = kind == link_kind
    else:
        is_link = kind is None and bool(part.get("id")) and set(part) <= _LINK
    stored = {**part, IS_REF: is_link}
    if kind == (link_kind if is_link else value_kind):
        del stored[TYPE]  # what isRef says
    return stored


# ---------------------------------------------------------------------- both ways


def _renamed(document: Document, old: str, new: str) -> Document:
    """`document` with `old` named `new`, unless it holds `new` already."""
    if old not in document or new in document:
        return dict(document)
    return {(new if k == old else k): v for k, v in document.items()}


def _structure(structure: Document, convert: Any) -> Document:
    out = dict(structure)
    for name, kinds in STRUCTURE.items():
        value = structure.get(name)
        if isinstance(value, dict):
            out[name] = convert(value, kinds)
        elif isinstance(value, list):
            out[name] = [convert(v, kinds) if isinstance(v, dict) else v for v in value]
    return out


def _stored_path(path: str) -> str:
    """A v5 attribute path of an account as stored."""
    head, _, rest = path.partition(".")
    if head == LAST_UPDATE:
        return LAST_MODIFIED + (f".{rest}" if rest else "")
    if head == "relatedParty":
        rest = _unwrapped(rest)
    elif head == "contact":
        rest = _contact_path(rest)
    return f"{head}.{rest}" if rest else head


def _contact_path(path: str) -> str:
    head, _, rest = path.partition(".")
    if head == "relatedParty":
        rest = _unwrapped(rest)
    elif head == "contactMedium" and rest.partition(".")[0] in MEDIUM_DETAILS:
        rest = f"characteristic.{rest}"
    return f"{head}.{rest}" if rest else head


def _unwrapped(path: str) -> str:
    first, _, rest = path.partition(".")
    return rest if first == "partyOrPartyRole" else path
