"""Where schemathesis and our server disagree on purpose, each with its reason.

A schemathesis failure is accepted only when one of these explains it precisely (by check,
operation, status and the request itself); anything else fails the conformance tests.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import errors
from app import load_spec
from conformance import SchemathesisFailure
from handlers.patching import JSON_PATCH_QUERY
from notifications.callbacks import CallbackRefused, check_callback
from notifications.events import event_types, hub_selector
from persistence import dates
from persistence.documents import check_storable
from persistence.errors import InvalidDocument, InvalidQuery
from specs.tools.derive import STORABLE_POINTER
from specs.tools.derive_v5 import QUERY_POINTER
from tmf_apis import APIS
from tmf_apis.rules import RuleContext, Rules
from tmf_apis.schema import ResourceSchema, describe
from tmf_apis.tmf620.rules import STATUSES, bundle_problem
from tmf_apis.tmf666.revenue_shares import SettlementAccountRules
from tmf_apis.tmf666.rules import BALANCE, LAST_MODIFIED, AccountRules
from tmf_apis.tmf666.v5 import ACCOUNTS, LAST_UPDATE
from tmf_apis.tmf676.rules import PaymentRules, RefundRules
from tmf_apis.tmf678.bill_runs import BillRunRules
from tmf_apis.tmf678.on_demand import OnDemandRules

_SEGMENT = r"[A-Za-z0-9_@][A-Za-z0-9_@\-]*"
_ATTRIBUTE = rf"{_SEGMENT}(\.{_SEGMENT})*"
_FIELDS = re.compile(f"^{_ATTRIBUTE}(,{_ATTRIBUTE})*$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# Attributes TMF620 v4.0.0 types as strings and v4.1.0, which our spec follows, as integers.
_NARROWED_IN_4_1 = re.compile(
    r"Schema at /definitions/\w+/properties/(valueFrom|valueTo):\s+\{\s+\"type\": \"string\""
)
_TYPE_ENUM_BROKEN = re.compile(r"violates `enum` at \S*/properties/@type\s*$", re.M)
_CALLBACK = re.compile(r"^https?://[^/?#@:]+(:[0-9]+)?([/?#].*)?$")
# Official enum values written with white space around them, which our documents and the server
# write without (specs/README.md): TMF622's and TMF637's product status.
_PADDED_ENUM_VALUES = frozenset({"aborted "})
_POINTER = re.compile(STORABLE_POINTER)
_QUERY_POINTER = re.compile(QUERY_POINTER)


@dataclass(frozen=True)
class Deviation:
    name: str
    why: str
    applies: Callable[[SchemathesisFailure], bool]


def _last_command(failure: SchemathesisFailure) -> list[str]:
    """The words of the last curl command in the reproduction."""
    commands = [line for line in (failure.reproduce or "").splitlines() if line.startswith("curl")]
    return shlex.split(commands[-1]) if commands else []


def _last_request(failure: SchemathesisFailure) -> tuple[str, str, Any]:
    """Method, URL and parsed JSON body of the last curl command in the reproduction."""
    words = _last_command(failure)
    if not words:
        return "", "", None
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
    return method, words[-1], body


def _content_type(failure: SchemathesisFailure) -> str:
    """The Content-Type of the last curl command in the reproduction."""
    words = _last_command(failure)
    for flag, value in zip(words, words[1:], strict=False):
        name, _, given = value.partition(":")
        if flag == "-H" and name.strip().lower() == "content-type":
            return given.strip()
    return ""


def _queried_patch(failure: SchemathesisFailure) -> bool:
    """A JSON Patch Query whose paths hold a query (`...?name=value`)."""
    operations = _last_request(failure)[2]
    return (
        _content_type(failure) == JSON_PATCH_QUERY
        and isinstance(operations, list)
        and any(isinstance(o, dict) and "?" in str(o.get("path", "")) for o in operations)
    )


def _body_dict(failure: SchemathesisFailure) -> dict[str, Any]:
    body = _last_request(failure)[2]
    return body if isinstance(body, dict) else {}


def _patched_id(failure: SchemathesisFailure) -> str:
    """The id in the last request's path: the resource it patches."""
    return urlsplit(_last_request(failure)[1]).path.rstrip("/").rsplit("/", 1)[-1]


def _query(failure: SchemathesisFailure) -> dict[str, list[str]]:
    return parse_qs(urlsplit(_last_request(failure)[1]).query, keep_blank_values=True)


def _unstorable(failure: SchemathesisFailure) -> bool:
    try:
        check_storable(_last_request(failure)[2])
    except InvalidDocument:
        return True
    return False


# What tests/conftest.py gives the servers it starts.
_TEST_MAX_BODY_BYTES = 64 * 1024


def _over_the_size_limit(failure: SchemathesisFailure) -> bool:
    """A 413 for a body schemathesis cut short in the reproduction, or one that, as printed, is at
    least the limit: the printed body escapes non-ASCII characters, so it is never shorter than
    what was sent, and a shorter one cannot have been too large."""
    if failure.status_code != 413:
        return False
    if "bytes total" in (failure.reproduce or ""):
        return True
    words = _last_command(failure)
    sent = words[words.index("-d") + 1] if "-d" in words else ""
    return len(sent.encode()) >= _TEST_MAX_BODY_BYTES


def _is(
    check: str, method: str, path_prefix: str, status: int | None = None
) -> Callable[..., bool]:
    def matches(failure: SchemathesisFailure) -> bool:
        operation_method, _, path = failure.operation.partition(" ")
        return (
            failure.check == check
            and operation_method == method
            and path.startswith(path_prefix)
            and (status is None or failure.status_code == status)
        )

    return matches


def _refused_with_400(*methods: str) -> Callable[[SchemathesisFailure], bool]:
    """Valid data refused with 400 by one of these methods."""
    return lambda f: (
        f.check == "positive_data_acceptance"
        and f.status_code == 400
        and f.operation.split(" ")[0] in methods
    )


def _both(*tests: Callable[[SchemathesisFailure], bool]) -> Callable[[SchemathesisFailure], bool]:
    return lambda failure: all(test(failure) for test in tests)


def _incomplete_patch(operation: Any) -> bool:
    """A JSON Patch operation without the member its `op` needs (`value`, `from`)."""
    if not isinstance(operation, dict):
        return False
    needs = {"add": "value", "replace": "value", "test": "value", "move": "from", "copy": "from"}
    wanted = needs.get(str(operation.get("op")))
    return wanted is not None and wanted not in operation


def _improper_patch(failure: SchemathesisFailure) -> bool:
    """A JSON Patch (Query) operation that RFC 6902 and our documents refuse: without the member
    its `op` needs, or with a `path` or `from` that is no pointer to a storable attribute."""
    media = _content_type(failure)
    if media not in ("application/json-patch+json", JSON_PATCH_QUERY):
        return False
    paths = _QUERY_POINTER if media == JSON_PATCH_QUERY else _POINTER
    operations = _last_request(failure)[2]
    if not isinstance(operations, list):
        return False
    return any(
        not isinstance(o, dict)
        or _incomplete_patch(o)
        or not paths.match(str(o.get("path", "")))
        or ("from" in o and not _POINTER.match(str(o["from"])))
        for o in operations
    )


def _values(body: Any) -> list[Any]:
    """Every value in a JSON body, at any depth."""
    if isinstance(body, dict):
        return [v for value in body.values() for v in [value, *_values(value)]]
    if isinstance(body, list):
        return [v for value in body for v in [value, *_values(value)]]
    return []


def _padded_enum_value(failure: SchemathesisFailure) -> bool:
    """The request names an official enum value written with white space around it, or the
    response holds the value without it, which the official file does not list."""
    if failure.check == "response_schema_conformance":
        # schemathesis quotes the value as JSON; jsonschema, as Python.
        said = failure.message or ""
        return any(
            f"{quoted} is not one of" in said
            for v in _PADDED_ENUM_VALUES
            for quoted in (json.dumps(v.strip()), repr(v.strip()))
        )
    if failure.check != "positive_data_acceptance" or failure.status_code != 400:
        return False
    sent = _values(_last_request(failure)[2])
    return any(isinstance(v, str) and v in _PADDED_ENUM_VALUES for v in sent)


def _link_filled_negative(failure: SchemathesisFailure) -> bool:
    """A stateful case whose body schemathesis generated as invalid syntax, then filled with a
    value an earlier answer gave (`{"id": ...}`): what it sent is a well-formed JSON object."""
    return (
        failure.check == "negative_data_rejection"
        and failure.label == "Stateful tests"
        and "invalid syntax" in (failure.message or "")
        and isinstance(_last_request(failure)[2], dict)
    )


def _storage_rule(failure: SchemathesisFailure) -> bool:
    return (
        failure.check == "positive_data_acceptance"
        and failure.status_code == 400
        and _unstorable(failure)
    )


def _sub_class_shown(failure: SchemathesisFailure) -> bool:
    return failure.check == "response_schema_conformance" and (failure.message or "").startswith(
        "Response contains discriminator property '@type' with value"
    )


def _sub_class_accepted(failure: SchemathesisFailure) -> bool:
    # schemathesis reads a discriminator mapping as an enum of @type and breaks that enum.
    return failure.check == "negative_data_rejection" and bool(
        _TYPE_ENUM_BROKEN.search(failure.message or "")
    )


def _schemas() -> list[tuple[str, str, ResourceSchema]]:
    """(API base path, resource path, what its schema says) for every resource of our specs."""
    specs = Path(__file__).parents[2] / "specs"
    found = []
    for api in APIS:
        spec = load_spec(specs / api.spec)
        found += [
            (base, r.path, describe(spec, r.schema))
            for r in api.resources
            for base in api.base_paths
        ]
    return found


_SCHEMAS = _schemas()


def _event_types() -> dict[str, dict[str, str]]:
    """What each API's hub queries may filter on, by the API's base path."""
    fields: dict[str, dict[str, dict[str, str]]] = {}
    for base, path, schema in _SCHEMAS:
        fields.setdefault(base, {})[path] = schema.field_types
    return {base: event_types(by_path) for base, by_path in fields.items()}


_HUB_QUERY_TYPES = _event_types()


def _attribute_paths() -> dict[str, frozenset[str]]:
    """What `fields` and `sort` may name, by each resource's collection path."""
    return {f"{base}/{path}": schema.attribute_paths for base, path, schema in _SCHEMAS}


_ATTRIBUTE_PATHS = _attribute_paths()


def _names_unknown_attribute(failure: SchemathesisFailure) -> bool:
    """A `fields` or `sort` value names an attribute the resource's schema does not have."""
    url = _last_request(failure)[1]
    path = urlsplit(url).path
    known = next(
        (
            names
            for base, names in _ATTRIBUTE_PATHS.items()
            if path.rstrip("/") == base or path.startswith(base + "/")
        ),
        None,
    )
    if known is None:
        return False
    query = _query(failure)
    named = [n for v in query.get("fields", []) for n in v.split(",") if n not in ("", "none")]
    named += [n.lstrip("+-") for v in query.get("sort", []) for n in v.split(",") if n]
    return any(n not in known and n not in ("id", "href") for n in named)


def _unknown_hub_query(failure: SchemathesisFailure) -> bool:
    """The hub `query` names something the API's events do not hold, or a malformed value."""
    _, url, body = _last_request(failure)
    text = (body or {}).get("query") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return False
    path = urlsplit(url).path
    types = next((t for base, t in _HUB_QUERY_TYPES.items() if path.startswith(base)), None)
    if types is None:
        return False
    try:
        hub_selector(text, types)
    except InvalidQuery:
        return True
    return False


def _refused_callback(failure: SchemathesisFailure) -> bool:
    """The hub `callback` is a target the server does not post to (a private, loopback or
    unspecified address, credentials in the URL): refused as the server's default settings do."""
    body = _last_request(failure)[2]
    callback = body.get("callback") if isinstance(body, dict) else None
    if not isinstance(callback, str):
        return False
    try:
        check_callback(callback, allow_private=False, require_resolvable=False)
    except CallbackRefused:
        return True
    return False


# The attribute listing the components of each kind of catalog bundle.
_BUNDLE_COMPONENTS = {
    "/productOffering": "bundledProductOffering",
    "/productSpecification": "bundledProductSpecification",
    "/productOfferingPrice": "bundledPopRelationship",
}


def _inconsistent_bundle(failure: SchemathesisFailure) -> bool:
    components = _BUNDLE_COMPONENTS.get(failure.operation.partition(" ")[2])
    return components is not None and bundle_problem(_body_dict(failure), components) is not None


def _names_reserved(failure: SchemathesisFailure) -> bool:
    """The body (a merge patch, or the paths of a JSON Patch) names a top-level `_` attribute."""
    body = _last_request(failure)[2]
    if isinstance(body, dict):
        return any(str(k).startswith("_") for k in body)
    if isinstance(body, list):
        return any(isinstance(op, dict) and str(op.get("path", "")).startswith("/_") for op in body)
    return False


def _refused_by(rules: Rules) -> Callable[[SchemathesisFailure], bool]:
    """The create rule of a resource refuses the request's body with a TMF error."""

    def refuses(failure: SchemathesisFailure) -> bool:
        try:
            rules.on_create(dict(_body_dict(failure)), RuleContext(now=dates.now(), stores={}))
        except errors.TmfError:
            return True
        return False

    return refuses


# The paths of TMF666's accounts, and what the server keeps of them.
_ACCOUNT_PATHS = tuple(f"/{path}" for path in ACCOUNTS)
_KEPT_BY_THE_SERVER = frozenset({BALANCE, LAST_MODIFIED, LAST_UPDATE})


def _account_refusal(check: str, method: str, status: int) -> Callable[[SchemathesisFailure], bool]:
    return lambda f: any(_is(check, method, path, status)(f) for path in _ACCOUNT_PATHS)


def _names_kept_account_attribute(failure: SchemathesisFailure) -> bool:
    """The patch (merge or JSON Patch) names an account attribute the server keeps."""
    return _patch_names(failure, _KEPT_BY_THE_SERVER)


def _patch_names(failure: SchemathesisFailure, names: Iterable[str]) -> bool:
    """The patch (merge or JSON Patch) names one of these attributes."""
    body, wanted = _last_request(failure)[2], set(names)
    if isinstance(body, dict):
        return bool(wanted & set(body))
    return isinstance(body, list) and any(
        isinstance(o, dict) and _first_segment(str(o.get("path", ""))) in wanted for o in body
    )


def _server_owned() -> dict[str, frozenset[str]]:
    """Each resource's path (`/category/`) -> the attributes the server keeps on it (in every
    API serving that path)."""
    owned: dict[str, set[str]] = {}
    for api in APIS:
        for resource in api.resources:
            owned.setdefault(f"/{resource.path}/", set()).update(resource.server_owned)
    return {path: frozenset(names) for path, names in owned.items()}


_SERVER_OWNED = _server_owned()


def _patches_server_owned(failure: SchemathesisFailure) -> bool:
    """The patch names an attribute the server keeps on the resource it patches."""
    path = failure.operation.partition(" ")[2]
    owned = next((n for prefix, n in _SERVER_OWNED.items() if path.startswith(prefix)), None)
    return owned is not None and _patch_names(failure, owned)


def _first_segment(pointer: str) -> str:
    """The attribute a JSON Pointer (a JSON Patch Query's too) starts at."""
    return pointer.lstrip("/").split("/")[0].split("?")[0]


def _names_an_account(order: dict[str, Any]) -> bool:
    """Whether the order or one of its items (nested ones too) names a billing account."""
    if isinstance(order.get("billingAccount"), dict):
        return True
    items = order.get("productOrderItem")
    return isinstance(items, list) and any(
        isinstance(item, dict) and _names_an_account(item) for item in items
    )


def _names_a_non_uri(value: Any, name: str) -> bool:
    """Whether an object anywhere in `value` has an attribute `name` that is no URI."""
    if isinstance(value, dict):
        href = value.get(name)
        if isinstance(href, str) and not _URI.match(href):
            return True
        return any(_names_a_non_uri(v, name) for v in value.values())
    return isinstance(value, list) and any(_names_a_non_uri(v, name) for v in value)


# Both for our spec and the official ones.
DELIBERATE = [
    Deviation(
        "fields and sort name the resource's attributes",
        "A spec cannot list the attribute paths `fields` and `sort` may name; the server takes "
        "those of the resource's schema, as for filters, and refuses any other with 400 rather "
        "than ignore it.",
        _both(_refused_with_400("GET", "PATCH", "POST"), _names_unknown_attribute),
    ),
    Deviation(
        "callback target",
        "The v4 files take any callback; the server posts events only to public http(s) "
        "addresses and refuses the others at registration (notifications/callbacks.py).",
        _both(_is("positive_data_acceptance", "POST", "/hub", 400), _refused_callback),
    ),
    Deviation(
        "hub query",
        "The v4 files take any string as the hub `query`; the server reads it as a filter on the "
        "events (eventType, event.<resource>.<attribute>, ...) and refuses one naming an "
        "attribute the events do not have, or a value of the wrong type, rather than deliver "
        "nothing.",
        _both(_is("positive_data_acceptance", "POST", "/hub", 400), _unknown_hub_query),
    ),
    Deviation(
        "unstorable attribute names and numbers",
        "Attribute names that start with '$' (operator-like), contain '.' or NUL, or are empty, "
        "and integers beyond 64 bits cannot be stored in MongoDB as they are; the server refuses "
        "them with 400. OpenAPI 3.0 cannot state rules on attribute names, so schemathesis "
        "generates them as extension attributes.",
        _storage_rule,
    ),
    Deviation(
        "bodies over the size limit",
        "The server refuses a request body larger than its configured maximum (64 KiB in the "
        "tests) with 413 before reading it, whatever the body holds; schemathesis sometimes "
        "generates bodies that large.",
        _over_the_size_limit,
    ),
    Deviation(
        "catalog bundle rules",
        "A schema cannot tie `isBundle` to the list of components, or order a bundle option's "
        "limits; the server refuses contradicting bundles (tmf_apis/tmf620/rules.py) with 400.",
        _both(_is("positive_data_acceptance", "POST", "/", 400), _inconsistent_bundle),
    ),
    Deviation(
        "a create the resource could not show",
        "The v5 request schemas let a reference leave out the id (and other attributes) that the "
        "v5 resource schema requires, and take what the stored (v4) shape refuses (a v5 "
        "`@schemaLocation` that is no URI, a related order item without the ids v4 requires); "
        "the server refuses with 422, which the v5 files do not declare on create, a create "
        "whose resource it, or another edition, could not show as the spec describes it, rather "
        "than store it.",
        _both(
            lambda f: any(
                _is(check, "POST", "/", 422)(f)
                for check in ("positive_data_acceptance", "status_code_conformance")
            ),
            lambda f: "/v5/" in _last_request(f)[1],
        ),
    ),
    Deviation(
        "a bill's cycle is its bill run's",
        "TMF678 v5 lets a PATCH of a bill name its `billCycle`; a bill's cycle is the one the "
        "bill run billed it in (tmf_apis/tmf678/cycles.py), which the server sets and refuses "
        "to change with 400.",
        _both(
            _is("positive_data_acceptance", "PATCH", "/customerBill", 400),
            lambda f: "billCycle" in _body_dict(f),
        ),
    ),
    Deviation(
        "a discount's duration is read by the catalog",
        "A discount price says how long it lasts with one `productOfferingTerm` duration in units "
        "the server can count (tmf_apis/durations.py); the schema cannot say so, and the server "
        "refuses another with 422 (which the v4 files do not declare on create) rather than "
        "store a discount that would never end.",
        _both(
            lambda f: any(
                _is(check, method, "/productOfferingPrice", 422)(f)
                for method in ("POST", "PATCH")
                for check in ("positive_data_acceptance", "status_code_conformance")
            ),
            lambda f: "productOfferingTerm" in _body_dict(f),
        ),
    ),
    Deviation(
        "an id is never patched",
        "The v5 update forms (`*_MVO`) list `id`; an id names the resource for good, so a PATCH "
        "whose body names another id than the one in its path is refused with 400 "
        "(handlers/resources.py; resending the same id is accepted).",
        _both(
            _is("positive_data_acceptance", "PATCH", "/", 400),
            lambda f: _body_dict(f).get("id", _patched_id(f)) != _patched_id(f),
        ),
    ),
    Deviation(
        "JSON Patch Query paths are held to TMF630",
        "A JSON Patch Query path is a JSON Pointer with a query whose names are attribute paths "
        "of an array on the pointer (TMF630 part 5, handlers/patching.py); the documents type "
        "a path as any string, so schemathesis sends queries that name no such array, which "
        "the server refuses with 400 (one that selects no element, 409).",
        _both(_is("positive_data_acceptance", "PATCH", "/", 400), _queried_patch),
    ),
    Deviation(
        "informationRequired is held to the JSON Patch rules",
        "TMF622 v5 events name the information an order needs as a JSON Patch operation "
        "(`informationRequired`), and the official examples leave out what the operation needs "
        "(an `add` without its `value`). Our documents hold every JSON Patch to the rules a PATCH "
        "body follows (specs/README.md), so the listener stubs refuse such an operation. The "
        "server itself raises no InformationRequired event.",
        _both(
            _is("positive_data_acceptance", "POST", "/listener/", 400),
            lambda f: f.operation.endswith("InformationRequiredEvent"),
            lambda f: _incomplete_patch(
                (_body_dict(f).get("event") or {}).get("informationRequired")
            ),
        ),
    ),
    Deviation(
        "a sub-class @type is kept",
        "A client may name a sub-class in `@type` (TMF630), which the server keeps and shows; "
        "the v5 files' discriminator mappings list only their own class names, so schemathesis "
        "calls any other value unknown, in a response or in a request it expects refused.",
        _both(
            lambda f: "/v5/" in _last_request(f)[1],
            lambda f: _sub_class_shown(f) or _sub_class_accepted(f),
        ),
    ),
    Deviation(
        "a POST naming an id adds a version",
        "The TMF620 v5 create forms take an `id`; for offerings, prices and specifications the "
        "server reads a POST naming one as a new version of that entity (TMF630 part 4, "
        "tmf_apis/tmf620/rules.py) and refuses an id it does not hold with 400.",
        _both(
            lambda f: any(
                _is("positive_data_acceptance", "POST", path, 400)(f)
                for path in ("/productOffering", "/productSpecification")
            ),
            lambda f: "id" in _body_dict(f),
        ),
    ),
    Deviation(
        "a value still valid under another anyOf member",
        "Our v5 documents state overlapping unions as `anyOf` (specs/README.md; the official "
        "files write them as `oneOf`); schemathesis breaks an attribute of one member (an "
        "Attachment's mimeType, a PartyRole's statusReason) and expects a refusal, but the value "
        "is still valid under another member (an AttachmentRef, a PartyRef, which declare "
        "neither), so the listener rightly accepts it.",
        _both(
            _is("negative_data_rejection", "POST", "/listener/"),
            lambda f: "/anyOf/" in (f.message or "") or "/oneOf/" in (f.message or ""),
        ),
    ),
    Deviation(
        "a negative body filled by a stateful link",
        "In its stateful phase schemathesis may generate a body as invalid syntax (random "
        'bytes), then fill it with a value an earlier answer gave (`{"id": ...}`) and still '
        "expect a refusal; the request it sent is a well-formed object, which the server takes "
        "(a client's id is replaced, a left-out `@type` is set: README.md, specs/README.md).",
        _both(_is("negative_data_rejection", "POST", "/"), _link_filled_negative),
    ),
    Deviation(
        "JSON Patch that would make the resource invalid",
        "A JSON Patch `value` takes the type of the attribute it targets, which the schema "
        "cannot state; a patch that would leave the resource invalid gets 422 (RFC 5789).",
        _is("positive_data_acceptance", "PATCH", "/", 422),
    ),
    Deviation(
        "reserved attribute names",
        "The v4 schemas allow any extra attribute; top-level names starting with `_` hold the "
        "server's own bookkeeping (revisions, pending events, tombstones), so a body with one "
        "is refused with 400.",
        _both(_refused_with_400("POST", "PATCH"), _names_reserved),
    ),
    Deviation(
        "bill state and product status removal",
        "Our update schemas accept null for every attribute (a merge patch removes with it); a "
        "bill always has a state and a product a status (their lifecycles move them), so "
        "`state: null` on a bill and `status: null` on a product are refused with 400.",
        _both(
            lambda f: any(
                _is("positive_data_acceptance", "PATCH", path, 400)(f)
                and name in _body_dict(f)
                and _body_dict(f)[name] is None
                for path, name in (("/customerBill", "state"), ("/product", "status"))
            ),
        ),
    ),
    Deviation(
        "bill on demand target",
        "TMF678 v4.0.0 requires nothing in a CustomerBillOnDemand; a request that names neither "
        "the billingAccount nor the relatedParty to bill is refused with 400 rather than stored "
        "to fail.",
        _both(
            _is("positive_data_acceptance", "POST", "/customerBillOnDemand", 400),
            _refused_by(OnDemandRules()),
        ),
    ),
    Deviation(
        "bill run period",
        "Our billRun extension's schema cannot say that its billingPeriod needs both ends, the "
        "start first, nor that a billingCycleSpecification it names must be held here; the "
        "server refuses other periods with 400 and an unknown cycle with 422.",
        _both(
            lambda f: any(
                _is("positive_data_acceptance", "POST", "/billRun", status)(f)
                for status in (400, 422)
            ),
            _refused_by(BillRunRules()),
        ),
    ),
    Deviation(
        "account states and hierarchy",
        "The TMF666 files take any string as an account's `state` and any account in its "
        "`accountRelationship`; the server takes the states of the account lifecycle (not "
        "Closed on creation: tmf_apis/tmf666/lifecycle.py) and relationships naming accounts it "
        "holds (tmf_apis/tmf666/hierarchy.py), and a settlement account's revenueShare (our "
        "extension) with one entry per offering and one default at most "
        "(tmf_apis/tmf666/revenue_shares.py); it refuses others with 422, which the v4 files "
        "do not declare on create.",
        _both(
            lambda f: (
                _account_refusal("positive_data_acceptance", "POST", 422)(f)
                or _account_refusal("status_code_conformance", "POST", 422)(f)
            ),
            lambda f: any(
                _refused_by(rules)(f) for rules in (AccountRules(), SettlementAccountRules())
            ),
        ),
    ),
    Deviation(
        "orders name accounts held here",
        "The TMF622 files take any billingAccount on an order or its items; with TMF666 served "
        "the server takes only an Active billing account of the order's customer (or its "
        "account hierarchy) and refuses another with 422 before storing the order "
        "(tmf_apis/tmf622/accounts.py), which the v4 file does not declare on create; made-up "
        "account ids name none.",
        _both(
            lambda f: any(
                _is(check, "POST", "/productOrder", 422)(f)
                for check in ("positive_data_acceptance", "status_code_conformance")
            ),
            lambda f: _names_an_account(_body_dict(f)),
        ),
    ),
    Deviation(
        "payments name what can be paid",
        "The TMF676 file takes any account, amount and bill in a payment or refund; the server "
        "applies the money, so it refuses with 422 (which the v4 file does not declare on "
        "create) an account or bill it does not hold, an amount that is not above zero or in "
        "another currency, and a refund of more than its payment holds (tmf_apis/tmf676/rules.py).",
        _both(
            lambda f: any(
                _is(check, "POST", path, 422)(f)
                for check in ("positive_data_acceptance", "status_code_conformance")
                for path in ("/payment", "/refund")
            ),
            lambda f: any(_refused_by(rules)(f) for rules in (PaymentRules(), RefundRules())),
        ),
    ),
    Deviation(
        "the time of the last change is the server's",
        "Several v5 `*_MVO` forms (TMF620's catalog entities among them) list `lastUpdate`; the "
        "server stamps it on every write and refuses a PATCH that sets another value with 400 "
        "(handlers/resources.py, non-patchable attributes). Stateful runs send one read from an "
        "earlier answer, by then no longer the stored one.",
        _both(
            _is("positive_data_acceptance", "PATCH", "/", 400),
            lambda f: _patch_names(f, {"lastUpdate"}),
        ),
    ),
]

# The page size the test server is configured with (tests/conftest.py).
TEST_MAX_PAGE_SIZE = 200
MAX_OFFSET = 2**31 - 1


def _beyond_bounds(failure: SchemathesisFailure) -> bool:
    query = _query(failure)
    return any(not 0 <= int(v) <= TEST_MAX_PAGE_SIZE for v in query.get("limit", [])) or any(
        not 0 <= int(v) <= MAX_OFFSET for v in query.get("offset", [])
    )


# Only where the official files say something our server does differently on purpose.
OFFICIAL_FILE = [
    Deviation(
        "attributes the server keeps",
        "The official update schemas list attributes the server keeps itself (TMF620: a "
        "category's `isRoot` and `subCategory`, which follow from `parentId`; every resource's "
        "`id` and `href`); a PATCH that changes one is refused with 400 (handlers/resources.py), "
        "as our specs state by leaving them out of the update forms.",
        _both(_is("positive_data_acceptance", "PATCH", "/", 400), _patches_server_owned),
    ),
    Deviation(
        "overlapping oneOf in the v5 files",
        "The v5 files give polymorphic values (a party or party role, an attachment or its "
        "reference) as a `oneOf` whose members overlap: a PartyRef is also a valid PartyRoleRef, "
        "so no value matches exactly one, and JSON Schema (which ignores `discriminator`) "
        "refuses every one. Our v5 documents state them as `anyOf` (specs/README.md).",
        lambda f: (
            "valid under more than one of the schemas listed in the 'oneOf'" in (f.message or "")
        ),
    ),
    Deviation(
        "bodiless 204 with a JSON content type",
        "The v4 files declare `produces: application/json;charset=utf-8` for the whole API, so "
        "schemathesis expects a Content-Type even on a 204 without a body.",
        _is("content_type_conformance", "DELETE", "/", 204),
    ),
    Deviation(
        "206 for a page",
        "TMF630 answers a partial list with 206; the v4 files declare only 200 for lists.",
        _is("status_code_conformance", "GET", "/", 206),
    ),
    Deviation(
        "fields syntax",
        "The v4 files declare `fields` as free text; the server takes comma-separated attribute "
        "names only and refuses anything else with 400.",
        _both(
            _refused_with_400("GET", "POST", "PATCH"),
            lambda f: any(not _FIELDS.match(v) for v in _query(f).get("fields", [])),
        ),
    ),
    Deviation(
        "limit and offset bounds",
        "The v4 files put no bounds on `limit` and `offset`; the server takes 0 to its configured "
        "page size for `limit` and 0 to 2^31-1 for `offset`.",
        _both(_is("positive_data_acceptance", "GET", "/", 400), lambda f: _beyond_bounds(f)),
    ),
    Deviation(
        "merge patch bodies",
        "The v4 `*_Update` schemas require attributes (TMF629: engagedParty) and allow no null; a "
        "merge patch is partial (the CTK patches only `name`) and removes attributes with null.",
        _is("negative_data_rejection", "PATCH", "/"),
    ),
    Deviation(
        "callback URL",
        "The v4 files take any string as the hub `callback`; events are posted to it, so the "
        "server requires an absolute http(s) URL.",
        _both(
            _is("positive_data_acceptance", "POST", "/hub", 400),
            lambda f: not _CALLBACK.match(str((_last_request(f)[2] or {}).get("callback", ""))),
        ),
    ),
    Deviation(
        "enum values written with white space",
        "The official TMF622 and TMF637 files list the product status `'aborted '` with a "
        "trailing space; our documents and the server write it `aborted` (specs/README.md), "
        "refuse the spaced spelling with 400 and show the value without the space.",
        _padded_enum_value,
    ),
    Deviation(
        "JSON Patch held to RFC 6902",
        "The v5 files type a JSON Patch operation's `path` and `from` as any string and require "
        "neither `value` nor `from`; our documents hold each operation to RFC 6902 (a JSON "
        "Pointer to a storable attribute, `value` for add, replace and test, `from` for move "
        "and copy; specs/README.md), and the server refuses another with 400.",
        _both(_is("positive_data_acceptance", "PATCH", "/", 400), _improper_patch),
    ),
    Deviation(
        "catalog lifecycle values",
        "The v4 files take any string as `lifecycleStatus`; the server takes the TMF catalog "
        "lifecycle values (tmf_apis/tmf620/rules.py) on create and patch.",
        _both(
            lambda f: f.check == "positive_data_acceptance" and f.status_code == 400,
            lambda f: f.operation.split(" ")[0] in ("POST", "PATCH"),
            lambda f: str((_body_dict(f)).get("lifecycleStatus", "In study")) not in STATUSES,
        ),
    ),
    Deviation(
        "hrefs and schema locations are URIs",
        "TMF620 v4.0.0 takes any string as an `href` or `@schemaLocation` in a body; v4.1.0, "
        "which our spec follows, requires a URI, and the server refuses another with 400.",
        _both(
            lambda f: f.check == "positive_data_acceptance" and f.status_code == 400,
            lambda f: f.operation.split(" ")[0] in ("POST", "PATCH"),
            lambda f: any(
                _names_a_non_uri(_last_request(f)[2], name) for name in ("href", "@schemaLocation")
            ),
        ),
    ),
    Deviation(
        "the category tree is the server's",
        "TMF620 v4.0.0's `Category_Update` lists `isRoot`; v4.1.0, which our spec follows, "
        "does not: the server keeps it from `parentId` and refuses a PATCH that changes it with "
        "400.",
        _both(
            _is("positive_data_acceptance", "PATCH", "/category", 400),
            lambda f: "isRoot" in _body_dict(f),
        ),
    ),
    Deviation(
        "job URLs",
        "TMF620 v4.0.0 takes any string as a job `url`; v4.1.0, which our spec follows, "
        "requires a URI.",
        _both(
            _is("positive_data_acceptance", "POST", "/", 400),
            lambda f: f.operation.endswith("Job"),
            lambda f: not _URI.match(str(_body_dict(f).get("url", "x:"))),
        ),
    ),
    Deviation(
        "attribute selection",
        "The v4 resource schemas require attributes (TMF629: engagedParty) in every response, "
        "which `fields` selection leaves out by design (TMF630 Part 1).",
        _both(
            lambda f: f.check == "response_schema_conformance" and "fields" in _query(f),
            lambda f: "is a required property" in f.message,
        ),
    ),
    Deviation(
        "TMF620 v4.0.0 event schemas",
        "Our TMF620 spec follows v4.1.0, whose event schemas differ from v4.0.0's (types narrowed, "
        "attributes moved); the listeners validate events against v4.1.0.",
        _both(
            lambda f: f.check in ("negative_data_rejection", "positive_data_acceptance"),
            lambda f: f.operation.startswith("POST /listener/"),
            lambda f: "productCatalogManagement" in (f.reproduce or ""),
        ),
    ),
    Deviation(
        "TMF620 v4.0.0 characteristic ranges",
        "TMF620 v4.0.0 types `valueFrom`/`valueTo` of characteristic values as strings; v4.1.0, "
        "which our spec follows, as integers, so a range stored as v4.1.0 has it is listed "
        "with integers.",
        _both(
            lambda f: f.check == "response_schema_conformance",
            lambda f: bool(_NARROWED_IN_4_1.search(f.message)),
        ),
    ),
    Deviation(
        "unprocessable patches",
        "The v4 files declare no 422; the server answers it, as RFC 5789 has it, to a well-formed "
        "patch that its rules refuse (a result that breaks the schema, a bundle left "
        "inconsistent).",
        _is("status_code_conformance", "PATCH", "/", 422),
    ),
    Deviation(
        "a resource's type is set on creation",
        "TMF620 v4.0.0's `*_Update` schemas list `@type` and `@baseType`; v4.1.0, which our "
        "spec follows, lists neither, and the server refuses a PATCH that changes them with 400 "
        "(sending the stored value again is accepted).",
        _both(
            _is("positive_data_acceptance", "PATCH", "/", 400),
            lambda f: bool({"@type", "@baseType"} & set(_body_dict(f))),
        ),
    ),
    Deviation(
        "server-set order attributes",
        "TMF622 v4.0.0 lets a PATCH set `completionDate`, `cancellationDate` and "
        "`cancellationReason`; the server sets them itself (on completion, through "
        "cancelProductOrder) and refuses a change of them with 400, as our spec states.",
        _both(
            _is("positive_data_acceptance", "PATCH", "/productOrder", 400),
            lambda f: bool(
                {"completionDate", "cancellationDate", "cancellationReason"} & set(_body_dict(f))
            ),
        ),
    ),
    Deviation(
        "server-kept account attributes",
        "The TMF666 files let a PATCH set an account's `accountBalance` (v4's financial "
        "accounts, every v5 account) and the time of its last change (v4 `lastModified`, v5 "
        "`lastUpdate`); the server keeps both (payments and bills keep the balance, every write "
        "stamps the time: tmf_apis/tmf666/rules.py) and refuses a change of them with 400, as "
        "our specs state.",
        _both(
            _account_refusal("positive_data_acceptance", "PATCH", 400),
            _names_kept_account_attribute,
        ),
    ),
    Deviation(
        "partial event payloads",
        "The v4 event schemas embed the full resource schema with its required attributes; "
        "events about changes and deletions carry only some attributes, so the listener accepts "
        "them without.",
        _both(
            _is("negative_data_rejection", "POST", "/listener/"),
            # schemathesis words it either way, depending on how it broke the payload.
            lambda f: (
                "Missing required property" in f.message or "violates `required`" in f.message
            ),
        ),
    ),
]


def unexplained(
    failures: tuple[SchemathesisFailure, ...], deviations: list[Deviation]
) -> list[SchemathesisFailure]:
    return [f for f in failures if not any(d.applies(f) for d in deviations)]


def _if_match_not_met(failure: SchemathesisFailure) -> bool:
    """A PATCH or DELETE refused with 412 whose If-Match names a tag, never `*`: schemathesis
    makes tags up, and a made-up tag names no state of the resource."""
    if not _is("positive_data_acceptance", "PATCH", "/", 412)(failure) and not _is(
        "positive_data_acceptance", "DELETE", "/", 412
    )(failure):
        return False
    words = _last_command(failure)
    sent = [
        value.partition(":")[2].strip()
        for flag, value in zip(words, words[1:], strict=False)
        if flag == "-H" and value.partition(":")[0].strip().lower() == "if-match"
    ]
    return bool(sent) and "*" not in sent


DELIBERATE.append(
    Deviation(
        "conditional requests",
        "If-Match (declared on PATCH and DELETE with 412) makes the change only while the "
        "resource is at a tag it names; a valid but made-up tag names none, so 412 is the answer "
        "the spec declares for it, not a refusal of valid data (README, conditional requests).",
        _if_match_not_met,
    )
)


def _idempotency_key_reused(failure: SchemathesisFailure) -> bool:
    """A POST refused with 422 that carried an Idempotency-Key: schemathesis draws keys from a
    small space and sends one key with several different bodies."""
    if not _is("positive_data_acceptance", "POST", "/", 422)(failure):
        return False
    return _sends_header(_last_command(failure), "idempotency-key")


def _sends_header(words: list[str], name: str) -> bool:
    """Whether a curl command (its words) sends the header `name` (lower case)."""
    return any(
        flag == "-H" and value.partition(":")[0].strip().lower() == name
        for flag, value in zip(words, words[1:], strict=False)
    )


DELIBERATE.append(
    Deviation(
        "idempotency keys reused",
        "A key names one request of one client (method, path, query and body) for "
        "TMF_IDEMPOTENCY_HOURS; sent again with another request it is refused with 422, the "
        "answer the spec declares, which is no refusal of valid data (README, safe retries).",
        _idempotency_key_reused,
    )
)


def _creation_replayed(failure: SchemathesisFailure) -> bool:
    """A stateful POST that carried an Idempotency-Key and then found its resource gone:
    schemathesis sends a key it sent before with the same request, so the server answers with
    the first answer, naming a resource the run has since deleted."""
    if failure.check != "ensure_resource_availability" or failure.label != "Stateful tests":
        return False
    commands = [line for line in (failure.reproduce or "").splitlines() if line.startswith("curl")]
    if not commands:
        return False
    words = shlex.split(commands[0])
    return "POST" in words and _sends_header(words, "idempotency-key")


DELIBERATE.append(
    Deviation(
        "idempotent creation replayed",
        "A POST sent again with its Idempotency-Key gets the first answer again, even when the "
        "resource it created has since been deleted: the retry must not create a second one "
        "(README, safe retries). A stateful run that deletes, then replays the POST, finds the "
        "named resource gone.",
        _creation_replayed,
    )
)
