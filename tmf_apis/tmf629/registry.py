"""TMF629 Customer Management, v4 and v5: the Customer resource, which needs no rules beyond
TMF630; v5 is v4's store seen through its mapping (v5.py)."""

import dataclasses

from tmf_apis.registry import ANY, CREATE, READ, UPDATE, Api, Resource
from tmf_apis.scope import RELATED_PARTY
from tmf_apis.tmf629.v5 import CustomerV5

CUSTOMER = Resource(
    schema="Customer",
    path="customer",
    collection="customer",
    # The CTK and CRM integrations look customers up by name, status, party and account.
    indexes=("name", "status", "engagedParty.id", "relatedParty.id", "account.id"),
    party=RELATED_PARTY,
)

API = Api(
    tmf="TMF629",
    name="customerManagement",
    title="Customer Management",
    version="v4",
    spec="TMF629-Customer-v4.yaml",
    official=("TMF629-Customer-v4.0.0.swagger.json",),
    ctk="TMF629-Customer-v4.0.0",
    resources=(CUSTOMER,),
    grants={
        "channel": {"customer": frozenset({READ, CREATE, UPDATE})},
        "billing": {ANY: frozenset({READ})},
    },
)

# v5 (5.0.1; 5.0.0 bodies are a subset): the same customers, in v5's shape.
API_V5 = dataclasses.replace(
    API,
    version="v5",
    spec="TMF629-Customer-v5.yaml",
    official=("TMF629-Customer_Management-v5.0.1.oas.yaml",),
    ctk=None,
    mapping=CustomerV5(),
    # 5.0.1 names its root /tmf-api/customer/v5; 5.0.0 and v4 customerManagement.
    aliases=("customer",),
)
EDITIONS = (API, API_V5)
