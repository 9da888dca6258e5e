"""PATCH bodies applied to a stored document: Merge Patch (RFC 7396), JSON Patch (RFC 6902) and
JSON Patch Query (TMF630 part 5: a JSON Patch whose paths may select array elements by a query).

A JSON Patch Query path is a pointer with a query: `/contactMedium/emailAddress?contactMedium.id=1`
or `/productOrderItem/billingAccount/id?productOrderItem.id=120`. Each query name is a dotted
path whose first part names an array on the pointer (`contactMedium`) and whose rest names an
attribute of its elements (`id`); a name that starts with no array of the pointer
(`/contactMedium/preferred?city=Paris`) is an attribute of the elements of the pointer's first
array. The operation applies to every element whose attributes have those values (compared as
text), as if the patch named each by its index. A query that selects no element is refused
(409), as a pointer to nothing is.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qsl

import jsonpatch
import jsonpointer

import errors

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
JSON_PATCH_QUERY = "application/json-patch-query+json"
# TMF clients (and the v4 CTKs) send merge patches as plain JSON.
PLAIN_JSON = "application/json"


def apply(document: dict[str, Any], patch: Any, media_type: str) -> dict[str, Any]:
    """The patched copy of `document`; the original is left untouched."""
    if media_type == JSON_PATCH:
        return _json_patch(document, patch)
    if media_type == JSON_PATCH_QUERY:
        if not isinstance(patch, list):
            raise errors.BadRequest("a JSON Patch Query must be an array of operations")
        return _json_patch(document, [op for o in patch for op in _selected(document, o)])
    if media_type in (MERGE_PATCH, PLAIN_JSON):
        if not isinstance(patch, dict):
            raise errors.BadRequest("a merge patch must be a JSON object")
        return merge(document, patch)
    raise errors.UnsupportedMediaType(
        f"PATCH accepts {PLAIN_JSON}, {MERGE_PATCH}, {JSON_PATCH} and {JSON_PATCH_QUERY}, not "
        f"{media_type or 'no type'}"
    )


def merge(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, null removes, anything else (arrays too) replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _json_patch(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply the operations in turn to one copy, so that a failure names its operation; nothing
    is kept unless all apply (RFC 6902)."""
    if not isinstance(operations, list):
        raise errors.BadRequest("a JSON Patch must be an array of operations")
    patched: Any = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        patched = _apply_one(patched, index, operation)
    if not isinstance(patched, dict):
        raise errors.BadRequest("a JSON Patch may not replace the resource with a non-object")
    return patched


def _apply_one(document: Any, index: int, operation: Any) -> Any:
    if not isinstance(operation, dict):
        raise errors.BadRequest(f"JSON Patch operation {index} is not an object")
    name = f"JSON Patch operation {index} ({operation.get('op')} {operation.get('path')})"
    try:
        return jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
    except jsonpatch.JsonPatchTestFailed:
        # RFC 5789: a test that fails means the resource is not in the state the client expects.
        raise errors.Conflict(
            f"{name} failed: the value at {operation.get('path')} is not the one tested",
            reason="JSON Patch test failed",
        ) from None
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException):
        # A well-formed operation that does not fit the resource as it is now.
        raise errors.Conflict(
            f"{name} does not fit the resource: {_missing(operation)}",
            reason="JSON Patch does not apply",
        ) from None
    except (jsonpatch.JsonPatchException, TypeError, KeyError, ValueError):
        raise errors.BadRequest(
            f"{name} is malformed: an operation has `op` (add, remove, replace, move, copy or "
            "test), `path` (a JSON Pointer), and `value` (add, replace, test) or `from` (move, "
            "copy)",
            reason="Malformed JSON Patch",
        ) from None


def _missing(operation: dict[str, Any]) -> str:
    op = operation.get("op")
    if op in ("move", "copy"):
        return f"`from` {operation.get('from')} or the parent of `path` is not in the resource"
    if op in ("remove", "replace", "test"):
        return f"{operation.get('path')} is not in the resource"
    return (
        f"the parent of {operation.get('path')} is not in the resource (or the index is past "
        "the end of its array)"
    )


def _selected(document: dict[str, Any], operation: Any) -> list[Any]:
    """The plain JSON Patch operations a JSON Patch Query operation stands for."""
    if not isinstance(operation, dict) or "?" not in str(operation.get("path", "")):
        return [operation]
    pointer, _, text = str(operation["path"]).partition("?")
    segments = pointer.split("/")[1:]
    conditions = parse_qsl(text, keep_blank_values=True)
    if not conditions:
        raise errors.BadRequest(f"JSON Patch Query path {operation['path']!r} has an empty query")
    array_name = conditions[0][0].split(".", 1)[0]
    if array_name in segments:
        if any(name.split(".", 1)[0] != array_name or "." not in name for name, _ in conditions):
            raise errors.BadRequest(
                f"JSON Patch Query path {operation['path']!r}: every query name is "
                "<array>.<attribute> for one array of the path"
            )
        # Names relative to the elements from here on.
        conditions = [(name.split(".", 1)[1], value) for name, value in conditions]
        at = segments.index(array_name) + 1
    else:
        found = next(
            (
                n
                for n in range(1, len(segments) + 1)
                if isinstance(_at(document, segments[:n]), list)
            ),
            None,
        )
        if found is None:
            raise errors.BadRequest(
                f"JSON Patch Query path {operation['path']!r}: no array on the path to select in"
            )
        at = found
        array_name = segments[at - 1]
    items = _at(document, segments[:at])
    if not isinstance(items, list):
        raise errors.Conflict(
            f"JSON Patch Query path {operation['path']!r}: /{'/'.join(segments[:at])} is not an "
            "array of the resource",
            reason="JSON Patch does not apply",
        )
    chosen = [
        index
        for index, item in enumerate(items)
        if all(_text(_at(item, name.split("."))) == value for name, value in conditions)
    ]
    if not chosen:
        raise errors.Conflict(
            f"JSON Patch Query path {operation['path']!r} selects no element of {array_name}",
            reason="JSON Patch does not apply",
        )
    expanded = []
    for index in chosen:
        path = "/" + "/".join([*segments[:at], str(index), *segments[at:]])
        expanded.append({**operation, "path": path})
    return expanded


def _at(value: Any, segments: list[str]) -> Any:
    for segment in segments:
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return None
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
