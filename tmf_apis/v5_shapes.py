"""Shapes every v5 edition shares, against the stored (v4) ones: each API's v5 mapping uses them.

- `relatedParty`: v4's flat `{id, href, name, role, @referredType}` is v5's
  `{role, partyOrPartyRole: {id, href, name, @referredType, @type}, @type}`.
- `characteristic`: v4's `{name, valueType, value}` is v5's typed characteristic, its `@type`
  (`StringCharacteristic`, `IntegerCharacteristic`, ...) told from the value.
- `contactMedium`: v4's `{mediumType, preferred, validFor, characteristic: {emailAddress, ...}}`
  is v5's typed medium (`EmailContactMedium` with `emailAddress` on it, `PhoneContactMedium`,
  ...); v4's `characteristic.contactType` is v5's `contactType` (TMF629, TMF666).
- References v4 took without an id, which v5 cannot show (`drop_unnamed`).
"""

from __future__ import annotations

from typing import Any

from tmf_apis.editions import Document

RELATED = "RelatedPartyOrPartyRole"
# The envelope's name where it holds references only (TMF622, TMF678, TMF620).
RELATED_REF = "RelatedPartyRefOrPartyRoleRef"
# What a v5 related party may refer to; v4 keeps the kind as the flat reference's `@type`.
REFERENCE_KINDS = ("PartyRef", "PartyRoleRef")
PARTY_REF = "PartyRef"
# v4's default `@type` of a related party, which v5's envelope replaces.
V4_RELATED = "RelatedParty"
# A v5 contact medium's type, the v4 medium characteristic attributes it carries on itself.
MEDIA = {
    "EmailContactMedium": ("email", ("emailAddress",)),
    "PhoneContactMedium": ("phone", ("phoneNumber",)),
    "FaxContactMedium": ("fax", ("faxNumber",)),
    "SocialContactMedium": ("social", ("socialNetworkId",)),
    "GeographicAddressContactMedium": (
        "postalAddress",
        ("city", "country", "postCode", "stateOrProvince", "street1", "street2"),
    ),
}
_MEDIUM_FIELDS = frozenset(name for _, names in MEDIA.values() for name in names)
# What a v4 medium keeps under `characteristic` and a v5 medium on itself (filter paths).
MEDIUM_DETAILS = _MEDIUM_FIELDS | {"contactType"}
CHARACTERISTIC_TYPES = frozenset(
    f"{kind}Characteristic"
    for kind in (
        "String",
        "Integer",
        "Number",
        "Float",
        "Boolean",
        "Object",
        "StringArray",
        "IntegerArray",
        "NumberArray",
        "BooleanArray",
        "ObjectArray",
    )
)


def each(document: Document, name: str, convert: Any) -> None:
    """Convert every object of the array `name` (anything else is left to the schema check)."""
    items = document.get(name)
    if isinstance(items, list):
        document[name] = [convert(i) if isinstance(i, dict) else i for i in items]


def drop_unnamed(document: Document, name: str) -> None:
    items = document.get(name)
    if isinstance(items, list):
        document[name] = [i for i in items if not isinstance(i, dict) or i.get("id")]


def typed(item: Document, kind: str) -> Document:
    return item if item.get("@type") else {**item, "@type": kind}


def related_to_v5(party: Document, envelope: str = RELATED) -> Document:
    """A stored related party in v5's envelope, typed `envelope`. A flat `@type` naming a kind
    of reference (`PartyRoleRef`) is the reference's; any other but v4's default, the
    envelope's."""
    if "partyOrPartyRole" in party:
        return party  # stored by v5 as it is (an extension v4 never wrote)
    kind = party.get("@type")
    reference = {k: v for k, v in party.items() if k not in ("role", "@type")}
    reference["@type"] = kind if kind in REFERENCE_KINDS else PARTY_REF
    shown: Document = {"@type": envelope, "partyOrPartyRole": reference}
    if "role" in party:
        shown["role"] = party["role"]
    if kind not in (None, V4_RELATED, *REFERENCE_KINDS):
        shown["@type"] = kind
    return shown


def related_to_v4(party: Document, envelope: str = RELATED) -> Document:
    """A v5 related party flat, as v4 stores it; an envelope `@type` other than the edition's
    own (`envelope`) is kept as the flat `@type`, else the reference's kind but PartyRef."""
    reference = party.get("partyOrPartyRole")
    if not isinstance(reference, dict):
        return party
    flat = {k: v for k, v in reference.items() if k != "@type" or v != PARTY_REF}
    if "role" in party:
        flat["role"] = party["role"]
    if party.get("@type") not in (None, envelope):
        flat["@type"] = party["@type"]
    return flat


def characteristic_to_v5(characteristic: Document) -> Document:
    if characteristic.get("@type") in CHARACTERISTIC_TYPES:
        return characteristic
    kind = value_kind(characteristic.get("value"))
    return {**characteristic, "@type": f"{kind}Characteristic"}


def characteristic_to_v4(characteristic: Document) -> Document:
    if characteristic.get("@type") not in CHARACTERISTIC_TYPES:
        return characteristic
    return {k: v for k, v in characteristic.items() if k != "@type"}


def value_kind(value: Any) -> str:
    if isinstance(value, list):
        kinds = {value_kind(v) for v in value}
        if kinds <= {"Integer", "Number"} and len(kinds) == 2:
            return "NumberArray"
        single = kinds.pop() if len(kinds) == 1 else "Object"
        return f"{single}Array" if not single.endswith("Array") else "ObjectArray"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, dict):
        return "Object"
    return "String"


def medium_to_v5(medium: Document) -> Document:
    shown = {k: v for k, v in medium.items() if k != "characteristic"}
    facts = medium.get("characteristic")
    facts = facts if isinstance(facts, dict) else {}
    if medium.get("@type") not in MEDIA:
        shown["@type"] = _medium_type(medium.get("mediumType"), facts)
    if MEDIA.get(shown["@type"], ("",))[0] == medium.get("mediumType"):
        del shown["mediumType"]  # v4's name for what v5's @type says
    for name, value in facts.items():
        if name == "contactType":
            shown.setdefault("contactType", value)
        elif name not in ("@type", "@baseType", "@schemaLocation"):
            shown.setdefault(name, value)
    return shown


def _medium_type(medium_type: Any, facts: Document) -> str:
    by_name = {kind: v5 for v5, (kind, _) in MEDIA.items()}
    named = by_name.get(str(medium_type or "").lower())
    if named:
        return named
    for v5, (_, names) in MEDIA.items():
        if any(n in facts for n in names):
            return v5
    return "ContactMedium"


def medium_to_v4(medium: Document) -> Document:
    kind = medium.get("@type")
    if kind not in MEDIA and not _MEDIUM_FIELDS & set(medium):
        return medium
    stored = {
        k: v for k, v in medium.items() if k not in _MEDIUM_FIELDS and k not in ("contactType",)
    }
    facts = {k: medium[k] for k in _MEDIUM_FIELDS if k in medium}
    if "contactType" in medium:
        facts["contactType"] = medium["contactType"]
    if facts:
        stored["characteristic"] = facts
    if kind in MEDIA:
        stored.setdefault("mediumType", MEDIA[kind][0])
    return stored
