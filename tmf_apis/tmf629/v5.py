"""TMF629 v5's Customer against the stored (v4) one: what the v5 edition maps, both ways.

- `@type` on every object v5 types, defaulted on the way out when the stored one has none:
  `Customer`, `PartyRef` (engagedParty), `RelatedPartyOrPartyRole`, `AccountRef`, `AgreementRef`,
  `PaymentMethodRef`, `CreditProfile`, the kind of characteristic and of contact medium.
- `relatedParty`: v4's flat `{id, href, name, role, @referredType}` is v5's
  `{role, partyOrPartyRole: {id, href, name, @referredType, @type}}`.
- `engagedParty`: the same reference; v5's `PartyRef` has no `role`, which is kept beside it.
- `contactMedium`: v4 `{mediumType, preferred, validFor, characteristic: {emailAddress, ...}}` is
  v5's typed medium (`EmailContactMedium` with `emailAddress` on it, `PhoneContactMedium`,
  `FaxContactMedium`, `SocialContactMedium`, `GeographicAddressContactMedium`); v4's
  `characteristic.contactType` is v5's `contactType`; v4's `mediumType` is kept as it is.
- `characteristic`: v4's `{name, valueType, value}` is v5's typed characteristic, its `@type`
  (`StringCharacteristic`, `IntegerCharacteristic`, ...) told from the value.
- v5-only attributes (`role`, `description`, `partyRoleSpecification`, a medium's `id`) are
  stored as v4 extension attributes: nothing is lost either way.
  What one edition sets and the other has no name for reads back unchanged through the edition
  that set it.
- Lossy, v4 to v5 only: a related party, account, agreement or payment method reference that v4
  stored without an `id` is not shown through v5, whose references require one.
"""

from __future__ import annotations

from tmf_apis.editions import Document, V5Mapping
from tmf_apis.v5_shapes import (
    PARTY_REF,
    characteristic_to_v4,
    characteristic_to_v5,
    drop_unnamed,
    each,
    medium_to_v4,
    medium_to_v5,
    related_to_v4,
    related_to_v5,
    typed,
)

_REFERENCE_TYPES = {
    "account": "AccountRef",
    "agreement": "AgreementRef",
    "paymentMethod": "PaymentMethodRef",
    "creditProfile": "CreditProfile",
}
# Arrays of references, whose v5 schema requires an id.
_ID_REFERENCES = ("account", "agreement", "paymentMethod")


class CustomerV5(V5Mapping):
    def to_wire(self, resource: str, document: Document) -> Document:
        if resource != "customer":
            return super().to_wire(resource, document)
        shown = dict(document)
        shown.setdefault("@type", "Customer")
        if isinstance(shown.get("engagedParty"), dict):
            shown["engagedParty"] = typed(shown["engagedParty"], PARTY_REF)
        # v4 takes references without an id, which v5 cannot show: those are left out.
        for name in ("relatedParty", *_ID_REFERENCES):
            drop_unnamed(shown, name)
        each(shown, "relatedParty", related_to_v5)
        each(shown, "contactMedium", medium_to_v5)
        each(shown, "characteristic", characteristic_to_v5)
        for name, kind in _REFERENCE_TYPES.items():
            each(shown, name, lambda item, kind=kind: typed(item, kind))
        return shown

    def from_wire(self, resource: str, body: Document) -> Document:
        stored = dict(body)
        each(stored, "relatedParty", related_to_v4)
        each(stored, "contactMedium", medium_to_v4)
        each(stored, "characteristic", characteristic_to_v4)
        return stored
