"""Derive this project's OpenAPI 3.0.3 document from an official TM Forum v4 Swagger 2.0 file.

The official file is used as a source of *facts* only: paths, operationIds, schema names,
property names, types, formats, enums, defaults, minItems, required lists and the $ref
structure. Every official ``description``, ``summary`` and ``example`` is dropped. All prose in
the output comes either from our own descriptions file (per-API wording) or from the generic
wording defined below (shared conventions of our server).

On top of the facts the output applies our conventions (see specs/README.md): a relative
``servers`` URL, ``application/json`` everywhere, ``sort`` on list operations, a 206 list
response, ``Location`` on 201 creations, three PATCH media types (merge patch, plain JSON
and JSON Patch, with our own ``JsonPatch`` schema), shared error responses including
413/415/429/501, no ``required`` list on ``*_Update`` schemas, whose properties accept ``null``
(a merge patch removes an attribute with it), and no ``required`` list on resource schemas either,
since attribute selection (``fields``) may leave out any attribute and events may carry only the
changed ones (the server always returns ``id`` and ``href``). An enum value the official file
writes with white space around it (``'aborted '``) is written without (``enum_values``).

Every API with a ``/hub`` also gets our durable delivery extension (``HUB_DELIVERY_*`` below): a
``secret`` on ``EventSubscription``, ``GET /hub/{id}/delivery``, ``POST /hub/{id}/delivery/replay``
and the ``HubDelivery`` and ``HubDeadLetter`` schemas. Its facts are written in the official files'
Swagger 2.0 form, so they take the same conversion path, and its wording is generic and ours.

Official v5 files (OpenAPI 3.0 YAML) go through derive_v5.py instead, which reuses this module's
conventions, wording and extensions; the command line below takes both kinds.

Usage::

    python specs/tools/derive.py OFFICIAL.swagger.json DESCRIPTIONS.yaml -o OUT.yaml
    python specs/tools/derive.py OFFICIAL.swagger.json DESCRIPTIONS.yaml -o OUT.yaml --check
    python specs/tools/derive.py OFFICIAL.swagger.json DESCRIPTIONS.yaml --missing
    python specs/tools/derive.py --all            # regenerate every committed spec (COMMITTED)
    python specs/tools/derive.py --all --check    # fail if one differs (run by `make lint`)

``--all`` reads the official files from ``--official-dir``, else from ``$TMF_SPECS_OFFICIAL_DIR``,
else from ``../shared/tmf-specs`` beside the repository. Without them it fails, unless
``TMF_SPECS_OFFICIAL_OPTIONAL=1``: then it says which it skipped and checks the rest.

The descriptions file is YAML with these keys (all optional except ``info.title``)::

    info: {title: ..., description: ..., version: 4.0.0, x-tmf-api: TMF629}
    tags: {tagName: description}          # resource tags, plus "hub" and "listener"
    operations: {operationId: summary}     # or {operationId: {summary: ..., description: ...}}
    properties: {propName: description}    # default for a property name in any schema
    schemas: {SchemaName: {_: schema description, propName: description}}
    _anything: ...                         # ignored; a place for YAML anchors (&x / <<: *x)

Missing descriptions are simply absent from the output. Unknown names are errors, so the
file cannot drift from the official one unnoticed; the names of the hub delivery extension count
as unknown there, since this script words them itself. Properties that are a plain ``$ref`` cannot
carry a description (OpenAPI 3.0 ignores siblings of ``$ref``), so describing one is an error.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# The lifecycle values live with the rules that enforce them.
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tmf_apis import APIS  # noqa: E402
from tmf_apis.tmf620.rules import STATUSES as LIFECYCLE_STATUSES  # noqa: E402

OPENAPI_VERSION = "3.0.3"
JSON = "application/json"
HTML = "text/html"
PATCH_MEDIA_TYPES = (
    ("application/merge-patch+json", "update"),
    ("application/json", "update"),
    ("application/json-patch+json", "jsonpatch"),
)

# Schema keywords carried over from the official file, in output order.
SCHEMA_KEYS = ("$ref", "type", "format", "description", "enum", "default", "minItems", "items")
SCHEMA_KEYS_LAST = ("required", "properties")
DROPPED_KEYS = {"description", "example"}

# Shared error responses: status -> (component name, our wording).
ERRORS: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "Invalid request: malformed JSON, schema violation or bad query value."),
    "401": ("Unauthorized", "Missing or invalid credentials."),
    "403": ("Forbidden", "The caller may not perform this operation."),
    "404": ("NotFound", "No resource at this path or with this id."),
    "405": ("MethodNotAllowed", "This method is not offered on this path."),
    "409": ("Conflict", "The request is incompatible with the resource's present state."),
    "412": ("PreconditionFailed", "If-Match names no current state of the resource."),
    "413": ("PayloadTooLarge", "The request body exceeds the size limit."),
    "415": ("UnsupportedMediaType", "This Content-Type is not accepted by the operation."),
    "422": ("UnprocessableEntity", "Well-formed, but the server's rules refuse it (see the text)."),
    "429": ("TooManyRequests", "Rate limit reached; retry later."),
    "500": ("InternalServerError", "Unexpected server failure."),
    "501": ("NotImplemented", "The requested feature is not implemented by this server."),
}
# Declared on every operation in addition to the official error codes.
EXTRA_ERRORS = ("413", "415", "422", "429", "501")

# An attribute name as `fields` and `sort` take it: names joined by dots, no operators, and no
# name starting with '-', which `sort` reads as "descending".
_SEGMENT = r"[A-Za-z0-9_@][A-Za-z0-9_@\-]*"
ATTRIBUTE = rf"{_SEGMENT}(\.{_SEGMENT})*"
MAX_OFFSET = 2_147_483_647
# MongoDB sorts on at most 32 keys; the server adds one to keep pages stable.
MAX_SORT_TERMS = 16
# A JSON Pointer to an attribute the server can store: no empty names, no '.', NUL or leading '$'.
STORABLE_POINTER = "^(/[^/.$\\u0000][^/.\\u0000]*)+$"
# The server replaces it with its configured maximum when it loads the document.
DEFAULT_MAX_PAGE_SIZE = 1000

# Rules the server enforces beyond the official facts, stated where clients can read them. A rule
# on a resource schema applies to its `_Create` and `_Update` schemas only: what the server serves
# follows them anyway, and events received from other systems need not.
_LIFECYCLE = {"lifecycleStatus": {"enum": list(LIFECYCLE_STATUSES)}}
SERVER_RULES: dict[str, dict[str, dict[str, Any]]] = {
    # Events are posted to the callback, so it must be an absolute http(s) URL.
    "EventSubscriptionInput": {
        "callback": {"format": "uri", "pattern": "^https?://[^/?#@:]+(:[0-9]+)?([/?#].*)?$"}
    },
    # The catalog lifecycle (tmf_apis/tmf620/rules.py).
    "Catalog": _LIFECYCLE,
    "Category": _LIFECYCLE,
    "ProductOffering": _LIFECYCLE,
    "ProductOfferingPrice": _LIFECYCLE,
    "ProductSpecification": _LIFECYCLE,
}
# Resources whose entities have versions (persistence/versions.py), by API name.
VERSIONED: dict[str, frozenset[str]] = {
    api.name: frozenset(r.path for r in api.resources if r.versioned) for api in APIS
}
# Attributes the server keeps itself, left out of the update schemas (a PATCH of them is refused).
SERVER_KEPT: dict[str, tuple[str, ...]] = {
    "Category": ("isRoot", "subCategory"),
    # Set by the order lifecycle and by cancelProductOrder (tmf_apis/tmf622).
    "ProductOrder": ("completionDate", "cancellationDate", "cancellationReason"),
    # An account's balance (payments and bills keep it) and the time of its last write
    # (tmf_apis/tmf666/rules.py); v5's accounts take theirs from Account, and call it lastUpdate.
    **{
        account: ("accountBalance", "lastModified")
        for account in ("BillingAccount", "SettlementAccount", "PartyAccount", "FinancialAccount")
    },
    "Account": ("accountBalance", "lastUpdate"),
}

SHARED_PARAMETERS: dict[str, dict[str, Any]] = {
    "Fields": {
        "name": "fields",
        "in": "query",
        "description": (
            "Comma-separated attributes to return (dotted names reach into sub-objects), or"
            " `none`; id and href are always included."
        ),
        "required": False,
        "schema": {"type": "string", "pattern": f"^{ATTRIBUTE}(,{ATTRIBUTE})*$"},
    },
    "Offset": {
        "name": "offset",
        "in": "query",
        "description": "Zero-based index of the first item to return.",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
    },
    "Limit": {
        "name": "limit",
        "in": "query",
        "description": (
            "Maximum number of items to return; 0 returns only the counts. The server's"
            " configured page size caps it."
        ),
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": DEFAULT_MAX_PAGE_SIZE},
    },
    "Version": {
        "name": "version",
        "in": "query",
        "description": (
            "The version of the entity to act on; without it, GET returns the latest version"
            " and DELETE removes every version."
        ),
        "required": False,
        "schema": {"type": "string", "minLength": 1},
    },
    "Sort": {
        "name": "sort",
        "in": "query",
        "description": "Comma-separated attribute names to sort on; a `-` prefix sorts descending.",
        "required": False,
        "schema": {
            "type": "string",
            "pattern": f"^[-+]?{ATTRIBUTE}(,[-+]?{ATTRIBUTE}){{0,{MAX_SORT_TERMS - 1}}}$",
        },
    },
}
# TMF630 conditional requests, an extension of this server on every resource of every API: an
# `ETag` on what retrieve, create and patch return, `If-None-Match` on retrieve (304 when it
# names the current state) and `If-Match` on patch and delete (412 when it does not).
SHARED_PARAMETERS["IfMatch"] = {
    "name": "If-Match",
    "in": "header",
    "description": (
        "Entity-tags (ETag values) or `*`: the change is made only if one of them names the"
        " resource's current state, else 412 and nothing changes."
    ),
    "required": False,
    "schema": {"type": "string"},
}
SHARED_PARAMETERS["IfNoneMatch"] = {
    "name": "If-None-Match",
    "in": "header",
    "description": (
        "Entity-tags (ETag values) or `*`: 304 without a body if one of them names the"
        " resource's current state."
    ),
    "required": False,
    "schema": {"type": "string"},
}
HEADER_ETAG = {
    "description": "Weak entity-tag of the resource's current state, for If-Match/If-None-Match.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = {
    "description": "If-None-Match names the current state: no body.",
    "headers": {"ETag": HEADER_ETAG},
}
# By operation kind: the header parameter taken, the success code that carries an ETag.
CONDITIONAL = {
    "retrieve": ("IfNoneMatch", "200"),
    "create": (None, "201"),
    "patch": ("IfMatch", "200"),
    "delete": ("IfMatch", None),
}


def with_conditions(kind: str, operation: dict[str, Any]) -> set[str]:
    """Add the conditional request parameters and responses to a converted resource operation;
    returns the error codes added."""
    if kind not in CONDITIONAL:
        return set()
    parameter, tagged = CONDITIONAL[kind]
    responses = operation["responses"]
    if tagged is not None and tagged in responses:
        responses[tagged].setdefault("headers", {})["ETag"] = HEADER_ETAG
    if parameter is None:
        return set()
    operation.setdefault("parameters", []).append({"$ref": f"#/components/parameters/{parameter}"})
    added = {"304": copy.deepcopy(NOT_MODIFIED)} if kind == "retrieve" else {}
    if kind != "retrieve":
        added["412"] = {"$ref": f"#/components/responses/{ERRORS['412'][0]}"}
    operation["responses"] = dict(
        sorted({**responses, **added}.items(), key=lambda item: int(item[0]))
    )
    return {code for code in added if code in ERRORS}


# Safe retries, an extension of this server on every POST of every API (handlers/idempotency.py):
# the first answer to a request with an `Idempotency-Key` is kept and replayed to its retries;
# 409 while it runs, 422 for the key reused with another request, 400 for a malformed key.
SHARED_PARAMETERS["IdempotencyKey"] = {
    "name": "Idempotency-Key",
    "in": "header",
    "description": (
        "A key the client chooses for this request: a retry with the same key, path and body"
        " gets the first answer again instead of acting twice."
    ),
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        # Printable ASCII, first and last not a space (HTTP strips those).
        "pattern": "^[!-~]([ -~]{0,253}[!-~])?$",
    },
}
IDEMPOTENCY_ERRORS = ("400", "409", "422")


def with_idempotency(method: str, operation: dict[str, Any]) -> set[str]:
    """Add the `Idempotency-Key` parameter and its errors to a converted POST operation;
    returns the error codes added."""
    if method != "post":
        return set()
    parameter = {"$ref": "#/components/parameters/IdempotencyKey"}
    if "parameters" in operation:
        operation["parameters"].append(parameter)
    else:
        # Where a converted operation has its parameters: before its body and responses.
        at = next(i for i, name in enumerate(operation) if name in ("requestBody", "responses"))
        items = list(operation.items())
        operation.clear()
        operation.update(items[:at] + [("parameters", [parameter])] + items[at:])
    responses = operation["responses"]
    added = {
        code: {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
        for code in IDEMPOTENCY_ERRORS
        if code not in responses
    }
    operation["responses"] = dict(
        sorted({**responses, **added}.items(), key=lambda item: int(item[0]))
    )
    return set(IDEMPOTENCY_ERRORS)


QUERY_PARAM_COMPONENT = {"fields": "Fields", "offset": "Offset", "limit": "Limit", "sort": "Sort"}

HEADER_TOTAL = {
    "description": "Number of items matching the query, over all pages.",
    "schema": {"type": "integer"},
}
HEADER_RESULT = {
    "description": "How many items this response carries.",
    "schema": {"type": "integer"},
}

_POINTER = {"type": "string", "pattern": STORABLE_POINTER}


def _patch_operation(ops: list[str], text: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": text,
        "required": ["op", "path", *extra],
        "properties": {
            "op": {"type": "string", "enum": ops},
            "path": {**_POINTER, "description": "JSON Pointer to the target attribute."},
            **extra,
        },
    }


# RFC 6902 as a schema: which members each kind of operation needs.
JSON_PATCH_SCHEMAS: dict[str, dict[str, Any]] = {
    "JsonPatch": {
        "type": "array",
        "description": "JSON Patch document (RFC 6902): applied in order, all or nothing.",
        "items": {"$ref": "#/components/schemas/JsonPatchOperation"},
    },
    "JsonPatchOperation": {
        "description": "One JSON Patch operation.",
        "oneOf": [
            {"$ref": "#/components/schemas/JsonPatchValueOperation"},
            {"$ref": "#/components/schemas/JsonPatchRemoveOperation"},
            {"$ref": "#/components/schemas/JsonPatchMoveOperation"},
        ],
    },
    "JsonPatchValueOperation": _patch_operation(
        ["add", "replace", "test"],
        "Adds, replaces or tests the value at `path`.",
        {"value": {"description": "The value (any JSON value)."}},
    ),
    "JsonPatchRemoveOperation": _patch_operation(["remove"], "Removes the value at `path`.", {}),
    "JsonPatchMoveOperation": _patch_operation(
        ["move", "copy"],
        "Moves or copies the value at `from` to `path`.",
        {"from": {**_POINTER, "description": "JSON Pointer to the source attribute."}},
    ),
}


# Durable delivery to hub listeners, declared by every API that has a hub. The facts are in the
# official files' Swagger 2.0 form; the paths go after the official hub paths, the schemas after
# EventSubscriptionInput, and HUB_SECRET joins EventSubscription (what POST /hub returns).
_SUBSCRIPTION_ID = {"name": "id", "in": "path", "required": True, "type": "string"}
_HUB_ERRORS: dict[str, Any] = {code: {} for code in ("400", "401", "403", "404", "405", "500")}
_DELIVERY_STATE = {"schema": {"$ref": "#/definitions/HubDelivery"}}
_TIME = {"type": "string", "format": "date-time"}
HUB_DELIVERY_PATHS: dict[str, dict[str, Any]] = {
    "/hub/{id}/delivery": {
        "get": {
            "operationId": "retrieveHubDelivery",
            "parameters": [_SUBSCRIPTION_ID],
            "responses": {"200": _DELIVERY_STATE, **_HUB_ERRORS},
        }
    },
    "/hub/{id}/delivery/replay": {
        "post": {
            "operationId": "replayHubDeadLetters",
            "parameters": [_SUBSCRIPTION_ID],
            "responses": {"200": _DELIVERY_STATE, **_HUB_ERRORS, "409": {}},
        }
    },
}
# Reading subscriptions back: the client's own, one or all (a v5 file may declare `hubGet`
# itself; v4 files declare neither). Added to the official hub paths where the method is absent.
_PAGE_PARAMETERS = [
    {"name": "offset", "in": "query", "type": "integer"},
    {"name": "limit", "in": "query", "type": "integer"},
]
_SUBSCRIPTION = {"$ref": "#/definitions/EventSubscription"}
HUB_READ_PATHS: dict[str, dict[str, Any]] = {
    "/hub": {
        "get": {
            "operationId": "listHub",
            "parameters": _PAGE_PARAMETERS,
            "responses": {
                "200": {"schema": {"type": "array", "items": _SUBSCRIPTION}},
                **_HUB_ERRORS,
            },
        }
    },
    "/hub/{id}": {
        "get": {
            "operationId": "retrieveHub",
            "parameters": [_SUBSCRIPTION_ID],
            "responses": {
                "200": {"schema": _SUBSCRIPTION},
                **_HUB_ERRORS,
            },
        }
    },
}
HUB_DELIVERY_DEFINITIONS: dict[str, dict[str, Any]] = {
    "HubDelivery": {
        "type": "object",
        "required": ["id", "callback", "delivered", "pending", "failedAttempts", "deadLettered"],
        "properties": {
            "id": {"type": "string"},
            "callback": {"type": "string"},
            "query": {"type": "string"},
            "delivered": {"type": "integer"},
            "pending": {"type": "integer"},
            "failedAttempts": {"type": "integer"},
            "deadLettered": {"type": "integer"},
            "lastError": {"type": "string"},
            "lastErrorTime": _TIME,
            "lastDeliveryTime": _TIME,
            "nextAttemptTime": _TIME,
            "deadLetters": {"type": "array", "items": {"$ref": "#/definitions/HubDeadLetter"}},
        },
    },
    "HubDeadLetter": {
        "type": "object",
        "required": ["eventId", "eventType"],
        "properties": {
            "eventId": {"type": "string"},
            "eventType": {"type": "string"},
            "eventTime": _TIME,
            "attempts": {"type": "integer"},
            "error": {"type": "string"},
            "deadLetteredTime": _TIME,
        },
    },
}
HUB_SECRET: dict[str, Any] = {"secret": {"type": "string"}}
# In the descriptions-file format.
HUB_DELIVERY_WORDING: dict[str, Any] = {
    "operations": {
        "retrieveHubDelivery": "Report how a subscription's events are being delivered.",
        "replayHubDeadLetters": "Queue a subscription's dead letters for delivery again.",
        "listHub": {
            "summary": "List the event subscriptions this client registered.",
            "description": "An administrator sees every subscription of the API. Secrets are"
            " never shown again.",
        },
        "retrieveHub": "Read an event subscription, its secret left out.",
    },
    "schemas": {
        "EventSubscription": {
            "secret": (
                "Key for verifying deliveries: each event POSTed to the callback carries an"
                " X-TMF-Signature header, sha256= followed by the hex HMAC-SHA256 of the request"
                " body under this key. Returned only when the subscription is created."
            ),
        },
        "HubDelivery": {
            "_": "How the events selected for a subscription are being delivered.",
            "id": "The subscription id.",
            "callback": "URL the events are POSTed to.",
            "query": "Filter on the events to deliver; empty means all.",
            "delivered": "Events delivered with a 2xx answer.",
            "pending": "Events selected by the query and not yet delivered or dead-lettered.",
            "failedAttempts": "Delivery attempts that failed, over the subscription's life.",
            "deadLettered": "Events given up on and not replayed.",
            "lastError": "The most recent delivery failure.",
            "lastErrorTime": "When the most recent delivery failure happened.",
            "lastDeliveryTime": "When an event was last delivered.",
            "nextAttemptTime": "When the next retry of a failing delivery is due.",
            "deadLetters": "The most recent dead letters, at most 100.",
        },
        "HubDeadLetter": {
            "_": "An event whose delivery the server gave up on.",
            "eventId": "Id of the event.",
            "eventType": "Type of the event, as in its eventType attribute.",
            "eventTime": "When the event happened.",
            "attempts": "Delivery attempts made.",
            "error": "The last failure.",
            "deadLetteredTime": "When the server gave up on the event.",
        },
    },
}


# Billing extension of TMF678 (customerBillManagement): bill runs, which produce the bills the
# official API only reads (by billing cycle too), each bill's rendered document, and a bill's
# subtotal per account (a site's charges on its company's bill). Facts in Swagger 2.0 form; the
# bill run paths go after the official customerBillOnDemand paths, the document's after
# /customerBill/{id}, the schemas after CustomerBillOnDemand_Create, accountSubtotal at the end
# of CustomerBill's properties.
BILLING_API = "customerBillManagement"
_ERRORS_READ: dict[str, Any] = {c: {} for c in ("400", "401", "403", "404", "405", "409", "500")}
_ERRORS_CREATE: dict[str, Any] = {c: {} for c in ("400", "401", "403", "405", "409", "500")}
_LIST_PARAMS = [
    {"name": n, "in": "query", "required": False, "type": t}
    for n, t in (("fields", "string"), ("offset", "integer"), ("limit", "integer"))
]
_ID = {"name": "id", "in": "path", "required": True, "type": "string"}
BILL_RUN_PATHS: dict[str, dict[str, Any]] = {
    "/billRun": {
        "get": {
            "operationId": "listBillRun",
            "parameters": _LIST_PARAMS,
            "responses": {
                "200": {"schema": {"type": "array", "items": {"$ref": "#/definitions/BillRun"}}},
                **_ERRORS_READ,
            },
        },
        "post": {
            "operationId": "createBillRun",
            "parameters": [
                {
                    "name": "billRun",
                    "in": "body",
                    "required": True,
                    "schema": {"$ref": "#/definitions/BillRun_Create"},
                }
            ],
            "responses": {"201": {"schema": {"$ref": "#/definitions/BillRun"}}, **_ERRORS_CREATE},
        },
    },
    "/billRun/{id}": {
        "get": {
            "operationId": "retrieveBillRun",
            "parameters": [_ID, {"name": "fields", "in": "query", "type": "string"}],
            "responses": {"200": {"schema": {"$ref": "#/definitions/BillRun"}}, **_ERRORS_READ},
        }
    },
}
BILL_DOCUMENT_PATHS: dict[str, dict[str, Any]] = {
    "/customerBill/{id}/document": {
        "get": {
            "operationId": "retrieveCustomerBillDocument",
            "parameters": [_ID],
            "responses": {"200": {"schema": {"type": "string"}}, **_ERRORS_READ},
        }
    }
}
_RUN_ATTRIBUTES: dict[str, Any] = {
    "billingPeriod": {"$ref": "#/definitions/TimePeriod"},
    "billDate": _TIME,
    "billingAccount": {"$ref": "#/definitions/BillingAccountRef"},
    "billingCycleSpecification": {"$ref": "#/definitions/BillingCycleSpecificationRef"},
    "@baseType": {"type": "string"},
    "@schemaLocation": {"type": "string", "format": "uri"},
    "@type": {"type": "string"},
}
BILL_RUN_DEFINITIONS: dict[str, dict[str, Any]] = {
    "BillRun": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "href": {"type": "string"},
            "state": {
                "type": "string",
                "enum": ["acknowledged", "inProgress", "done", "terminatedWithError"],
            },
            "billCount": {"type": "integer"},
            "ratesBilled": {"type": "integer"},
            "ratesRaised": {"type": "integer"},
            "completionDate": _TIME,
            "lastUpdate": _TIME,
            "errorMessage": {"type": "string"},
            **_RUN_ATTRIBUTES,
        },
    },
    "BillRun_Create": {
        "type": "object",
        "properties": copy.deepcopy(_RUN_ATTRIBUTES),
    },
    "BillingCycleSpecificationRef": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "href": {"type": "string"},
            "name": {"type": "string"},
            "@referredType": {"type": "string"},
        },
    },
    "AccountSubtotal": {
        "type": "object",
        "properties": {
            "billingAccount": {"$ref": "#/definitions/BillingAccountRef"},
            "taxExcludedAmount": {"$ref": "#/definitions/Money"},
            "taxIncludedAmount": {"$ref": "#/definitions/Money"},
        },
    },
}
BILL_PROPERTIES: dict[str, Any] = {
    "accountSubtotal": {"type": "array", "items": {"$ref": "#/definitions/AccountSubtotal"}},
}
_RUN_WORDING = {
    "billDate": "The date the bills carry; the time the run was requested when not given.",
    "@baseType": "Parent class name, when @type is a sub-class.",
    "@schemaLocation": "Link to a JSON Schema with the sub-class's extra attributes.",
    "@type": "Class name of this object; names the sub-class when one is used.",
}
BILLING_WORDING: dict[str, Any] = {
    "operations": {
        "listBillRun": "List bill runs (an extension of this server).",
        "createBillRun": {
            "summary": "Start a bill run for a billing period (an extension of this server).",
            "description": "Every account's unbilled rates of the period become one bill per"
            " account and currency, in the background: the run answers acknowledged and moves"
            " to inProgress, then done or terminatedWithError. Running a period again bills"
            " nothing twice. An account billed to another (accountRelationship billedTo) is"
            " billed on that one's bill. A run naming a billingCycleSpecification bills the"
            " accounts of that cycle only, over the cycle's last period when no billingPeriod"
            " is given.",
            "example": {
                "billingPeriod": {
                    "startDateTime": "2026-11-01T00:00:00Z",
                    "endDateTime": "2026-12-01T00:00:00Z",
                }
            },
        },
        "retrieveBillRun": "Retrieve a bill run, to follow it (an extension of this server).",
        "retrieveCustomerBillDocument": "The bill rendered as an HTML document, which the"
        " bill's billDocument links to (an extension of this server).",
    },
    "schemas": {
        "BillRun": {
            "_": "A bill cycle run over billingPeriod (rates dated before its end, recurring"
            " periods starting before its end), for billingAccount and the accounts billed to"
            " it alone when given, for the accounts of billingCycleSpecification alone when"
            " given, and what it produced.",
            "id": "Server-assigned id of the run.",
            "href": "Absolute URL of the run.",
            "state": "acknowledged, then inProgress while it bills, then done or"
            " terminatedWithError.",
            "billCount": "Bills produced so far.",
            "ratesBilled": "Rates the bills total.",
            "ratesRaised": "Recurring rates raised for periods that began before the period's end.",
            "completionDate": "When the run ended.",
            "lastUpdate": "When the run last changed.",
            "errorMessage": "Why the run ended terminatedWithError.",
            **_RUN_WORDING,
        },
        "BillRun_Create": {
            "_": "Body of createBillRun: the period, a billing cycle specification or both,"
            " and optionally the bill date and account. Without a billingPeriod the cycle's"
            " last whole period ending at or before the bill date is billed.",
            **_RUN_WORDING,
        },
        "BillingCycleSpecificationRef": {
            "_": "Link to a billing cycle specification of the Account Management API (TMF666).",
            "id": "Id of the billing cycle specification.",
            "href": "URL of the billing cycle specification.",
            "name": "Name of the billing cycle specification.",
            "@referredType": "Class of the specification: BillingCycleSpecification.",
        },
        "AccountSubtotal": {
            "_": "What one account's charges add up to on a bill that holds the charges of"
            " several accounts (an extension of this server).",
        },
        "CustomerBill": {
            "accountSubtotal": "The sums of each account's charges, the billed account's first,"
            " when the bill holds charges of accounts billed to it (an extension of this"
            " server).",
        },
    },
}


def with_billing(official: dict[str, Any]) -> dict[str, Any]:
    """A copy of the official TMF678 file with the billing extension (BILL_*) added."""
    paths, definitions = official["paths"], official.get("definitions", {})
    clashes = (set(BILL_RUN_PATHS) | set(BILL_DOCUMENT_PATHS)) & {p.rstrip("/") for p in paths}
    clashes |= set(BILL_RUN_DEFINITIONS) & set(definitions)
    clashes |= set(BILL_PROPERTIES) & set(definitions["CustomerBill"]["properties"])
    if clashes:
        raise DeriveError(f"the official file already defines {sorted(clashes)}")
    out = copy.deepcopy(official)
    out["paths"] = _insert_after(out["paths"], "/customerBillOnDemand/{id}", BILL_RUN_PATHS)
    out["paths"] = _insert_after(out["paths"], "/customerBill/{id}", BILL_DOCUMENT_PATHS)
    out["definitions"] = _insert_after(
        out["definitions"], "CustomerBillOnDemand_Create", BILL_RUN_DEFINITIONS
    )
    out["definitions"]["CustomerBill"]["properties"].update(copy.deepcopy(BILL_PROPERTIES))
    return out


class DeriveError(Exception):
    """The official file or the descriptions file does not fit what this script expects."""


class _Dumper(yaml.SafeDumper):
    """Block-style YAML without anchors/aliases, so repeated fragments stay explicit."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def words(name: str) -> str:
    """'productOfferingPrice' -> 'product offering price'."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def enum_values(values: list[Any]) -> list[Any]:
    """An official enum as our documents state it: a value written with white space around it
    (TMF622's and TMF637's product status `'aborted '`) is the value without, which the server
    stores, sends and takes; listing only that one, a document states what a client may send as
    what it reads."""
    out: list[Any] = []
    for value in values:
        value = value.strip() if isinstance(value, str) else value
        if value not in out:
            out.append(value)
    return out


# --------------------------------------------------------------------------- descriptions


class Descriptions:
    """Our wording, with bookkeeping so unused or unknown entries are reported."""

    TOP_KEYS = {"info", "tags", "operations", "properties", "schemas"}

    def __init__(self, data: dict[str, Any]) -> None:
        # Keys starting with "_" only hold YAML anchors for reuse elsewhere in the file.
        unknown = {k for k in data if not k.startswith("_")} - self.TOP_KEYS
        if unknown:
            raise DeriveError(f"descriptions: unknown top-level keys {sorted(unknown)}")
        self.info: dict[str, Any] = data.get("info") or {}
        self.tags: dict[str, str] = data.get("tags") or {}
        self.operations: dict[str, Any] = data.get("operations") or {}
        self.properties: dict[str, str] = data.get("properties") or {}
        self.schemas: dict[str, dict[str, str]] = data.get("schemas") or {}
        self.missing: list[str] = []

    def add(self, wording: dict[str, Any]) -> None:
        """Add wording of this script's own, in the same format (for names no file describes)."""
        self.operations = {**self.operations, **wording.get("operations", {})}
        # New dicts: a YAML alias may share one schema's entries with another.
        self.schemas = {**self.schemas}
        for name, entries in wording.get("schemas", {}).items():
            self.schemas[name] = {**self.schemas.get(name, {}), **entries}

    def operation(self, op_id: str) -> dict[str, str]:
        entry = self.operations.get(op_id)
        if entry is None:
            self.missing.append(f"operation {op_id}")
            return {}
        if isinstance(entry, str):
            return {"summary": entry}
        unknown = set(entry) - {"summary", "description", "example"}
        if unknown:
            raise DeriveError(f"descriptions: operation {op_id}: unknown keys {sorted(unknown)}")
        return {k: v for k, v in entry.items() if k != "example"}

    def example(self, op_id: str) -> dict[str, Any] | None:
        """Our example request body of an operation (Swagger UI offers it to edit and send)."""
        entry = self.operations.get(op_id)
        found = entry.get("example") if isinstance(entry, dict) else None
        if found is not None and not isinstance(found, dict):
            raise DeriveError(f"descriptions: operation {op_id}: example must be an object")
        return found

    def schema(self, name: str) -> str | None:
        text = self.schemas.get(name, {}).get("_")
        if text is None:
            self.missing.append(f"schema {name}")
        return text

    def prop(self, schema: str, prop: str, is_ref: bool) -> str | None:
        own = self.schemas.get(schema, {})
        if prop in own:
            if is_ref:
                raise DeriveError(
                    f"descriptions: {schema}.{prop} is a $ref; OpenAPI 3.0 ignores its description"
                )
            return own[prop]
        if is_ref:
            return None
        text = self.properties.get(prop)
        if text is None:
            self.missing.append(f"property {schema}.{prop}")
        return text

    def check_known(self, official: dict[str, Any]) -> None:
        """Every name we describe must exist in the official file."""
        definitions = official.get("definitions", {})
        op_ids = {
            op["operationId"]
            for item in official["paths"].values()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        }
        errors = [f"unknown operationId {o}" for o in self.operations if o not in op_ids]
        for name, entries in self.schemas.items():
            if name not in definitions:
                errors.append(f"unknown schema {name}")
                continue
            props = definitions[name].get("properties", {})
            unknown = [p for p in entries if p != "_" and p not in props]
            errors += [f"unknown property {name}.{p}" for p in unknown]
        if errors:
            raise DeriveError("descriptions: " + "; ".join(errors))


# --------------------------------------------------------------------------- schemas


def convert_schema(
    src: dict[str, Any], desc: Descriptions, owner: str | None, description: str | None
) -> dict[str, Any]:
    """Swagger 2.0 schema -> OpenAPI 3.0 schema, facts only; ``description`` is ours."""
    unknown = set(src) - set(SCHEMA_KEYS) - set(SCHEMA_KEYS_LAST) - DROPPED_KEYS
    if unknown:
        raise DeriveError(f"schema {owner}: unsupported keywords {sorted(unknown)}")
    if "$ref" in src:
        extra = set(src) - {"$ref"} - DROPPED_KEYS
        if extra:
            raise DeriveError(f"schema {owner}: $ref with sibling facts {sorted(extra)}")
        if not src["$ref"].startswith("#/definitions/"):
            raise DeriveError(f"schema {owner}: unsupported $ref {src['$ref']}")
        return ref(src["$ref"].removeprefix("#/definitions/"))
    out: dict[str, Any] = {}
    for key in SCHEMA_KEYS:
        if key == "description":
            if description:
                out["description"] = description
        elif key == "items" and "items" in src:
            out["items"] = convert_schema(src["items"], desc, owner, None)
        elif key == "enum" and "enum" in src:
            out["enum"] = enum_values(src["enum"])
        elif key in src:
            out[key] = copy.deepcopy(src[key])
    if src.get("required"):
        out["required"] = list(src["required"])
    if "properties" in src:
        props: dict[str, Any] = {}
        for name, prop in src["properties"].items():
            text = desc.prop(owner, name, "$ref" in prop) if owner else None
            props[name] = convert_schema(prop, desc, None, text)
        out["properties"] = props
    return out


def convert_definitions(official: dict[str, Any], desc: Descriptions) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name, src in official.get("definitions", {}).items():
        if not src:  # e.g. "Any": an empty schema accepts every JSON value
            schemas[name] = {}
            continue
        out = convert_schema(src, desc, name, desc.schema(name))
        if name.endswith("_Update"):
            out.pop("required", None)  # PATCH bodies are partial; the merged result is validated
            created = official["definitions"].get(name.replace("_Update", "_Create"), {})
            _accept_null(out, keep=set(created.get("required", [])))
        elif f"{name}_Create" in official["definitions"]:
            # A resource as served or as an event payload: `fields` may leave out any
            # attribute, and events may carry only the changed ones.
            out.pop("required", None)
        base = name.removesuffix("_Create").removesuffix("_Update")
        is_resource = name == base and f"{base}_Create" in official["definitions"]
        for prop, rule in ({} if is_resource else SERVER_RULES.get(base, {})).items():
            if prop in out["properties"]:
                _state(out["properties"][prop], rule)
        if name.endswith("_Update"):
            for prop in SERVER_KEPT.get(base, ()):
                out["properties"].pop(prop, None)
        schemas[name] = out
    return schemas


def _state(prop: dict[str, Any], rule: dict[str, Any]) -> None:
    """Add a server rule to a property; a nullable enum must list null too (OpenAPI 3.0.3)."""
    prop.update(copy.deepcopy(rule))
    if prop.get("nullable") and "enum" in prop:
        prop["enum"] = [*prop["enum"], None]


def _accept_null(schema: dict[str, Any], keep: set[str]) -> None:
    """Let a patch body's properties be null, which a merge patch uses to remove them; except
    those in `keep`, which a resource must always have."""
    for name, prop in schema.get("properties", {}).items():
        if name in keep:
            continue
        if "$ref" in prop:
            # OpenAPI 3.0 ignores siblings of $ref, so the null alternative goes in an anyOf.
            text = prop.pop("description", None)
            nullable = {"anyOf": [prop, {"nullable": True, "enum": [None]}]}
            schema["properties"][name] = {**({"description": text} if text else {}), **nullable}
        else:
            prop["nullable"] = True


def with_hub_delivery(official: dict[str, Any]) -> dict[str, Any]:
    """A copy of the official file with the hub delivery extension (HUB_DELIVERY_*) added."""
    paths, definitions = official["paths"], official.get("definitions", {})
    for name in ("EventSubscription", "EventSubscriptionInput"):
        if name not in definitions:
            raise DeriveError(f"the official file has a hub but no {name} schema")
    clashes = (set(HUB_DELIVERY_PATHS) & {p.rstrip("/") for p in paths}) | (
        set(HUB_DELIVERY_DEFINITIONS) & set(definitions)
    )
    clashes |= set(HUB_SECRET) & set(definitions["EventSubscription"].get("properties", {}))
    if clashes:
        raise DeriveError(f"the official file already defines {sorted(clashes)}")
    out = copy.deepcopy(official)
    last_hub = [p for p in paths if p.strip("/").split("/")[0] == "hub"][-1]
    out["paths"] = _insert_after(out["paths"], last_hub, HUB_DELIVERY_PATHS)
    out["definitions"] = _insert_after(
        out["definitions"], "EventSubscriptionInput", HUB_DELIVERY_DEFINITIONS
    )
    out["definitions"]["EventSubscription"].setdefault("properties", {}).update(
        copy.deepcopy(HUB_SECRET)
    )
    out["paths"] = with_operations(out["paths"], HUB_READ_PATHS)
    return out


def with_operations(
    paths: dict[str, Any], extra: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """`paths` with each operation of `extra` whose path lacks that method; the path is the
    official one (a trailing slash kept), its other methods first."""
    out = copy.deepcopy(paths)
    for path, item in extra.items():
        key = next((p for p in out if p.rstrip("/") == path), path)
        for method, op in item.items():
            out.setdefault(key, {}).setdefault(method, copy.deepcopy(op))
    return out


def _insert_after(mapping: dict[str, Any], key: str, extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in mapping.items():
        out[name] = value
        if name == key:
            out.update(copy.deepcopy(extra))
    return out


# --------------------------------------------------------------------------- operations

# Operation kinds by method and path shape; "<resource>" and "<event>" stand for any name.
KINDS = {
    ("get", "<resource>"): "list",
    ("post", "<resource>"): "create",
    ("get", "<resource>/{id}"): "retrieve",
    ("patch", "<resource>/{id}"): "patch",
    ("delete", "<resource>/{id}"): "delete",
    ("post", "hub"): "hubRegister",
    ("get", "hub"): "hubList",
    ("get", "hub/{id}"): "hubRetrieve",
    ("delete", "hub/{id}"): "hubUnregister",
    ("get", "hub/{id}/delivery"): "hubDelivery",
    ("post", "hub/{id}/delivery/replay"): "hubReplay",
    ("post", "listener/<event>"): "listener",
    ("get", "<resource>/{id}/document"): "document",
}


def classify(method: str, path: str, kinds: dict[tuple[str, str], str] = KINDS) -> str:
    segments = path.strip("/").split("/")
    if segments[0] == "listener" and len(segments) > 1:
        segments[1] = "<event>"
    elif segments[0] not in ("hub", "listener"):
        segments[0] = "<resource>"
    kind = kinds.get((method, "/".join(segments)))
    if kind is None:
        raise DeriveError(f"unsupported operation shape: {method.upper()} {path}")
    return kind


def success_text(kind: str, resource: str) -> str:
    return {
        "list": f"Every matching {resource} (complete result).",
        "create": f"The {resource} was created; Location holds its URL.",
        "retrieve": f"The requested {resource}.",
        "patch": f"The {resource} as stored after the change.",
        "delete": f"The {resource} was deleted.",
        "hubRegister": "Subscription stored; Location holds its URL.",
        "hubList": "The subscriptions (complete result).",
        "hubRetrieve": "The subscription.",
        "hubUnregister": "Subscription removed.",
        "hubDelivery": "Delivery state of the subscription.",
        "hubReplay": "Delivery state after the dead letters were queued again.",
        "listener": "Notification accepted.",
        "document": f"The {resource} as an HTML document.",
    }[kind]


def body_text(kind: str, resource: str) -> str:
    return {
        "create": f"The {resource} to create; the server assigns id and href.",
        "patch": "Attributes to change as a merge patch, or a JSON Patch document.",
        "hubRegister": "Callback URL to notify, with an optional event filter.",
        "listener": "The notification being delivered.",
    }[kind]


def convert_parameter(param: dict[str, Any], kind: str, resource: str) -> dict[str, Any]:
    if param["in"] == "query" and param["name"] in QUERY_PARAM_COMPONENT:
        return {"$ref": f"#/components/parameters/{QUERY_PARAM_COMPONENT[param['name']]}"}
    if param["in"] == "path" and param["name"] == "id":
        text = (
            "Id returned when the subscription was created."
            if kind.startswith("hub")
            else f"Id of the {resource}."
        )
        return {
            "name": "id",
            "in": "path",
            "description": text,
            "required": True,
            "schema": {"type": param.get("type", "string")},
        }
    raise DeriveError(f"unsupported parameter {param['in']}:{param['name']}")


def with_example(media: dict[str, Any], desc: Descriptions, op_id: str) -> dict[str, Any]:
    example = desc.example(op_id)
    return media if example is None else {**media, "example": copy.deepcopy(example)}


def response_schema(resp: dict[str, Any]) -> dict[str, Any] | None:
    if "schema" not in resp:
        return None
    return convert_schema(resp["schema"], Descriptions({}), None, None)


def convert_operation(
    method: str, path: str, op: dict[str, Any], desc: Descriptions, versioned: frozenset[str]
) -> tuple[str, dict[str, Any], set[str]]:
    kind = classify(method, path)
    first = path.strip("/").split("/")[0]
    tag = first  # the resource name, or "hub" / "listener"
    resource = words(first)
    out: dict[str, Any] = {"operationId": op["operationId"], "tags": [tag]}
    out.update(desc.operation(op["operationId"]))

    params: list[dict[str, Any]] = []
    body_schema: dict[str, Any] | None = None
    for param in op.get("parameters", []):
        if param["in"] == "body":
            body_schema = convert_schema(param["schema"], Descriptions({}), None, None)
        else:
            params.append(convert_parameter(param, kind, resource))
    names = {p.get("$ref", p.get("name")) for p in params}
    if kind == "list" and "#/components/parameters/Sort" not in names:
        params.append({"$ref": "#/components/parameters/Sort"})
    if kind == "patch" and "#/components/parameters/Fields" not in names:
        params.append({"$ref": "#/components/parameters/Fields"})
    if kind in ("retrieve", "delete") and first in versioned:
        params.append({"$ref": "#/components/parameters/Version"})
    if params:
        out["parameters"] = params

    if body_schema is not None:
        if kind == "patch":
            content = {
                media: {"schema": body_schema if role == "update" else ref("JsonPatch")}
                for media, role in PATCH_MEDIA_TYPES
            }
        else:
            content = {JSON: with_example({"schema": body_schema}, desc, op["operationId"])}
        out["requestBody"] = {
            "description": body_text(kind, resource),
            "required": True,
            "content": content,
        }

    responses: dict[str, Any] = {}
    errors: set[str] = set()
    codes = set(op["responses"]) | set(EXTRA_ERRORS)
    for code in sorted(codes, key=int):
        if code in ERRORS:
            errors.add(code)
            responses[code] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
            continue
        if not code.startswith("2"):
            raise DeriveError(f"{op['operationId']}: unsupported response {code}")
        resp: dict[str, Any] = {"description": success_text(kind, resource)}
        if kind in ("list", "hubList"):
            resp["headers"] = {"X-Total-Count": HEADER_TOTAL, "X-Result-Count": HEADER_RESULT}
        if code == "201" and kind in ("create", "hubRegister"):
            resp["headers"] = {
                "Location": {"description": "URL of the new object.", "schema": {"type": "string"}}
            }
        schema = response_schema(op["responses"][code])
        if schema is not None:
            resp["content"] = {HTML if kind == "document" else JSON: {"schema": schema}}
        responses[code] = resp
        if kind in ("list", "hubList") and code == "200":
            page = copy.deepcopy(resp)
            shown = "subscription" if kind == "hubList" else resource
            page["description"] = f"One page of a larger {shown} result; see X-Total-Count."
            responses["206"] = page
    out["responses"] = responses
    errors |= with_conditions(kind, out)
    errors |= with_idempotency(method, out)
    return tag, out, errors


# --------------------------------------------------------------------------- document


def api_name_and_server(official: dict[str, Any]) -> tuple[str, str]:
    base = official["basePath"].rstrip("/")
    # Most files name the root under /tmf-api; some (TMF676 v4: /payment/v4/) leave it out,
    # and the server serves every API under /tmf-api all the same.
    match = re.fullmatch(r"(?:/tmf-api)?/([A-Za-z]+)/(v\d+)", base)
    if not match:
        raise DeriveError(f"unexpected basePath {official['basePath']!r}")
    return match.group(1), f"/tmf-api/{match.group(1)}/{match.group(2)}"


def normalise_version(version: str) -> str:
    parts = str(version).split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def ordered_tags(tag_order: list[str], desc: Descriptions) -> list[dict[str, Any]]:
    """The document's tags in order of first use, hub and listener last, with our wording;
    a described tag no operation uses is an error."""
    for extra in ("hub", "listener"):  # put subscription tags after the resource tags
        if extra in tag_order:
            tag_order.remove(extra)
            tag_order.append(extra)
    unknown_tags = set(desc.tags) - set(tag_order)
    if unknown_tags:
        raise DeriveError(f"descriptions: unknown tags {sorted(unknown_tags)}")
    tags = []
    for tag in tag_order:
        entry = {"name": tag}
        if tag in desc.tags:
            entry["description"] = desc.tags[tag]
        else:
            desc.missing.append(f"tag {tag}")
        tags.append(entry)
    return tags


# Revenue share extension of TMF666 (accountManagement): a partner's shares, per offering and by
# default, on its settlement account (tmf_apis/tmf666/revenue_shares.py). Facts in Swagger 2.0
# form, also for v5 (derive_v5.py calls with_revenue_shares): the property joins the settlement
# account as served, created and patched; the schemas follow the last of those.
ACCOUNT_API = "accountManagement"
SHARE_HOLDERS = {
    "v4": ("SettlementAccount", "SettlementAccount_Create", "SettlementAccount_Update"),
    "v5": ("SettlementAccount", "SettlementAccount_FVO", "SettlementAccount_MVO"),
}
REVENUE_SHARE_PROPERTY: dict[str, Any] = {
    "revenueShare": {"type": "array", "items": {"$ref": "#/definitions/RevenueShare"}}
}
REVENUE_SHARE_DEFINITIONS: dict[str, dict[str, Any]] = {
    "RevenueShare": {
        "type": "object",
        "required": ["sharePercent"],
        "properties": {
            "productOffering": {"$ref": "#/definitions/RevenueShareOffering"},
            "sharePercent": {"type": "number"},
        },
    },
    "RevenueShareOffering": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string"},
            "href": {"type": "string"},
            "name": {"type": "string"},
        },
    },
}
_SHARE_TEXT = (
    "The partner's revenue shares (an extension of this server): at most one per offering and"
    " one naming no offering, the default; charging takes the entry for the offering sold, else"
    " the default, else the server's configured share."
)
REVENUE_SHARE_WORDING: dict[str, Any] = {
    "schemas": {
        **{
            name: {"revenueShare": _SHARE_TEXT}
            for names in SHARE_HOLDERS.values()
            for name in names
        },
        "RevenueShare": {
            "_": "A partner's share of what it sells, for one offering or by default (an"
            " extension of this server).",
            "sharePercent": "The share in percent of the price net of discounts, 0 to 100.",
        },
        "RevenueShareOffering": {
            "_": "The product offering a share holds for; a share without one is the default.",
            "id": "Id of the product offering.",
            "href": "Link to the product offering.",
            "name": "Name of the product offering.",
        },
    }
}


def with_revenue_shares(official: dict[str, Any]) -> dict[str, Any]:
    """A copy of the official TMF666 file (v4 Swagger 2.0, or v5 OpenAPI 3) with the revenue
    share extension (REVENUE_SHARE_*) added."""
    v5 = "openapi" in official
    schemas = official["components"]["schemas"] if v5 else official["definitions"]
    holders = SHARE_HOLDERS["v5" if v5 else "v4"]
    missing = [name for name in holders if name not in schemas]
    clashes = set(REVENUE_SHARE_DEFINITIONS) & set(schemas)
    clashes |= {
        p
        for name in holders
        if name in schemas
        for p in REVENUE_SHARE_PROPERTY
        if p in json.dumps(schemas[name].get("properties", {}))
    }
    if missing or clashes:
        raise DeriveError(f"the official file lacks {missing} or already defines {sorted(clashes)}")
    out = copy.deepcopy(official)
    found = out["components"]["schemas"] if v5 else out["definitions"]

    def form(value: Any) -> Any:
        text = json.dumps(value)
        return json.loads(text.replace("#/definitions/", "#/components/schemas/") if v5 else text)

    for name in holders:
        if v5:
            # v5 resources are allOf their parent; the extension is one more member.
            member = {"type": "object", "properties": form(REVENUE_SHARE_PROPERTY)}
            found[name]["allOf"] = [*found[name].get("allOf", []), member]
        else:
            found[name]["properties"] = {**found[name]["properties"], **REVENUE_SHARE_PROPERTY}
    merged = _insert_after(found, holders[-1], form(REVENUE_SHARE_DEFINITIONS))
    if v5:
        out["components"]["schemas"] = merged
    else:
        out["definitions"] = merged
    return out


def derive(official: dict[str, Any], desc: Descriptions) -> dict[str, Any]:
    if official.get("swagger") != "2.0":
        raise DeriveError("the official file must be Swagger 2.0")
    desc.check_known(official)
    if any(path.rstrip("/") == "/hub" for path in official["paths"]):
        official = with_hub_delivery(official)
        desc.add(HUB_DELIVERY_WORDING)
    if api_name_and_server(official)[0] == BILLING_API:
        official = with_billing(official)
        desc.add(BILLING_WORDING)
    if api_name_and_server(official)[0] == ACCOUNT_API:
        official = with_revenue_shares(official)
        desc.add(REVENUE_SHARE_WORDING)
    if set(JSON_PATCH_SCHEMAS) & set(official.get("definitions", {})):
        raise DeriveError("the official file already defines a JsonPatch schema")
    api_name, server = api_name_and_server(official)

    if "title" not in desc.info:
        raise DeriveError("descriptions: info.title is required")
    unknown = set(desc.info) - {"title", "description", "version", "x-tmf-api"}
    if unknown:
        raise DeriveError(f"descriptions: unknown info keys {sorted(unknown)}")
    info: dict[str, Any] = {"title": desc.info["title"]}
    if "description" in desc.info:
        info["description"] = desc.info["description"]
    version = desc.info.get("version") or normalise_version(official["info"]["version"])
    info["version"] = str(version)
    if "x-tmf-api" in desc.info:
        info["x-tmf-api"] = desc.info["x-tmf-api"]
    info["x-api-name"] = api_name

    paths: dict[str, Any] = {}
    tag_order: list[str] = []
    used_errors: set[str] = set()
    has_patch = False
    for path, item in official["paths"].items():
        out_item: dict[str, Any] = {}
        for method, op in item.items():
            if method == "parameters":
                raise DeriveError(f"{path}: path-level parameters are not supported")
            tag, out_op, errors = convert_operation(
                method, path, op, desc, VERSIONED.get(api_name, frozenset())
            )
            out_item[method] = out_op
            used_errors |= errors
            has_patch |= method == "patch"
            if tag not in tag_order:
                tag_order.append(tag)
        paths[path.rstrip("/") or "/"] = out_item

    tags = ordered_tags(tag_order, desc)

    schemas = convert_definitions(official, desc)
    if has_patch:
        schemas.update(copy.deepcopy(JSON_PATCH_SCHEMAS))
    referenced = set(re.findall(r"#/components/parameters/(\w+)", json.dumps(paths)))
    parameters = {k: v for k, v in SHARED_PARAMETERS.items() if k in referenced}
    responses = {
        ERRORS[code][0]: {
            "description": ERRORS[code][1],
            "content": {JSON: {"schema": ref("Error")}},
        }
        for code in sorted(used_errors, key=int)
    }
    if responses and "Error" not in schemas:
        raise DeriveError("the official file has no Error schema")

    document = {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "servers": [{"url": server}],
        "tags": tags,
        "paths": paths,
        "components": {"parameters": parameters, "responses": responses, "schemas": schemas},
    }
    return with_common_filters(document)


# --------------------------------------------------------------------------- list filters

# The filters every list declares when its resource has the attribute (the server takes a filter
# on any attribute; these are the ones a client reaches for first, shown in Swagger UI). Wording
# is ours; the attribute must exist in the listed schema (its allOf parents and polymorphic
# members included), so each edition declares the paths its own shape has.
_ANY_OF = " Several values separated by commas match any of them."
COMMON_FILTERS: tuple[tuple[str, str], ...] = (
    ("name", "Only those with this name." + _ANY_OF),
    ("status", "Only those in this status." + _ANY_OF),
    ("state", "Only those in this state." + _ANY_OF),
    ("lifecycleStatus", "Only those in this lifecycle status." + _ANY_OF),
    ("isBundle", "true: bundles only; false: the others only."),
    ("accountType", "Only accounts of this type." + _ANY_OF),
    ("category", "Only those of this category." + _ANY_OF),
    ("productOffering.id", "Only those of this product offering." + _ANY_OF),
    ("billingAccount.id", "Only those of this billing account." + _ANY_OF),
    ("relatedParty.id", "Only those with this related party, in any role." + _ANY_OF),
    (
        "relatedParty.partyOrPartyRole.id",
        "Only those with this related party, in any role." + _ANY_OF,
    ),
)
FILTERED_TYPES = ("string", "boolean")


def with_common_filters(document: dict[str, Any]) -> dict[str, Any]:
    """Each list operation with the COMMON_FILTERS its resource has, after its own parameters."""
    schemas = document["components"]["schemas"]
    for item in document["paths"].values():
        listing = item.get("get")
        if listing is None or "X-Total-Count" not in _success(listing).get("headers", {}):
            continue
        target = _success(listing)["content"][JSON]["schema"].get("items", {})
        if "$ref" not in target:
            continue
        named = {p.get("name") for p in listing.get("parameters", [])}
        for path, text in COMMON_FILTERS:
            kind = _leaf_type(target, path.split("."), schemas)
            if kind in FILTERED_TYPES and path not in named:
                listing.setdefault("parameters", []).append(
                    {
                        "name": path,
                        "in": "query",
                        "description": text,
                        "required": False,
                        "schema": {"type": kind},
                    }
                )
    return document


def _success(operation: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = operation["responses"].get("200", {})
    return found


def _leaf_type(schema: dict[str, Any], steps: list[str], schemas: dict[str, Any]) -> str | None:
    """The JSON type at a dotted attribute path of a schema, through $refs, allOf, oneOf and
    arrays; None when the path does not exist or leads to different types."""
    kinds = {kind for member in _members(schema, schemas) for kind in _at(member, steps, schemas)}
    return kinds.pop() if len(kinds) == 1 else None


def _at(schema: dict[str, Any], steps: list[str], schemas: dict[str, Any]) -> set[str]:
    if not steps:
        kind = schema.get("type")
        return {kind} if isinstance(kind, str) and kind != "array" else set()
    found: set[str] = set()
    prop = schema.get("properties", {}).get(steps[0])
    if prop is not None:
        for member in _members(prop, schemas):
            if member.get("type") == "array":
                member = member.get("items", {})
            for leaf in _members(member, schemas):
                found |= _at(leaf, steps[1:], schemas)
    return found


def _members(schema: dict[str, Any], schemas: dict[str, Any], depth: int = 0) -> list[Any]:
    """The schema's plain parts: $refs followed, allOf parents and oneOf/anyOf members."""
    if depth > 12:  # recursive schemas: a filter path is never this deep
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _members(schemas.get(name, {}), schemas, depth + 1)
    parts = [schema]
    for key in ("allOf", "oneOf", "anyOf"):
        for member in schema.get(key, []):
            parts += _members(member, schemas, depth + 1)
    return parts


def render(document: dict[str, Any], official_name: str, descriptions_path: str) -> str:
    header = (
        "# GENERATED by specs/tools/derive.py: do not edit by hand; see specs/README.md.\n"
        f"# Facts from the official {official_name};\n"
        f"# wording from {descriptions_path}.\n"
    )
    body = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000, indent=2
    )
    return header + body


# --------------------------------------------------------------------------- command line

# The committed specs: (official file, our descriptions file in DESCRIPTIONS_DIR, spec in specs/),
# one per served API edition, as its package declares them (tmf_apis: `official`, `spec`).
COMMITTED = tuple((api.official[0], api.descriptions, api.spec) for api in APIS)
SPECS_DIR = ROOT / "specs"
DESCRIPTIONS_DIR = SPECS_DIR / "tools" / "descriptions"
OFFICIAL_DIR_VARIABLE = "TMF_SPECS_OFFICIAL_DIR"
OPTIONAL_VARIABLE = "TMF_SPECS_OFFICIAL_OPTIONAL"


def default_official_dir() -> Path:
    return Path(os.environ.get(OFFICIAL_DIR_VARIABLE) or ROOT.parent / "shared" / "tmf-specs")


def read_official(path: Path) -> dict[str, Any]:
    """An official file: Swagger 2.0 JSON (v4) or OpenAPI 3 YAML (v5)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        document: dict[str, Any] = json.loads(text)
    else:
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return document


def v5_module() -> Any:
    """derive_v5.py, which imports this module as specs.tools.derive."""
    return importlib.import_module("specs.tools.derive_v5")


def convert(official: dict[str, Any], desc: Descriptions) -> dict[str, Any]:
    """Our document from an official file of either form: v4 Swagger 2.0 here, v5 OpenAPI 3 by
    derive_v5.py (which imports this module, so it is imported here when needed)."""
    if "openapi" in official:
        document: dict[str, Any] = v5_module().derive_v5(official, desc)
        return document
    return derive(official, desc)


def generate(official_path: Path, descriptions_path: Path, descriptions_name: str) -> str:
    """The spec that derive() makes from these two files, rendered as committed."""
    official = read_official(official_path)
    desc = Descriptions(yaml.safe_load(descriptions_path.read_text(encoding="utf-8")) or {})
    return render(convert(official, desc), official_path.name, descriptions_name)


def derive_all(official_dir: Path, specs_dir: Path, check: bool, optional: bool) -> int:
    """Regenerate (or with ``check`` compare) every committed spec; the exit status."""
    listed = {output for _, _, output in COMMITTED}
    unlisted = sorted(p.name for p in specs_dir.glob("*.yaml") if p.name not in listed)
    if unlisted:
        print(f"derive: {unlisted} in {specs_dir} are not listed in COMMITTED", file=sys.stderr)
        return 1
    absent = [name for name, _, _ in COMMITTED if not (official_dir / name).is_file()]
    if absent:
        if not optional:
            print(
                f"derive: official files not found in {official_dir}: {', '.join(absent)}"
                f" (set {OFFICIAL_DIR_VARIABLE}, or {OPTIONAL_VARIABLE}=1 to skip them)",
                file=sys.stderr,
            )
            return 2
        print(
            f"derive: skipped the specs made from {', '.join(absent)}: not found in"
            f" {official_dir} and {OPTIONAL_VARIABLE}=1"
        )
    stale: list[str] = []
    done = 0
    for official_name, descriptions_name, output in COMMITTED:
        if official_name in absent:
            continue
        try:
            text = generate(
                official_dir / official_name,
                DESCRIPTIONS_DIR / descriptions_name,
                f"specs/tools/descriptions/{descriptions_name}",
            )
        except DeriveError as exc:
            print(f"derive: {output}: {exc}", file=sys.stderr)
            return 2
        done += 1
        path = specs_dir / output
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(output)
        if not check:
            path.write_text(text, encoding="utf-8")
            print(f"derive: wrote {path}")
    if check and stale:
        print(
            f"derive: {', '.join(stale)} differ from what derive.py makes; run"
            " `python specs/tools/derive.py --all` and review the change",
            file=sys.stderr,
        )
        return 1
    if done and (check or not stale):
        print(f"derive: {done} of {len(COMMITTED)} committed specs are what derive.py makes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "official",
        type=Path,
        nargs="?",
        help="official TMF file: v4 Swagger 2.0 JSON or v5 OpenAPI 3 YAML",
    )
    parser.add_argument("descriptions", type=Path, nargs="?", help="our descriptions YAML file")
    parser.add_argument("-o", "--output", type=Path, help="output YAML (default: stdout)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="fail if the output would change, instead of writing it",
    )
    parser.add_argument(
        "--missing", action="store_true", help="list names that have no description of ours"
    )
    parser.add_argument(
        "--all", action="store_true", help="every committed spec in specs/ (see COMMITTED)"
    )
    parser.add_argument(
        "--official-dir",
        type=Path,
        help=f"where --all finds the official files (default: ${OFFICIAL_DIR_VARIABLE},"
        " else ../shared/tmf-specs beside the repository)",
    )
    args = parser.parse_args(argv)

    if args.all:
        if args.official or args.descriptions or args.output or args.missing:
            parser.error("--all takes no files, --output or --missing")
        optional = os.environ.get(OPTIONAL_VARIABLE, "").lower() in ("1", "true", "yes")
        official_dir = args.official_dir or default_official_dir()
        return derive_all(official_dir, SPECS_DIR, args.check, optional)
    if args.official is None or args.descriptions is None:
        parser.error("name the official file and the descriptions file, or use --all")
    if args.official_dir:
        parser.error("--official-dir goes with --all")

    official = read_official(args.official)
    desc = Descriptions(yaml.safe_load(args.descriptions.read_text(encoding="utf-8")) or {})
    try:
        document = convert(official, desc)
    except DeriveError as exc:
        print(f"derive: {exc}", file=sys.stderr)
        return 2
    descriptions_name = args.descriptions.as_posix()
    if "specs/" in descriptions_name:
        descriptions_name = "specs/" + descriptions_name.split("specs/", 1)[1]
    text = render(document, args.official.name, descriptions_name)

    if args.missing:
        print("\n".join(desc.missing) or "nothing missing")
        return 0
    if args.output is None:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"derive: {args.output} is out of date; rerun without --check", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    # Run as specs.tools.derive, the module that derive_v5.py imports, so both share DeriveError.
    sys.exit(importlib.import_module("specs.tools.derive").main())
