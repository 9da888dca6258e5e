"""Small builders of valid request bodies, one per TMF resource, and the list of all resources."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from app import load_spec
from tmf_apis import APIS
from tmf_apis.registry import Api, Resource
from tmf_apis.schema import describe

SPECS = Path(__file__).parent.parent / "specs"


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:12]}"


def customer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("Customer"),
        "engagedParty": {"id": "org-500", "@referredType": "Organization"},
        "status": "Approved",
    }
    return {**body, **overrides}


def catalog(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("Consumer catalog"), "catalogType": "ProductCatalog", **overrides}


def category(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("Mobile"), "description": "Mobile plans and add-ons", **overrides}


# TMF620 v5's create forms of specifications, prices and offerings require these two; the
# server sets `lastUpdate` itself and v4 takes both.
_V5_REQUIRED = {"lastUpdate": "2030-01-01T00:00:00.000Z", "lifecycleStatus": "In study"}


def product_specification(**overrides: Any) -> dict[str, Any]:
    body = {
        **_V5_REQUIRED,
        "name": unique("5G SIM"),
        "brand": "Acme Mobile",
        "productNumber": unique("SPEC").replace(" ", "-"),
        "productSpecCharacteristic": [
            {"name": "dataAllowanceGB", "valueType": "number", "configurable": False}
        ],
    }
    return {**body, **overrides}


def product_offering_price(**overrides: Any) -> dict[str, Any]:
    body = {
        **_V5_REQUIRED,
        "name": unique("Monthly fee"),
        "priceType": "recurring",
        "recurringChargePeriodType": "month",
        "recurringChargePeriodLength": 1,
        "price": {"unit": "EUR", "value": 19.99},
    }
    return {**body, **overrides}


def product_offering(**overrides: Any) -> dict[str, Any]:
    body = {
        **_V5_REQUIRED,
        "name": unique("Unlimited 5G"),
        "isBundle": False,
        "isSellable": True,
        "productSpecification": {"id": "spec-elsewhere", "name": "Held in another system"},
    }
    return {**body, **overrides}


def account(**overrides: Any) -> dict[str, Any]:
    """A billing, settlement, party or financial account (TMF666), of one customer."""
    body = {
        "name": unique("Home account"),
        "accountType": "individual",
        "relatedParty": [
            {"id": "org-500", "name": "Acme", "role": "customer", "@referredType": "Organization"}
        ],
    }
    return {**body, **overrides}


def bill_format(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("Detailed invoice"), "description": "Every charge listed", **overrides}


def bill_presentation_media(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("E-mail"), "description": "A PDF sent by e-mail", **overrides}


def billing_cycle_specification(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": unique("Monthly on the 1st"),
        "frequency": "monthly",
        "billingPeriod": "month",
        "paymentDueDateOffset": 14,
    }
    return {**body, **overrides}


def product(**overrides: Any) -> dict[str, Any]:
    """A product written directly (TMF637), as a migration writes one."""
    body = {"name": unique("Fibre line"), "status": "created", "isBundle": False}
    return {**body, **overrides}


# The builder for each resource schema; every resource under the shared tests must have one.
BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "Customer": customer,
    "Catalog": catalog,
    "ProductCatalog": catalog,  # v5's name for the catalog
    "Category": category,
    "ProductSpecification": product_specification,
    "ProductOfferingPrice": product_offering_price,
    "ProductOffering": product_offering,
    "Product": product,
    "BillingAccount": account,
    "SettlementAccount": account,
    "PartyAccount": account,
    "FinancialAccount": account,
    "BillFormat": bill_format,
    "BillPresentationMedia": bill_presentation_media,
    "BillingCycleSpecification": billing_cycle_specification,
}

# Attributes the shared tests set and remove freely (`status` by default) and the one they
# cannot remove (`name` by default), where a resource's differ: a product's status follows its
# lifecycle and is the attribute it requires.
FREE_ATTRIBUTE = {"Product": "description"}
MANDATORY_ATTRIBUTE = {"Product": "status"}

# For each resource, an array of references a filter can reach into, and what an item needs.
REFERENCE_ARRAYS: dict[str, tuple[str, dict[str, Any]]] = {
    # Accounts are references of the same shape in v4 and v5 (related parties are not).
    "Customer": ("account", {"name": "an account"}),
    "Catalog": ("relatedParty", {"@referredType": "Organization", "role": "owner"}),
    "Category": ("productOffering", {"name": "an offering"}),
    # Related parties differ between v4 and v5 (an envelope in v5); these references do not.
    "ProductCatalog": ("category", {"name": "a category"}),
    "ProductSpecification": ("resourceSpecification", {"name": "a resource specification"}),
    "ProductOfferingPrice": ("place", {"@referredType": "GeographicAddress"}),
    "ProductOffering": ("channel", {"name": "web shop"}),
    "Product": ("realizingService", {"@referredType": "Service"}),
}


@cache
def operation_ids(api: Api) -> frozenset[str]:
    spec = load_spec(SPECS / api.spec)
    return frozenset(
        operation["operationId"]
        for operations in spec["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict) and "operationId" in operation
    )


@cache
def attributes(api: Api, resource: Resource) -> frozenset[str]:
    """The resource's first-level attributes, as the edition's spec names them."""
    return describe(load_spec(SPECS / api.spec), resource.schema).properties


# Resources with the five operations whose PATCH a lifecycle restricts, tested on their own.
OWN_TESTS = {
    "ProductOrder": "tests/api/test_orders.py",
    # Bills are made by bill runs, never by POST; their PATCH moves the state only.
    "CustomerBill": "tests/api/test_billing.py",
}


def every_resource() -> list[Any]:
    """pytest params (api, resource) for the shared TMF630 behaviour: every resource that has
    the five operations (the catalog's import and export jobs have no PATCH and are tested alone).
    """
    return [
        pytest.param(api, resource, id=f"{api.tmf}-{api.version}-{resource.schema}")
        for api in APIS
        for resource in api.resources
        if f"patch{resource.schema}" in operation_ids(api) and resource.schema not in OWN_TESTS
    ]


def url(api: Api, resource: Resource, resource_id: str | None = None) -> str:
    path = f"{api.base_path}/{resource.path}"
    return f"{path}/{resource_id}" if resource_id else path
