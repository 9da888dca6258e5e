"""TMF622 Product Ordering Management, v4 and v5: product orders and the tasks that cancel them;
v5 is the same store seen through its mapping (v5.py)."""

import dataclasses

from tmf_apis.registry import ANY, CREATE, READ, UPDATE, Api, Resource
from tmf_apis.scope import RELATED_PARTY
from tmf_apis.tmf622.background import start_background
from tmf_apis.tmf622.cancellation import CancelOrderRules
from tmf_apis.tmf622.rules import OrderRules
from tmf_apis.tmf622.v5 import OrderV4, OrderV5

PRODUCT_ORDER = Resource(
    schema="ProductOrder",
    path="productOrder",
    collection="product_order",
    # The server's to set: dates of the lifecycle, and cancellation through cancelProductOrder.
    server_owned=(
        "id",
        "href",
        "orderDate",
        "completionDate",
        "cancellationDate",
        "cancellationReason",
    ),
    indexes=(
        "state",
        "orderDate",
        "externalId",
        "relatedParty.id",
        "productOrderItem.productOffering.id",
        "billingAccount.id",
        # The sweeper finds the few orders whose completed items still have effects to run.
        "_completing.at",
    ),
    rules=OrderRules(),
    party=RELATED_PARTY,
)
CANCEL_PRODUCT_ORDER = Resource(
    schema="CancelProductOrder",
    path="cancelProductOrder",
    collection="cancel_product_order",
    server_owned=("id", "href", "state", "effectiveCancellationDate"),
    indexes=("state", "productOrder.id", "requestedCancellationDate"),
    rules=CancelOrderRules(),
)

API = Api(
    tmf="TMF622",
    name="productOrderingManagement",
    title="Product Ordering Management",
    version="v4",
    spec="TMF622-ProductOrdering-v4.yaml",
    official=("TMF622-ProductOrder-v4.0.0.swagger.json",),
    ctk="TMF622-ProductOrdering-v4.0.0",
    mapping=OrderV4(),
    resources=(PRODUCT_ORDER, CANCEL_PRODUCT_ORDER),
    # Cancellations requested for a later date are carried out on that date; completions a
    # stopped process left are carried out.
    background=start_background,
    grants={
        "channel": {"productOrder": frozenset({READ, CREATE, UPDATE})},
        "fulfilment": {
            "productOrder": frozenset({READ, UPDATE}),
            "cancelProductOrder": frozenset({READ}),
        },
        "billing": {ANY: frozenset({READ})},
    },
)

# v5 (5.0.0): the same orders, in v5's shape, drafts included.
API_V5 = dataclasses.replace(
    API,
    version="v5",
    spec="TMF622-ProductOrdering-v5.yaml",
    mapping=OrderV5(),
    official=("TMF622-ProductOrdering-v5.0.0.oas.yaml",),
    ctk=None,
)
EDITIONS = (API, API_V5)
