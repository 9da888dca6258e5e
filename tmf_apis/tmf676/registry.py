"""TMF676 Payment Management v4: payments and refunds, each listed, created and read (the
official file has no PATCH or DELETE), with a hub and events.

What the server keeps on them (attributes starting with `_`, never shown): their steps over the
bills and what each bill took (`_ops`), the refunds taken from a payment (`_refunds`), its unused
credit (`_credit`), work not yet carried out (`_applying`), its currency (`_currency`) and the
party it belongs to (`_party`, accounts.py).
"""

from tmf_apis.domain import BILLS_ISSUED
from tmf_apis.registry import ALL, ANY, READ, Api, Resource
from tmf_apis.tmf676 import accounts, payments, refunds, sweeper
from tmf_apis.tmf676.credit import on_bills_issued
from tmf_apis.tmf676.rules import PaymentRules, RefundRules

PAYMENT = Resource(
    schema=payments.PAYMENT_SCHEMA,
    path="payment",
    collection="payment",
    server_owned=("id", "href", "status", "statusDate", "paymentDate"),
    # An account's payments, its credit, the sweeper's work; a party's payouts.
    indexes=(
        "account.id",
        "status",
        "paymentDate",
        f"{accounts.PARTY}.id",
        payments.APPLYING,
        payments.CREDIT,
    ),
    rules=PaymentRules(),
    party=accounts.PARTY,
)
REFUND = Resource(
    schema=refunds.REFUND_SCHEMA,
    path="refund",
    collection="refund",
    server_owned=("id", "href", "status", "statusDate", "refundDate"),
    indexes=("account.id", "payment.id", "refundDate", f"{accounts.PARTY}.id", payments.APPLYING),
    rules=RefundRules(),
    party=accounts.PARTY,
)

_READ_OWN = {"payment": frozenset({READ}), "refund": frozenset({READ})}

API = Api(
    tmf="TMF676",
    name="payment",
    title="Payment Management",
    version="v4",
    spec="TMF676-Payment-v4.yaml",
    official=("TMF676-Payment-v4.0.0.swagger.json",),
    # TM Forum ships no public conformance kit for TMF676.
    ctk=None,
    resources=(PAYMENT, REFUND),
    background=sweeper.start,
    reactions={BILLS_ISSUED: on_bills_issued},
    grants={
        # Billing records payments and refunds (the spec has no patch or delete of them).
        "billing": {ANY: ALL},
        # A partner reads the payouts to its settlement accounts; a channel its customers'
        # payments (scoped by `_party`, handlers/access.py).
        "partner": _READ_OWN,
        "channel": _READ_OWN,
    },
)
EDITIONS = (API,)
