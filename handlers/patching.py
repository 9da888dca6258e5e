"""PATCH bodies applied to a stored document: Merge Patch (RFC 7396) and JSON Patch (RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

import errors

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
# TMF clients (and the v4 CTKs) send merge patches as plain JSON.
PLAIN_JSON = "application/json"


def apply(document: dict[str, Any], patch: Any, media_type: str) -> dict[str, Any]:
    """The patched copy of `document`; the original is left untouched."""
    if media_type == JSON_PATCH:
        return _json_patch(document, patch)
    if media_type in (MERGE_PATCH, PLAIN_JSON):
        if not isinstance(patch, dict):
            raise errors.BadRequest("a merge patch must be a JSON object")
        return merge(document, patch)
    raise errors.UnsupportedMediaType(
        f"PATCH accepts {PLAIN_JSON}, {MERGE_PATCH} and {JSON_PATCH}, not {media_type or 'no type'}"
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
