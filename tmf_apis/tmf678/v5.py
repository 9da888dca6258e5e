"""TMF678 v5's bills, rates and bill requests against the stored (v4) ones, and v5's bill cycles.

v5                                        stored (v4)
----------------------------------------  ------------------------------------------------------
relatedParty [{role, @type,               relatedParty [{id, href, name, role, @referredType}]
  partyOrPartyRole: {id, href, name,        (a bill's array; a request's single object)
  @referredType, @type}}]
envelope @type RelatedPartyRefOr-         not stored
  PartyRoleRef
partyOrPartyRole.@type: PartyRoleRef      not stored: told from @referredType
  when @referredType names a role
  (Customer, ...), else PartyRef
rate appliedBillingRateType               rate type (filters, sort and fields too)
bill billDocument[].@type Attachment      AttachmentRefOrValue (what billing writes)
bill runType onCycle | offCycle           runType as billing writes it: onCycle on a bill
                                            run's bills, offCycle on a bill on demand's
bill billCycle (BillCycleRef)             billCycle, an extension billing writes on a bill
                                            run's bills (bill_runs.py)
bill accountSubtotal[].billingAccount     accountSubtotal, our extension (billing.py), kept
  typed BillingAccountRef                   as an extension in v5 too, its references untyped
@type of the resource and of each typed   not stored: set on the way out (v5's @type is a
  object v5 requires it of:                 discriminator: only the class its schema maps
  BillingAccountRef, FinancialAccountRef,   there is shown), dropped on the way in when it is
  PaymentMethodRef, PaymentRef,             that class
  BillCycleRef, CustomerBillRef (v4
  BillRef), ProductRef, TaxItem,
  AppliedBillingTaxRate, the kind of a
  characteristic (told from its value)
billCycle resource (v5 only)              bill_cycle, stored in the v5 shape

`Money`, `TimePeriod` and `AppliedPayment` carry no `@type` in v5 either. Anything else v5 sends
that v4 has no name for is kept as a v4 extension attribute, and the server's own `_` names pass
through untouched.

Lossy (what one edition reads back differently from what the other stored):
- v4 to v5: a reference without an `id` (v4 allows one in a bill's `relatedParty`, `billingAccount`,
  `financialAccount`, `paymentMethod`, `appliedPayment[].payment`, a rate's `bill` and `product`,
  a request's `billingAccount`, `customerBill`) is not shown, v5 references require one; a `runType`
  other than onCycle/offCycle is not shown; an `@type` v5 does not map at its place (a v4
  subclass name, a related party's `@type`) shows as the class v5 maps there (a characteristic's
  as the kind its value has).
- back in v4: a nested `@type` equal to v5's class for that place (`TaxItem`,
  `BillingAccountRef`, ...) is dropped (v4 reads the object the same), and so is a related
  party's; a `billDocument` stored as `Attachment` or without `@type` comes back
  `AttachmentRefOrValue`.
- v5 to v4: a party reference's `@type` other than the one its `@referredType` implies is not
  kept, nor a related party envelope's; a rate body naming its type `type` (the official list
  example does, a v4 leftover) is read as `appliedBillingRateType`.
Billing makes every bill with none of these, so a bill patched through v5 is stored unchanged
but for the patch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from tmf_apis.editions import Document, V5Mapping
from tmf_apis.v5_shapes import CHARACTERISTIC_TYPES as SHARED_KINDS
from tmf_apis.v5_shapes import value_kind as _value_kind

BILL, RATE, REQUEST, CYCLE = (
    "customerBill",
    "appliedCustomerBillingRate",
    "customerBillOnDemand",
    "billCycle",
)
RESOURCE_TYPES = {
    BILL: "CustomerBill",
    RATE: "AppliedCustomerBillingRate",
    REQUEST: "CustomerBillOnDemand",
    CYCLE: "BillCycle",
}
RELATED = "RelatedPartyRefOrPartyRoleRef"
PARTY_REF, PARTY_ROLE_REF = "PartyRef", "PartyRoleRef"
# `@referredType`s that name a party role rather than a party (an individual, an organization).
PARTY_ROLES = frozenset(
    {"Customer", "PartyRole", "BusinessPartner", "Consumer", "Producer", "Supplier"}
)
ATTACHMENT, ATTACHMENT_REF, V4_ATTACHMENT = "Attachment", "AttachmentRef", "AttachmentRefOrValue"
RUN_TYPES = ("onCycle", "offCycle")
# A reference attribute, the `@type` v5 gives it; each requires an id.
_REFERENCES: dict[str, dict[str, str]] = {
    BILL: {
        "billingAccount": "BillingAccountRef",
        "financialAccount": "FinancialAccountRef",
        "paymentMethod": "PaymentMethodRef",
        "billCycle": "BillCycleRef",
    },
    RATE: {
        "billingAccount": "BillingAccountRef",
        "bill": "CustomerBillRef",
        "product": "ProductRef",
    },
    REQUEST: {"billingAccount": "BillingAccountRef", "customerBill": "CustomerBillRef"},
    CYCLE: {
        "BillCycleSpecification": "BillCycleSpecificationRef",
        # The official example spells it so; the schema capitalises it.
        "billCycleSpecification": "BillCycleSpecificationRef",
    },
}
# An array of typed objects (no id required), the `@type` v5 gives its items.
_TYPED_ITEMS: dict[str, dict[str, str]] = {
    BILL: {"taxItem": "TaxItem"},
    RATE: {"appliedTax": "AppliedBillingTaxRate"},
}
_STORED_PATHS = {RATE: {"appliedBillingRateType": "type"}}
_PARTY_PREFIX = "relatedParty.partyOrPartyRole."


class CustomerBillV5(V5Mapping):
    def to_wire(self, resource: str, document: Document) -> Document:
        if resource not in RESOURCE_TYPES:
            return super().to_wire(resource, document)
        shown = dict(document)
        # v5's @type is a discriminator: only the class its schema maps is shown.
        shown["@type"] = RESOURCE_TYPES[resource]
        for name, kind in _REFERENCES[resource].items():
            reference = shown.get(name)
            if isinstance(reference, dict):
                if reference.get("id"):
                    shown[name] = _typed(reference, kind)
                else:
                    del shown[name]
        for name, kind in _TYPED_ITEMS.get(resource, {}).items():
            _each(shown, name, partial(_typed, kind=kind))
        if resource == BILL:
            _bill_to_v5(shown)
        elif resource == RATE:
            _rate_to_v5(shown)
        elif resource == REQUEST and isinstance(shown.get("relatedParty"), dict):
            if shown["relatedParty"].get("id") or "partyOrPartyRole" in shown["relatedParty"]:
                shown["relatedParty"] = _related_to_v5(shown["relatedParty"])
            else:
                del shown["relatedParty"]
        return shown

    def from_wire(self, resource: str, body: Document) -> Document:
        if resource not in RESOURCE_TYPES or resource == CYCLE:
            return body  # a bill cycle is stored in its v5 shape
        stored = dict(body)
        for name, kind in _REFERENCES[resource].items():
            if isinstance(stored.get(name), dict):
                stored[name] = _untyped(stored[name], kind)
        for name, kind in _TYPED_ITEMS.get(resource, {}).items():
            _each(stored, name, partial(_untyped, kind=kind))
        if resource == BILL:
            _bill_to_v4(stored)
        elif resource == RATE:
            _rate_to_v4(stored)
        elif isinstance(stored.get("relatedParty"), dict):
            stored["relatedParty"] = _related_to_v4(stored["relatedParty"])
        return stored

    def stored_path(self, resource: str, path: str) -> str:
        if resource in (BILL, REQUEST) and path.startswith(_PARTY_PREFIX):
            return "relatedParty." + path[len(_PARTY_PREFIX) :]
        return _STORED_PATHS.get(resource, {}).get(path, path)


def _bill_to_v5(bill: Document) -> None:
    _drop_unnamed(bill, "relatedParty")
    _each(bill, "relatedParty", _related_to_v5)
    _each(bill, "billDocument", _attachment_to_v5)
    _each(bill, "appliedPayment", _payment_to_v5)
    _each(bill, "accountSubtotal", partial(_account_typed, convert=_typed))
    if "runType" in bill and bill["runType"] not in RUN_TYPES:
        del bill["runType"]


def _bill_to_v4(bill: Document) -> None:
    _each(bill, "relatedParty", _related_to_v4)
    _each(bill, "billDocument", _attachment_to_v4)
    _each(bill, "appliedPayment", _payment_to_v4)
    _each(bill, "accountSubtotal", partial(_account_typed, convert=_untyped))


def _rate_to_v5(rate: Document) -> None:
    if "type" in rate and "appliedBillingRateType" not in rate:
        rate["appliedBillingRateType"] = rate.pop("type")
    _each(rate, "characteristic", _characteristic_to_v5)


def _rate_to_v4(rate: Document) -> None:
    if "appliedBillingRateType" in rate:
        rate["type"] = rate.pop("appliedBillingRateType")
    _each(rate, "characteristic", _characteristic_to_v4)


def _each(document: Document, name: str, convert: Callable[[Document], Document]) -> None:
    """Convert every object of the array `name` (anything else is left to the schema check)."""
    items = document.get(name)
    if isinstance(items, list):
        document[name] = [convert(i) if isinstance(i, dict) else i for i in items]


def _drop_unnamed(document: Document, name: str) -> None:
    items = document.get(name)
    if isinstance(items, list):
        document[name] = [
            i for i in items if not isinstance(i, dict) or i.get("id") or "partyOrPartyRole" in i
        ]


def _typed(item: Document, kind: str) -> Document:
    return item if item.get("@type") == kind else {**item, "@type": kind}


def _untyped(item: Document, kind: str) -> Document:
    return {k: v for k, v in item.items() if k != "@type" or v != kind}


def _party_type(reference: Document) -> str:
    return PARTY_ROLE_REF if reference.get("@referredType") in PARTY_ROLES else PARTY_REF


def _related_to_v5(party: Document) -> Document:
    if "partyOrPartyRole" in party:
        return _typed(party, RELATED)  # v5's envelope, stored whole by a v4 client
    reference = {k: v for k, v in party.items() if k not in ("role", "@type")}
    reference["@type"] = _party_type(reference)
    shown: Document = {"@type": RELATED, "partyOrPartyRole": reference}
    if "role" in party:
        shown["role"] = party["role"]
    return shown


def _related_to_v4(party: Document) -> Document:
    reference = party.get("partyOrPartyRole")
    if not isinstance(reference, dict):
        return party
    flat = {k: v for k, v in reference.items() if k != "@type"}
    flat.update((k, v) for k, v in party.items() if k not in ("partyOrPartyRole", "@type"))
    return flat


def _attachment_to_v5(attachment: Document) -> Document:
    if attachment.get("@type") in (ATTACHMENT, ATTACHMENT_REF):
        return attachment
    return {**attachment, "@type": ATTACHMENT}


def _attachment_to_v4(attachment: Document) -> Document:
    if attachment.get("@type") == ATTACHMENT:
        return {**attachment, "@type": V4_ATTACHMENT}
    return attachment


def _account_typed(subtotal: Document, convert: Callable[[Document, str], Document]) -> Document:
    account = subtotal.get("billingAccount")
    if not isinstance(account, dict):
        return subtotal
    return {**subtotal, "billingAccount": convert(account, "BillingAccountRef")}


def _payment_to_v5(applied: Document) -> Document:
    payment = applied.get("payment")
    if not isinstance(payment, dict):
        return applied
    if not payment.get("id"):
        return {k: v for k, v in applied.items() if k != "payment"}
    return {**applied, "payment": _typed(payment, "PaymentRef")}


def _payment_to_v4(applied: Document) -> Document:
    payment = applied.get("payment")
    if not isinstance(payment, dict):
        return applied
    return {**applied, "payment": _untyped(payment, "PaymentRef")}


def _characteristic_to_v5(characteristic: Document) -> Document:
    kind = f"{_value_kind(characteristic.get('value'))}Characteristic"
    if characteristic.get("@type") in CHARACTERISTIC_TYPES:
        return characteristic
    return {**characteristic, "@type": kind}


def _characteristic_to_v4(characteristic: Document) -> Document:
    kind = f"{_value_kind(characteristic.get('value'))}Characteristic"
    return _untyped(characteristic, kind)


# v5's characteristic kinds, and the base class itself.
CHARACTERISTIC_TYPES = SHARED_KINDS | {"Characteristic"}
