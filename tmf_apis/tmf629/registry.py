"""TMF629 Customer Management v4: the Customer resource, which needs no rules beyond TMF630."""

from tmf_apis.registry import ANY, CREATE, READ, UPDATE, Api, Resource
from tmf_apis.scope import RELATED_PARTY

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
    resources=(CUSTOMER,),
    grants={
        "channel": {"customer": frozenset({READ, CREATE, UPDATE})},
        "billing": {ANY: frozenset({READ})},
    },
)
