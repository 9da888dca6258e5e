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
    if not isinstance(operations, list):
        raise errors.BadRequest("a JSON Patch must be an array of operations")
    try:
        patched = jsonpatch.JsonPatch(operations).apply(document, in_place=False)
    except jsonpatch.JsonPatchTestFailed as failure:
        raise errors.Conflict(f"JSON Patch test failed: {failure}") from None
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as failure:
        # RFC 5789: a well-formed patch that does not fit the resource's current state.
        raise errors.Conflict(f"JSON Patch does not fit the resource: {failure}") from None
    except jsonpatch.JsonPatchException as failure:
        raise errors.BadRequest(f"JSON Patch cannot be applied: {failure}") from None
    except (TypeError, KeyError, ValueError) as failure:
        raise errors.BadRequest(f"malformed JSON Patch operation: {failure}") from None
    if not isinstance(patched, dict):
        raise errors.BadRequest("a JSON Patch may not replace the resource with a non-object")
    return patched
