"""TMF678 Customer Bill Management, v4 and v5: bills, the rates they total, bills on demand,
bill runs (v4) and bill cycles (v5).

Bills and rates have no POST: completed orders make rates (charging.py, TMF678's reaction to
TMF622's completed items) and bill runs make bills (billing.py). `billRun` and the bill document
(`GET /customerBill/{id}/document`) are our extensions, declared in our v4 spec. v5 is v4's store
seen through its mapping (v5.py), plus the bill cycles the bill runs record (cycles.py).
"""

import dataclasses

from tmf_apis.domain import ORDER_ITEM_COMPLETED
from tmf_apis.registry import ANY, CREATE, READ, UPDATE, Api, Resource
from tmf_apis.scope import RELATED_PARTY
from tmf_apis.tmf678 import document
from tmf_apis.tmf678.bill_runs import BillRunRules, start_bill_runner
from tmf_apis.tmf678.bills import BillRules
from tmf_apis.tmf678.charging import PARTY, on_item_completed
from tmf_apis.tmf678.on_demand import OnDemandRules
from tmf_apis.tmf678.v5 import CustomerBillV5

# The v4 file declares no event schemas: bills and requests still notify their hub listeners.
EVENTS = ("Create", "StateChange")

CUSTOMER_BILL = Resource(
    schema="CustomerBill",
    path="customerBill",
    collection="customer_bill",
    indexes=(
        "state",
        "billDate",
        "billNo",
        "category",
        "billingAccount.id",
        "relatedParty.id",
        "billingPeriod.startDateTime",
    ),
    # Billing names a bill run's cycle (cycles.py) and sums each account's charges; no client
    # moves a bill to another cycle or changes its sums.
    server_owned=("id", "href", "billCycle", "accountSubtotal"),
    rules=BillRules(),
    party=RELATED_PARTY,
    extra_events=EVENTS,
)
APPLIED_CUSTOMER_BILLING_RATE = Resource(
    schema="AppliedCustomerBillingRate",
    path="appliedCustomerBillingRate",
    collection="applied_customer_billing_rate",
    # Bill runs find unbilled rates by account, the rates marked for a bill, due recurring
    # chains; order items find a product's chains, and ending a chain finds its periods.
    indexes=(
        "isBilled",
        "date",
        "type",
        "billingAccount.id",
        "bill.id",
        "product.id",
        "_party.id",
        "_next.due",
        "_chain",
    ),
    # Bill runs before 2026-12-07 claimed rates for a bill in `_billing` (billing.py takes over
    # a claim a stopped run left without reading it by this index).
    retired_indexes=("_billing.bill",),
    # A rate belongs to the party its charge concerns: the customer, or the partner it pays.
    party=PARTY,
)
CUSTOMER_BILL_ON_DEMAND = Resource(
    schema="CustomerBillOnDemand",
    path="customerBillOnDemand",
    collection="customer_bill_on_demand",
    server_owned=("id", "href", "state", "lastUpdate", "customerBill"),
    indexes=("state", "billingAccount.id", "relatedParty.id"),
    rules=OnDemandRules(),
    party=RELATED_PARTY,
    extra_events=EVENTS,
)
BILL_RUN = Resource(
    schema="BillRun",
    path="billRun",
    collection="bill_run",
    server_owned=(
        "id",
        "href",
        "state",
        "lastUpdate",
        "completionDate",
        "billCount",
        "ratesBilled",
        "ratesRaised",
        "errorMessage",
    ),
    indexes=("state", "billingPeriod.startDateTime"),
    rules=BillRunRules(),
    extra_events=EVENTS,
)

# v5 only: bill runs (v4's billRun) record them; read-only.
BILL_CYCLE = Resource(
    schema="BillCycle",
    path="billCycle",
    collection="bill_cycle",
    indexes=("billingDate", "validFor.startDateTime"),
)

API = Api(
    tmf="TMF678",
    name="customerBillManagement",
    title="Customer Bill Management",
    version="v4",
    spec="TMF678-CustomerBill-v4.yaml",
    official=("TMF678-CustomerBill-v4.0.0.swagger.json",),
    ctk="TMF678-CustomerBill-v4.0.0",
    resources=(CUSTOMER_BILL, APPLIED_CUSTOMER_BILLING_RATE, CUSTOMER_BILL_ON_DEMAND, BILL_RUN),
    background=start_bill_runner,
    operations={"retrieveCustomerBillDocument": document.handler},
    reactions={ORDER_ITEM_COMPLETED: on_item_completed},
    grants={
        "billing": {ANY: frozenset({READ, CREATE, UPDATE})},
        # A channel reads its customers' bills: those of the accounts tagged with it (billing.py
        # copies the account's channel tags onto its bills); scoped by relatedParty.
        "channel": {"customerBill": frozenset({READ})},
        "partner": {
            "customerBill": frozenset({READ}),
            "appliedCustomerBillingRate": frozenset({READ}),
            # A cycle belongs to no party (its dates are those every bill of it shows), so a
            # partner reads them all, as it reads the dates of its own statements.
            "billCycle": frozenset({READ}),
        },
    },
)

# v5.0.0: the same bills, rates and requests in v5's shape; bill cycles instead of bill runs
# (v5 has no billRun), which are started through v4.
API_V5 = dataclasses.replace(
    API,
    version="v5",
    spec="TMF678-CustomerBill-v5.yaml",
    official=("TMF678-CustomerBill-v5.0.0.oas.yaml",),
    ctk=None,
    mapping=CustomerBillV5(),
    resources=(CUSTOMER_BILL, APPLIED_CUSTOMER_BILLING_RATE, CUSTOMER_BILL_ON_DEMAND, BILL_CYCLE),
)
EDITIONS = (API, API_V5)
