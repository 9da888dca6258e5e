"""Derive this project's OpenAPI 3.0.3 document from an official TM Forum v5 OpenAPI 3.0 file.

The v5 counterpart of derive.py, which runs it (``derive.py --all`` and ``derive.py OFFICIAL
DESCRIPTIONS``) for official files in OpenAPI 3 form; it takes the same descriptions-file format
and shares derive.py's conventions, wording and extensions. What differs from v4:

- The official file is OpenAPI 3.0 already: schemas keep their ``allOf``, ``oneOf`` and
  ``discriminator`` structure and their names (``X``, ``X_FVO`` to create, ``X_MVO`` to update);
  only facts are kept (every ``description``, ``summary`` and ``example`` is dropped; the official
  ``requestBodies``, ``responses``, ``headers`` and ``examples`` components are replaced by ours).
- ``servers`` and ``info.x-api-name`` name the API as this server already serves it: the
  registered API (tmf_apis) whose ``tmf`` is the descriptions file's ``x-tmf-api``. The official
  server URL names the API differently (``/tmf-api/customer/v5`` for TMF629).
- Our rules reach the properties a schema declares itself, in its own ``properties`` or in an
  inline ``allOf`` member; referenced parents keep their facts. Resource schemas (what a retrieve
  operation answers) drop their own ``required`` lists; every ``X_MVO`` drops its ``required``
  lists and lets its properties be null (a merge patch removes an attribute with null), except
  those that ``X_FVO`` requires.
- PATCH takes four media types: merge patch and plain JSON (``X_MVO``), JSON Patch
  (``JsonPatchOperations``) and JSON Patch Query (``JsonPatchQueryOperations``, whose ``path`` may
  end in a query such as ``?contactMedium.id=1``). The official ``JsonPatch`` (one operation) and
  ``JsonPatchOperations`` (the array) keep their names and facts, with our stricter rules: which
  members each ``op`` needs, and a pointer to a storable attribute.
- The official response codes stay, but for 202 (this server answers at once); an official
  ``default`` response becomes the error codes that every v4 operation declares. 503 joins the
  shared error responses; derive.py's extra codes (413, 415, 422, 429, 501) are added as in v4.
- The hub schemas are ``Hub_FVO`` and ``Hub``, which take derive.py's callback rule and
  ``secret``; ``GET /hub/{id}`` (``hubGet``) returns ``Hub``. Listeners answer 204 without a body.

Two deliberate differences make the document servable by a JSON Schema Draft 4 validator (which
connexion uses). Both only loosen the official schemas, so they stay wire-compatible: every body
valid under the official file is valid under ours.

- Discriminated unions are ``anyOf``: every ``oneOf`` that carries a ``discriminator`` (such as
  ``PartyOrPartyRole``, ``PartyRefOrPartyRoleRef``, ``AttachmentRefOrValue`` and their ``_FVO``
  and ``_MVO`` forms) is written as ``anyOf`` with the same members, and keeps its
  ``discriminator`` unchanged for readers and tools. Draft 4 ignores ``discriminator``, and the
  members overlap (a party reference is also a valid party role reference, individual, ...), so
  ``oneOf`` would refuse every real value. A ``oneOf`` without a discriminator stays ``oneOf``
  (the official files have none; our JSON Patch one has members that exclude each other).
- ``@type`` is optional in what clients send (the server sets it when it is left out), required
  as before in what the server sends. Request schemas, i.e. every ``X_FVO`` and ``X_MVO`` and
  every schema that only request bodies reach (listener bodies are events, which the server
  sends), drop ``@type`` from their ``required`` lists. A schema that responses reach too and
  that requires ``@type`` itself or through its references (``Extensible``, hence ``Entity``,
  ``CreditProfile``, ...) keeps its facts and gets a request copy ``X_FVO`` right after it: the
  same facts without ``@type`` required, its references pointing at request copies in turn.
  Request schemas reference the copies instead. Where the official file has an ``X_FVO`` of
  that name, it is the request form (loosened the same way) and no copy is made: it may ask
  more than ``X`` (TMF678's ``Attachment_FVO`` requires ``attachmentType``).
- A ``$ref`` with a fact beside it (TMF622's ``default`` initial state), which OpenAPI 3.0
  ignores, is written as ``allOf: [{$ref}]`` with the fact, so that it counts.
- An enum value written with white space around it (``'aborted '``) is written without, as in
  v4 (``derive.enum_values``).
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tmf_apis import APIS  # noqa: E402

if TYPE_CHECKING:
    import derive  # mypy reads specs/tools/*.py as top-level modules
else:
    # The one copy of derive.py: its command line, the tests and this module all use it under
    # this name, so its classes (DeriveError, Descriptions) are the same everywhere.
    derive = importlib.import_module("specs.tools.derive")

DeriveError = derive.DeriveError
Descriptions = derive.Descriptions
JSON = derive.JSON
ref = derive.ref

PATCH_MEDIA_TYPES = (
    ("application/merge-patch+json", "update"),
    ("application/json", "update"),
    ("application/json-patch+json", "JsonPatchOperations"),
    ("application/json-patch-query+json", "JsonPatchQueryOperations"),
)
# Schema keywords carried over from the official file, in output order.
SCHEMA_KEYS = (
    "$ref",
    "type",
    "format",
    "description",
    "enum",
    "default",
    "minItems",
    "items",
    "additionalProperties",
    "allOf",
    "oneOf",
    "discriminator",
    "required",
    "properties",
)
DROPPED_KEYS = {"description", "example"}
# Facts an official file writes beside a $ref (TMF622 5.0.0: a `default` initial state), kept by
# wrapping the reference in an allOf.
REF_SIBLINGS = {"default"}

ERRORS: dict[str, tuple[str, str]] = {
    **derive.ERRORS,
    "503": ("ServiceUnavailable", "The server cannot answer now; retry later."),
}
# What an official `default` response stands for: the error codes every v4 operation declares.
DEFAULT_ERRORS = ("400", "401", "403", "404", "405", "500")
# Official success codes this server never answers: it does all its work before it responds.
DROPPED_CODES = {"202"}

# derive.py's rules for v4 schemas that v5 names differently.
RENAMED = {"EventSubscriptionInput": "Hub_FVO", "EventSubscription": "Hub"}
HUB_SCHEMAS = ("Hub_FVO", "Hub")

# A JSON Pointer as JSON Patch Query takes it: a storable pointer whose segments hold no '?',
# then optionally '?' and a query of name=value pairs joined by '&' (names may be dotted).
_QUERY_TERM = "[^=&\\u0000]+=[^&\\u0000]*"
QUERY_POINTER = f"^(/[^/.$?\\u0000][^/.?\\u0000]*)+(\\?{_QUERY_TERM}(&{_QUERY_TERM})*)?$"
_POINTER_TEXT = "JSON Pointer to the target attribute."
_QUERY_POINTER_TEXT = (
    "JSON Pointer to the target attribute; it may end in ?name=value terms (joined by &) that"
    " pick the array items to act on."
)


def _patch_operation(text: str, path_pattern: str, path_text: str) -> dict[str, Any]:
    """One JSON Patch operation: the official members, our pointer rules, and (in oneOf) which
    members each kind of operation needs."""
    return {
        "type": "object",
        "description": text,
        "oneOf": [
            ref("JsonPatchValueOperation"),
            ref("JsonPatchRemoveOperation"),
            ref("JsonPatchMoveOperation"),
        ],
        "required": ["op", "path"],
        "properties": {
            "op": {
                "type": "string",
                "description": "What to do.",
                "enum": ["add", "remove", "replace", "move", "copy", "test"],
            },
            "path": {"type": "string", "description": path_text, "pattern": path_pattern},
            "value": {"description": "The value (any JSON value)."},
            "from": {
                "type": "string",
                "description": "JSON Pointer to the source attribute.",
                "pattern": derive.STORABLE_POINTER,
            },
        },
    }


def _patch_kind(ops: list[str], text: str, needs: list[str]) -> dict[str, Any]:
    kind: dict[str, Any] = {"description": text}
    if needs:
        kind["required"] = needs
    kind["properties"] = {"op": {"enum": ops}}
    return kind


# RFC 6902 as a schema, under the official v5 names, and its JSON Patch Query twin.
JSON_PATCH_SCHEMAS: dict[str, dict[str, Any]] = {
    "JsonPatchOperations": {
        "type": "array",
        "description": "JSON Patch document (RFC 6902): applied in order, all or nothing.",
        "items": ref("JsonPatch"),
    },
    "JsonPatch": _patch_operation(
        "One JSON Patch operation.", derive.STORABLE_POINTER, _POINTER_TEXT
    ),
    "JsonPatchQueryOperations": {
        "type": "array",
        "description": (
            "JSON Patch Query document (TMF630): a JSON Patch whose paths may select array items"
            " by a query; applied in order, all or nothing."
        ),
        "items": ref("JsonPatchQuery"),
    },
    "JsonPatchQuery": _patch_operation(
        "One JSON Patch Query operation.", QUERY_POINTER, _QUERY_POINTER_TEXT
    ),
    "JsonPatchValueOperation": _patch_kind(
        ["add", "replace", "test"], "Adds, replaces or tests the value at `path`.", ["value"]
    ),
    "JsonPatchRemoveOperation": _patch_kind(["remove"], "Removes the value at `path`.", []),
    "JsonPatchMoveOperation": _patch_kind(
        ["move", "copy"], "Moves or copies the value at `from` to `path`.", ["from"]
    ),
}
# Official schemas that JSON_PATCH_SCHEMAS words and constrains in its own way; what it adds to
# their facts.
OFFICIAL_JSON_PATCH = ("JsonPatch", "JsonPatchOperations")
_JSON_PATCH_ADDED = {"description", "pattern", "oneOf"}


def _without(schema: Any, keys: set[str]) -> Any:
    if isinstance(schema, dict):
        return {k: _without(v, keys) for k, v in schema.items() if k not in keys}
    return schema


def check_json_patch(official: dict[str, Any]) -> None:
    """The official JSON Patch schemas hold the very facts ours keep (ours only add to them)."""
    sources = official["components"].get("schemas", {})
    for name in OFFICIAL_JSON_PATCH:
        if name not in sources:
            continue
        facts = convert_schema(sources[name], Descriptions({}), name, None)
        if _without(JSON_PATCH_SCHEMAS[name], _JSON_PATCH_ADDED) != facts:
            raise DeriveError(f"the official {name} schema differs from what derive_v5.py keeps")


HUB_DELIVERY_WORDING: dict[str, Any] = {
    "operations": {
        ("hubGet" if name == "retrieveHub" else name): text
        for name, text in derive.HUB_DELIVERY_WORDING["operations"].items()
    },
    "schemas": {
        RENAMED.get(name, name): entries
        for name, entries in derive.HUB_DELIVERY_WORDING["schemas"].items()
    },
}


def _oas3(value: Any) -> Any:
    """derive.py's Swagger 2.0 facts with their references in OpenAPI 3 form."""
    return json.loads(json.dumps(value).replace("#/definitions/", "#/components/schemas/"))


def _official_operation(op: dict[str, Any]) -> dict[str, Any]:
    """A Swagger 2.0 operation of derive.py's extensions in the shape of an official v5 one."""
    params = [
        {"name": p["name"], "in": p["in"], "required": True, "schema": {"type": p["type"]}}
        for p in op.get("parameters", [])
    ]
    responses = {
        code: {"content": {JSON: {"schema": _oas3(resp["schema"])}}} if "schema" in resp else {}
        for code, resp in op["responses"].items()
    }
    return {"operationId": op["operationId"], "parameters": params, "responses": responses}


HUB_DELIVERY_PATHS: dict[str, dict[str, Any]] = {
    path: {method: _official_operation(op) for method, op in item.items()}
    for path, item in derive.HUB_DELIVERY_PATHS.items()
}
HUB_DELIVERY_SCHEMAS: dict[str, dict[str, Any]] = _oas3(derive.HUB_DELIVERY_DEFINITIONS)
# v5 names the retrieval `hubGet` and the subscription `Hub`.
HUB_READ_PATHS: dict[str, dict[str, Any]] = {
    path: {
        method: {
            **_official_operation(op),
            "operationId": "hubGet" if op["operationId"] == "retrieveHub" else op["operationId"],
        }
        for method, op in item.items()
    }
    for path, item in json.loads(
        json.dumps(derive.HUB_READ_PATHS).replace(
            '"#/definitions/EventSubscription"', '"#/definitions/Hub"'
        )
    ).items()
}


# --------------------------------------------------------------------------- schemas


def own_members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The parts of a schema that declare its own attributes: itself and its inline allOf
    members (referenced parents belong to other schemas)."""
    return [schema, *(m for m in schema.get("allOf", []) if "$ref" not in m)]


def own_properties(schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for member in own_members(schema):
        props.update(member.get("properties", {}))
    return props


def own_required(schema: dict[str, Any]) -> set[str]:
    return {name for member in own_members(schema) for name in member.get("required", [])}


def convert_schema(
    src: dict[str, Any], desc: Descriptions, owner: str | None, description: str | None
) -> dict[str, Any]:
    """Official OpenAPI 3.0 schema -> ours, facts only; ``description`` is ours. ``owner`` names
    the component whose properties these are (inline allOf members included), for their wording."""
    unknown = set(src) - set(SCHEMA_KEYS) - DROPPED_KEYS
    if unknown:
        raise DeriveError(f"schema {owner}: unsupported keywords {sorted(unknown)}")
    if "$ref" in src:
        extra = set(src) - {"$ref"} - DROPPED_KEYS
        if extra - REF_SIBLINGS:
            raise DeriveError(f"schema {owner}: $ref with sibling facts {sorted(extra)}")
        if not src["$ref"].startswith("#/components/schemas/"):
            raise DeriveError(f"schema {owner}: unsupported $ref {src['$ref']}")
        if extra:
            # OpenAPI 3.0 ignores what stands beside a $ref; wrapped in allOf, the fact counts.
            return {"allOf": [{"$ref": src["$ref"]}], **{k: src[k] for k in sorted(extra)}}
        return {"$ref": src["$ref"]}
    out: dict[str, Any] = {}
    for key in SCHEMA_KEYS:
        if key == "description":
            if description:
                out["description"] = description
        elif key not in src:
            continue
        elif key in ("items", "additionalProperties") and isinstance(src[key], dict):
            out[key] = convert_schema(src[key], desc, None, None)
        elif key == "allOf":
            out[key] = [convert_schema(part, desc, owner, None) for part in src[key]]
        elif key == "oneOf":
            # A discriminated union becomes anyOf (see the module docstring).
            out_key = "anyOf" if "discriminator" in src else key
            out[out_key] = [convert_schema(part, desc, None, None) for part in src[key]]
        elif key == "enum":
            out[key] = derive.enum_values(src[key])
        elif key == "required":
            if src[key]:
                out[key] = list(src[key])
        elif key == "properties":
            out[key] = {
                name: convert_schema(
                    prop, desc, None, desc.prop(owner, name, "$ref" in prop) if owner else None
                )
                for name, prop in src[key].items()
            }
        else:
            out[key] = copy.deepcopy(src[key])
    return out


# --------------------------------------------------------------------------- request side

TYPE = "@type"
REQUEST_COPY_SUFFIX = "_FVO"
REQUEST_FORMS = ("_FVO", "_MVO")
_REQUEST_COPY_TEXT = "As `{name}`, in a request body: `@type` may be left out (the server sets it)."
_SCHEMA_REF = "#/components/schemas/"
_VALUE_KEYS = {"enum", "default", "example", "discriminator"}  # values, not schemas


def _refs(value: Any) -> set[str]:
    """The component schemas that ``value`` points to by ``$ref`` (discriminator mappings are
    documentation: they decide nothing under anyOf)."""
    found: set[str] = set()
    if isinstance(value, dict):
        target = value.get("$ref")
        if isinstance(target, str) and target.startswith(_SCHEMA_REF):
            found.add(target.removeprefix(_SCHEMA_REF))
        for key, child in value.items():
            if key not in _VALUE_KEYS:
                found |= _refs(child)
    elif isinstance(value, list):
        for child in value:
            found |= _refs(child)
    return found


def _closure(schemas: dict[str, Any], roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = sorted(roots)
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo.extend(_refs(schemas[name]) - seen)
    return seen


def _requires_type(value: Any) -> bool:
    """Whether a `required` list anywhere in this schema (its own, not its references') holds
    @type."""
    if isinstance(value, dict):
        if isinstance(value.get("required"), list) and TYPE in value["required"]:
            return True
        return any(_requires_type(v) for k, v in value.items() if k not in _VALUE_KEYS)
    if isinstance(value, list):
        return any(_requires_type(v) for v in value)
    return False


def _to_request_side(value: Any, copies: dict[str, str]) -> None:
    """Drop @type from every `required` list of this schema and point its references at the
    request copies (``copies``: original name -> copy name)."""
    if isinstance(value, dict):
        if isinstance(value.get("required"), list) and TYPE in value["required"]:
            value["required"] = [name for name in value["required"] if name != TYPE]
            if not value["required"]:
                del value["required"]
        target = value.get("$ref")
        if isinstance(target, str) and target.removeprefix(_SCHEMA_REF) in copies:
            value["$ref"] = _SCHEMA_REF + copies[target.removeprefix(_SCHEMA_REF)]
        for key, child in value.items():
            if key not in _VALUE_KEYS:
                _to_request_side(child, copies)
    elif isinstance(value, list):
        for child in value:
            _to_request_side(child, copies)


def request_side(
    paths: dict[str, Any], responses: dict[str, Any], schemas: dict[str, Any]
) -> dict[str, Any]:
    """The schemas with @type optional in what clients send (see the module docstring).

    Request schemas are the `X_FVO` and `X_MVO` ones and those that only request bodies reach
    (listener bodies are events: this server sends them). They lose @type from their `required`
    lists. A schema that responses reach too, and that requires @type itself or through what it
    references, keeps its facts and gets a request copy `X_FVO` (its references copied in turn),
    inserted after it, unless the official file has an `X_FVO` (loosened like every request
    form, it serves); request schemas point at the copies."""
    request_roots: set[str] = set()
    response_roots = _refs(responses)
    for item in paths.values():
        for op in item.values():
            body = op.get("requestBody", {})
            if op.get("tags") == ["listener"]:
                response_roots |= _refs(body)
            else:
                request_roots |= _refs(body)
            response_roots |= _refs(op.get("responses", {}))
    requested = _closure(schemas, request_roots)
    answered = _closure(schemas, response_roots)
    loosened = (requested - answered) | {n for n in schemas if n.endswith(REQUEST_FORMS)}
    reached = _closure(schemas, loosened) - loosened
    typed = {name for name in schemas if _requires_type(schemas[name])}
    copied = sorted(n for n in reached if _closure(schemas, {n}) & typed)
    copies = {name: name + REQUEST_COPY_SUFFIX for name in copied}
    out = copy.deepcopy(schemas)
    for name in sorted(loosened):
        _to_request_side(out[name], copies)
    for name, copy_name in copies.items():
        if copy_name in out:
            # The official X_FVO is the request form, loosened above like every X_FVO; it may
            # ask more than X (TMF678's Attachment_FVO requires attachmentType and mimeType) or
            # name other forms (TMF620's EntityRef_FVO names Addressable_FVO).
            continue
        twin = copy.deepcopy(schemas[name])
        _to_request_side(twin, copies)
        twin.pop("description", None)
        out = derive._insert_after(out, name, {copy_name: _description_first(twin, name)})
    return out


def _description_first(twin: dict[str, Any], name: str) -> dict[str, Any]:
    """A request copy with our wording, in SCHEMA_KEYS order."""
    body = dict(twin)
    head = {"type": body.pop("type")} if "type" in body else {}
    return {**head, "description": _REQUEST_COPY_TEXT.format(name=name), **body}


def _accept_null(schema: dict[str, Any], keep: set[str]) -> None:
    """derive.py's rule on every member declaring the schema's own properties; a nullable enum
    lists null too (OpenAPI 3.0.3)."""
    for member in own_members(schema):
        derive._accept_null(member, keep)
        for prop in member.get("properties", {}).values():
            if prop.get("nullable") and "enum" in prop and None not in prop["enum"]:
                prop["enum"] = [*prop["enum"], None]


def _server_rules(resources: set[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """derive.SERVER_RULES by v5 schema name: a resource's rules go to its `_FVO` and `_MVO`."""
    rules: dict[str, dict[str, dict[str, Any]]] = {}
    for base, rule in derive.SERVER_RULES.items():
        if base in RENAMED:
            rules[RENAMED[base]] = rule
        else:
            for name in (f"{base}_FVO", f"{base}_MVO", *(() if base in resources else (base,))):
                rules[name] = rule
    return rules


def convert_schemas(
    official: dict[str, Any], desc: Descriptions, resources: set[str], hub: bool
) -> dict[str, Any]:
    sources = official["components"].get("schemas", {})
    rules = _server_rules(resources)
    schemas: dict[str, Any] = {}
    for name, src in sources.items():
        if name in OFFICIAL_JSON_PATCH:
            continue  # JSON_PATCH_SCHEMAS holds them
        if not src:
            schemas[name] = {}
            continue
        out = convert_schema(src, desc, name, desc.schema(name))
        if name in resources:
            # As served or in an event: `fields` may leave out any attribute, events may carry
            # only the changed ones.
            for member in own_members(out):
                member.pop("required", None)
        if name.endswith("_MVO"):
            base = name.removesuffix("_MVO")
            for member in own_members(out):
                member.pop("required", None)  # the merged result is what is validated
            _accept_null(out, keep=own_required(sources.get(f"{base}_FVO", {})))
            for member in own_members(out):
                for prop in derive.SERVER_KEPT.get(base, ()):
                    member.get("properties", {}).pop(prop, None)
        for prop, rule in rules.get(name, {}).items():
            for member in own_members(out):
                if prop in member.get("properties", {}):
                    derive._state(member["properties"][prop], rule)
        schemas[name] = out
    if hub:
        schemas = _with_hub_delivery(schemas, desc)
    return schemas


def _with_hub_delivery(schemas: dict[str, Any], desc: Descriptions) -> dict[str, Any]:
    """HUB_SECRET joins Hub, the delivery schemas follow the later of Hub and Hub_FVO."""
    hub = schemas[HUB_SCHEMAS[1]]
    members = [m for m in own_members(hub) if "properties" in m] or [hub]
    clashes = (set(derive.HUB_SECRET) & set(own_properties(hub))) | (
        set(HUB_DELIVERY_SCHEMAS) & set(schemas)
    )
    if clashes:
        raise DeriveError(f"the official file already defines {sorted(clashes)}")
    members[-1].setdefault("properties", {}).update(
        {
            name: convert_schema(prop, desc, None, desc.prop(HUB_SCHEMAS[1], name, False))
            for name, prop in derive.HUB_SECRET.items()
        }
    )
    extra = {
        name: convert_schema(src, desc, name, desc.schema(name))
        for name, src in HUB_DELIVERY_SCHEMAS.items()
    }
    return derive._insert_after(schemas, max(HUB_SCHEMAS, key=list(schemas).index), extra)


# --------------------------------------------------------------------------- operations

KINDS = derive.KINDS


def _resolve(official: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """An official parameter, request body or response, its `#/components/...` $ref followed."""
    while "$ref" in item:
        match = re.fullmatch(r"#/components/(\w+)/([^/]+)", item["$ref"])
        if not match or match.group(2) not in official["components"].get(match.group(1), {}):
            raise DeriveError(f"unresolvable $ref {item['$ref']}")
        item = official["components"][match.group(1)][match.group(2)]
    return item


def _json_schema(content: dict[str, Any], where: str) -> dict[str, Any]:
    media = content.get(JSON) or content.get("application/merge-patch+json")
    if not media or "schema" not in media:
        raise DeriveError(f"{where}: no application/json schema")
    schema: dict[str, Any] = media["schema"]
    return schema


def body_text(kind: str, resource: str) -> str:
    if kind == "patch":
        return "Attributes to change as a merge patch, or a JSON Patch (Query) document."
    return derive.body_text(kind, resource)


def convert_parameter(
    official: dict[str, Any], param: dict[str, Any], kind: str, resource: str
) -> dict[str, Any]:
    param = _resolve(official, param)
    if param["in"] == "query" and param["name"] in derive.QUERY_PARAM_COMPONENT:
        return {"$ref": f"#/components/parameters/{derive.QUERY_PARAM_COMPONENT[param['name']]}"}
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
            "schema": {"type": param.get("schema", {}).get("type", "string")},
        }
    raise DeriveError(f"unsupported parameter {param['in']}:{param['name']}")


def convert_operation(
    official: dict[str, Any],
    method: str,
    path: str,
    op: dict[str, Any],
    desc: Descriptions,
    versioned: frozenset[str],
) -> tuple[str, dict[str, Any], set[str]]:
    kind = derive.classify(method, path, KINDS)
    first = path.strip("/").split("/")[0]
    tag = first  # the resource name, or "hub" / "listener"
    resource = derive.words(first)
    out: dict[str, Any] = {"operationId": op["operationId"], "tags": [tag]}
    out.update(desc.operation(op["operationId"]))

    params = [convert_parameter(official, p, kind, resource) for p in op.get("parameters", [])]
    names = {p.get("$ref", p.get("name")) for p in params}
    if kind == "list" and "#/components/parameters/Sort" not in names:
        params.append({"$ref": "#/components/parameters/Sort"})
    if kind == "patch" and "#/components/parameters/Fields" not in names:
        params.append({"$ref": "#/components/parameters/Fields"})
    if kind in ("retrieve", "delete") and first in versioned:
        params.append({"$ref": "#/components/parameters/Version"})
    if params:
        out["parameters"] = params

    if "requestBody" in op:
        request = _resolve(official, op["requestBody"])
        where = f"{op['operationId']} request body"
        body = _json_schema(request["content"], where)
        schema = convert_schema(body, Descriptions({}), None, None)
        if kind == "patch":
            content = {
                media: {"schema": schema if role == "update" else ref(role)}
                for media, role in PATCH_MEDIA_TYPES
            }
        else:
            content = {JSON: derive.with_example({"schema": schema}, desc, op["operationId"])}
        out["requestBody"] = {
            "description": body_text(kind, resource),
            "required": True,
            "content": content,
        }

    official_codes = set(op["responses"]) - DROPPED_CODES
    codes = (official_codes - {"default"}) | set(derive.EXTRA_ERRORS)
    if "default" in official_codes:
        codes |= set(DEFAULT_ERRORS)
    responses: dict[str, Any] = {}
    errors: set[str] = set()
    for code in sorted(codes, key=int):
        if code in ERRORS:
            errors.add(code)
            responses[code] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
            continue
        if not code.startswith("2"):
            raise DeriveError(f"{op['operationId']}: unsupported response {code}")
        resp: dict[str, Any] = {"description": derive.success_text(kind, resource)}
        if kind in ("list", "hubList"):
            resp["headers"] = {
                "X-Total-Count": derive.HEADER_TOTAL,
                "X-Result-Count": derive.HEADER_RESULT,
            }
        if code == "201" and kind in ("create", "hubRegister"):
            resp["headers"] = {
                "Location": {"description": "URL of the new object.", "schema": {"type": "string"}}
            }
        declared = _resolve(official, op["responses"][code]).get("content")
        if declared:
            where = f"{op['operationId']} response {code}"
            schema = convert_schema(_json_schema(declared, where), Descriptions({}), None, None)
            resp["content"] = {JSON: {"schema": schema}}
        responses[code] = resp
        if kind in ("list", "hubList") and code == "200":
            page = copy.deepcopy(resp)
            shown = "subscription" if kind == "hubList" else resource
            page["description"] = f"One page of a larger {shown} result; see X-Total-Count."
            responses["206"] = page
    out["responses"] = responses
    errors |= derive.with_conditions(kind, out)
    errors |= derive.with_idempotency(method, out)
    return tag, out, errors


def resource_schemas(official: dict[str, Any]) -> set[str]:
    """The schemas that the retrieve operations of the official file answer with."""
    names: set[str] = set()
    for path, item in official["paths"].items():
        for method, op in item.items():
            if method != "parameters" and derive.classify(method, path, KINDS) == "retrieve":
                content = _resolve(official, op["responses"]["200"]).get("content", {})
                target = _json_schema(content, op["operationId"]).get("$ref", "")
                names.add(target.removeprefix("#/components/schemas/"))
    return names


# --------------------------------------------------------------------------- document


def with_hub_delivery(official: dict[str, Any]) -> dict[str, Any]:
    """A copy of the official file with the delivery paths (HUB_DELIVERY_PATHS) after its hub."""
    paths = official["paths"]
    clashes = set(HUB_DELIVERY_PATHS) & {p.rstrip("/") for p in paths}
    if clashes:
        raise DeriveError(f"the official file already defines {sorted(clashes)}")
    if not all(n in official["components"].get("schemas", {}) for n in HUB_SCHEMAS):
        raise DeriveError(f"the official file has a hub but not the schemas {HUB_SCHEMAS}")
    out = copy.deepcopy(official)
    last_hub = [p for p in paths if p.strip("/").split("/")[0] == "hub"][-1]
    out["paths"] = derive._insert_after(out["paths"], last_hub, HUB_DELIVERY_PATHS)
    out["paths"] = derive.with_operations(out["paths"], HUB_READ_PATHS)
    return out


def check_known(official: dict[str, Any], desc: Descriptions) -> None:
    """Every name our wording names exists in the official file (own properties included)."""
    definitions = {
        name: {"properties": own_properties(schema)}
        for name, schema in official["components"].get("schemas", {}).items()
        if name not in OFFICIAL_JSON_PATCH
    }
    desc.check_known({"paths": official["paths"], "definitions": definitions})


def api_name(desc: Descriptions) -> str:
    tmf = desc.info.get("x-tmf-api")
    names = {api.name for api in APIS if api.tmf == tmf}
    if len(names) != 1:
        raise DeriveError(
            f"descriptions: info.x-tmf-api must name one registered API (got {tmf!r})"
        )
    return names.pop()


def derive_v5(
    official: dict[str, Any], desc: Descriptions, name: str | None = None
) -> dict[str, Any]:
    """Our document from an official v5 file; ``name`` is the API's base path segment (by
    default, that of the registered API the descriptions file's ``x-tmf-api`` names)."""
    if not str(official.get("openapi", "")).startswith("3.0."):
        raise DeriveError("the official file must be OpenAPI 3.0")
    check_known(official, desc)
    if "title" not in desc.info:
        raise DeriveError("descriptions: info.title is required")
    unknown = set(desc.info) - {"title", "description", "version", "x-tmf-api"}
    if unknown:
        raise DeriveError(f"descriptions: unknown info keys {sorted(unknown)}")
    name = name or api_name(desc)
    if name == derive.ACCOUNT_API:
        official = derive.with_revenue_shares(official)
        desc.add(derive.REVENUE_SHARE_WORDING)
    has_hub = any(path.rstrip("/") == "/hub" for path in official["paths"])
    if has_hub:
        official = with_hub_delivery(official)
        desc.add(HUB_DELIVERY_WORDING)
    ours = set(JSON_PATCH_SCHEMAS) - set(OFFICIAL_JSON_PATCH)
    if ours & set(official["components"].get("schemas", {})):
        raise DeriveError("the official file already defines a JSON Patch Query schema")
    check_json_patch(official)

    info: dict[str, Any] = {"title": desc.info["title"]}
    if "description" in desc.info:
        info["description"] = desc.info["description"]
    version = str(desc.info.get("version") or derive.normalise_version(official["info"]["version"]))
    info["version"] = version
    if "x-tmf-api" in desc.info:
        info["x-tmf-api"] = desc.info["x-tmf-api"]
    info["x-api-name"] = name

    paths: dict[str, Any] = {}
    tag_order: list[str] = []
    used_errors: set[str] = set()
    has_patch = False
    versioned = derive.VERSIONED.get(name, frozenset())
    for path, item in official["paths"].items():
        out_item: dict[str, Any] = {}
        for method, op in item.items():
            if method == "parameters":
                raise DeriveError(f"{path}: path-level parameters are not supported")
            tag, out_op, errors = convert_operation(official, method, path, op, desc, versioned)
            out_item[method] = out_op
            used_errors |= errors
            has_patch |= method == "patch"
            if tag not in tag_order:
                tag_order.append(tag)
        paths[path.rstrip("/") or "/"] = out_item

    tags = derive.ordered_tags(tag_order, desc)

    schemas = convert_schemas(official, desc, resource_schemas(official), has_hub)
    if has_patch:
        schemas.update(copy.deepcopy(JSON_PATCH_SCHEMAS))
    referenced = set(re.findall(r"#/components/parameters/(\w+)", json.dumps(paths)))
    parameters = {k: v for k, v in derive.SHARED_PARAMETERS.items() if k in referenced}
    responses = {
        ERRORS[code][0]: {
            "description": ERRORS[code][1],
            "content": {JSON: {"schema": ref("Error")}},
        }
        for code in sorted(used_errors, key=int)
    }
    if responses and "Error" not in schemas:
        raise DeriveError("the official file has no Error schema")
    schemas = request_side(paths, responses, schemas)

    return derive.with_common_filters(
        {
            "openapi": derive.OPENAPI_VERSION,
            "info": info,
            "servers": [{"url": f"/tmf-api/{name}/v{version.split('.')[0]}"}],
            "tags": tags,
            "paths": paths,
            "components": {"parameters": parameters, "responses": responses, "schemas": schemas},
        }
    )
