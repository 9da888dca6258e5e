"""TMF637 Product Inventory, v4 and v5: the products customers own.

Completed order items make, change and end them (inventory.py reacts to TMF622's completed
items); direct writes are the operator's (admin) or a migration's (`inventory` role), and
follow the lifecycle (rules.py). v5 is the same store seen through its mapping (v5.py).
"""

import dataclasses

from tmf_apis.domain import ORDER_ITEM_COMPLETED
from tmf_apis.registry import ALL, ANY, READ, Api, Resource
from tmf_apis.scope import RELATED_PARTY
from tmf_apis.tmf637.inventory import on_item_completed
from tmf_apis.tmf637.rules import ProductRules
from tmf_apis.tmf637.v5 import ProductV5

PRODUCT = Resource(
    schema="Product",
    path="product",
    collection="product",
    # CRM looks up what a customer owns; orders, the product they change; billing, its status.
    indexes=(
        "status",
        "relatedParty.id",
        "billingAccount.id",
        "productOffering.id",
        "productOrderItem.productOrderId",
        "startDate",
    ),
    rules=ProductRules(),
    party=RELATED_PARTY,
)

API = Api(
    tmf="TMF637",
    name="productInventory",
    title="Product Inventory",
    version="v4",
    spec="TMF637-ProductInventory-v4.yaml",
    official=("TMF637-ProductInventory-v4.0.0.swagger.json",),
    ctk="TMF637-ProductInventory-v4.0.0",
    resources=(PRODUCT,),
    reactions={ORDER_ITEM_COMPLETED: on_item_completed},
    grants={
        # Order management owns the inventory; a migration or an operator's correction writes it.
        "inventory": {ANY: ALL},
        "channel": {"product": frozenset({READ})},
        "partner": {"product": frozenset({READ})},
        "fulfilment": {"product": frozenset({READ})},
        "billing": {ANY: frozenset({READ})},
    },
)

# v5 (5.0.0): the same products, in v5's shape.
API_V5 = dataclasses.replace(
    API,
    version="v5",
    spec="TMF637-ProductInventory-v5.yaml",
    official=("TMF637-ProductInventory-v5.0.0.oas.yaml",),
    ctk=None,
    mapping=ProductV5(),
)
EDITIONS = (API, API_V5)
