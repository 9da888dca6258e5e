"""Small builders of valid request bodies, one per TMF resource, and the list of all resources."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tmf_apis import APIS
from tmf_apis.registry import Api, Resource


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:12]}"


def customer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": unique("Customer"),
        "engagedParty": {"id": "org-500", "@referredType": "Organization"},
        "status": "Approved",
    }
    body.update(overrides)
    return body


# The builder for each resource schema; every resource of every API must have one.
BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {"Customer": customer}


def every_resource() -> list[Any]:
    """pytest params (api, resource) over every resource that has POST, for shared behaviour."""
    return [
        pytest.param(api, resource, id=f"{api.tmf}-{api.version}-{resource.schema}")
        for api in APIS
        for resource in api.resources
    ]


def url(api: Api, resource: Resource, resource_id: str | None = None) -> str:
    path = f"{api.base_path}/{resource.path}"
    return f"{path}/{resource_id}" if resource_id else path
