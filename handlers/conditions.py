"""TMF630 conditional requests: the `ETag` of a resource and the `If-Match` and `If-None-Match`
preconditions that name it.

A tag is weak (`W/"..."`): the same stored state is shown differently by each edition and by
each `fields` selection, and the tag names the state, not the bytes. It is the stored revision
(`_rev`, which every write increments); a version of a versioned resource (TMF620 catalog
entities) adds its version, and an archived version, which keeps no revision, a digest of what
it holds. Both preconditions compare tags weakly (RFC 9110 section 8.8.3.2), `If-Match` too:
with weak tags only, a strong comparison would never match.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import flask
import orjson

import errors

# One entity-tag of a list: optionally weak, then a quoted opaque tag (RFC 9110 section 8.8.3).
_ENTITY_TAG = re.compile(r'\s*(?:W/)?"([^"]*)"\s*(?:,|$)')


def etag(revision: int, version: Any = None, versioned: bool = False) -> str:
    """The tag of a stored revision; of a versioned resource, of that version at that revision."""
    if not versioned:
        return f'W/"{revision}"'
    return f'W/"{_version(version)}:r{revision}"'


def archived_etag(document: dict[str, Any]) -> str:
    """The tag of an archived version: it keeps no revision, so what it holds names it."""
    held = orjson.dumps(document, option=orjson.OPT_SORT_KEYS, default=str)
    return f'W/"{_version(document.get("version"))}:h{hashlib.sha256(held).hexdigest()[:20]}"'


def _version(version: Any) -> str:
    # Percent-encoded, so that any version string is valid inside a tag and ':' stays a separator.
    return "" if version is None else quote(str(version), safe="")


@dataclass(frozen=True)
class Condition:
    """The entity-tags of an `If-Match` or `If-None-Match` header, or `*` (any)."""

    any: bool
    tags: frozenset[str]  # the opaque tags, weakness left out (weak comparison)

    def matches(self, tag: str) -> bool:
        return self.any or _opaque(tag) in self.tags


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/").strip('"')


def _condition(header: str) -> Condition | None:
    values = flask.request.headers.getlist(header)
    if not values:
        return None
    text = ", ".join(values).strip()
    if text == "*":
        return Condition(True, frozenset())
    tags, position = set(), 0
    while position < len(text):
        found = _ENTITY_TAG.match(text, position)
        if found is None:
            # Not a list of entity-tags: it names no state of the resource, so it matches none.
            return Condition(False, frozenset())
        tags.add(found.group(1))
        position = found.end()
    return Condition(False, frozenset(tags))


def if_match() -> Condition | None:
    return _condition("If-Match")


def not_modified(tag: str) -> bool:
    """True when the request's `If-None-Match` names `tag` (or is `*`): answer 304."""
    condition = _condition("If-None-Match")
    return condition is not None and condition.matches(tag)


def require(condition: Condition | None, tag: str) -> None:
    """Raise 412 unless `If-Match` (when there is one) names the resource's current tag."""
    if condition is not None and not condition.matches(tag):
        raise errors.PreconditionFailed(
            f"If-Match does not name the current state of the resource (its ETag is {tag})",
            reason="Precondition failed",
            headers={"ETag": tag},
        )


def lost_race(tag: str) -> errors.PreconditionFailed:
    """A conditional write that another write overtook after the check: the tag it named is no
    longer the current one, and retrying onto the newer state would ignore the condition."""
    return errors.PreconditionFailed(
        f"the resource changed while the request was processed; it is no longer at {tag}",
        reason="Precondition failed",
    )
