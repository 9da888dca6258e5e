"""TMF666 Account Management, v4 and v5: the accounts customers are billed on and partners are
settled through, the party and financial accounts above them, and the billing reference data
(bill formats, presentation media, billing cycle specifications).

Accounts follow their lifecycle, keep a balance only the server writes, and form a hierarchy
without loops (rules.py); settlement accounts hold their partner's revenue shares
(revenue_shares.py, an extension of this server); a channel sees its customers' accounts and a
partner its own settlement accounts (owners.py, `party`). v5 is the same store seen through its
mapping (v5.py).
"""

import dataclasses

from tmf_apis.registry import ALL, ANY, CREATE, READ, Api, Resource
from tmf_apis.rules import Rules
from tmf_apis.scope import RELATED_PARTY
from tmf_apis.tmf666.hierarchy import NAMED_BY
from tmf_apis.tmf666.revenue_shares import SettlementAccountRules
from tmf_apis.tmf666.rules import BALANCE, LAST_MODIFIED, AccountRules
from tmf_apis.tmf666.v5 import LAST_UPDATE, AccountV5

# Payments and bills keep the balance; every write stamps the time (v5 names it lastUpdate).
_ACCOUNT_OWNED = ("id", "href", BALANCE, LAST_MODIFIED, LAST_UPDATE)
# CRM looks a customer's accounts up by party, billing by state and name, the hierarchy by the
# accounts a relationship names (and a delete, by who names the account).
_ACCOUNT_INDEXES = ("name", "state", "relatedParty.id", NAMED_BY)


def _account(
    schema: str, path: str, collection: str, *indexes: str, rules: Rules | None = None
) -> Resource:
    return Resource(
        schema=schema,
        path=path,
        collection=collection,
        server_owned=_ACCOUNT_OWNED,
        indexes=(*_ACCOUNT_INDEXES, *indexes),
        rules=rules or AccountRules(),
        party=RELATED_PARTY,
    )


# A bill run of one cycle finds the accounts that follow it (TMF678 payers.py).
CYCLE = "billStructure.cycleSpecification.id"
BILLING_ACCOUNT = _account(
    "BillingAccount", "billingAccount", "billing_account", "financialAccount.id", CYCLE
)
# A settlement account also holds its partner's revenue shares (revenue_shares.py).
SETTLEMENT_ACCOUNT = _account(
    "SettlementAccount",
    "settlementAccount",
    "settlement_account",
    "financialAccount.id",
    CYCLE,
    rules=SettlementAccountRules(),
)
PARTY_ACCOUNT = _account("PartyAccount", "partyAccount", "party_account", "financialAccount.id")
FINANCIAL_ACCOUNT = _account("FinancialAccount", "financialAccount", "financial_account")
# Reference data the accounts' bill structures name; they belong to no party.
BILLING_CYCLE_SPECIFICATION = Resource(
    schema="BillingCycleSpecification",
    path="billingCycleSpecification",
    collection="billing_cycle_specification",
    indexes=("name",),
)
BILL_FORMAT = Resource(
    schema="BillFormat", path="billFormat", collection="bill_format", indexes=("name",)
)
BILL_PRESENTATION_MEDIA = Resource(
    schema="BillPresentationMedia",
    path="billPresentationMedia",
    collection="bill_presentation_media",
    indexes=("name",),
)
_REFERENCE_DATA = ("billingCycleSpecification", "billFormat", "billPresentationMedia")

API = Api(
    tmf="TMF666",
    name="accountManagement",
    title="Account Management",
    version="v4",
    spec="TMF666-AccountManagement-v4.yaml",
    official=("TMF666-Account-v4.0.0.swagger.json",),
    # TM Forum ships no conformance kit for TMF666.
    ctk=None,
    resources=(
        PARTY_ACCOUNT,
        BILLING_ACCOUNT,
        SETTLEMENT_ACCOUNT,
        FINANCIAL_ACCOUNT,
        BILLING_CYCLE_SPECIFICATION,
        BILL_FORMAT,
        BILL_PRESENTATION_MEDIA,
    ),
    grants={
        # Billing opens, changes and closes accounts; the admin may do everything anyway.
        "billing": {ANY: ALL},
        # A channel reads its customers' accounts and opens billing accounts for them (scoped:
        # handlers/access.py, owners.py), and reads the reference data a bill structure names.
        "channel": {
            "billingAccount": frozenset({READ, CREATE}),
            "partyAccount": frozenset({READ}),
            "financialAccount": frozenset({READ}),
            **{path: frozenset({READ}) for path in _REFERENCE_DATA},
        },
        # A partner reads its own settlement accounts (relatedParty role partner), its revenue
        # shares included, and changes none of it.
        "partner": {"settlementAccount": frozenset({READ})},
    },
)

# v5 (5.0.0): the same accounts, in v5's shape.
API_V5 = dataclasses.replace(
    API,
    version="v5",
    spec="TMF666-AccountManagement-v5.yaml",
    official=("TMF666-Account_Management-v5.0.0.oas.yaml",),
    mapping=AccountV5(),
)
EDITIONS = (API, API_V5)
