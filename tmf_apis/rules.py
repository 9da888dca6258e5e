"""The hooks through which an API adds its own behaviour to the generic create, patch and delete."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from persistence.errors import NotFound
from persistence.store import ResourceStore
from persistence.versions import VersionedStore

if TYPE_CHECKING:
    from settings import Settings

Document = dict[str, Any]
# Runs when a domain event it reacts to is published: given the publishing write's context and
# the event's facts.
Reaction = Callable[..., None]


@dataclass(frozen=True)
class RuleContext:
    """What a hook may use: the time of this write and the stores of the server's resources."""

    now: str
    stores: Mapping[str, ResourceStore]  # by resource schema name, e.g. "ProductOffering"
    versions: Mapping[str, VersionedStore] = field(default_factory=dict)  # versioned ones
    # The server's configuration, for rules an operator tunes (billing's tax rates).
    settings: Settings | None = None
    # The caller's roles (handlers/access.py), for rules that depend on who acts; None when the
    # server runs open or the server itself acts.
    roles: frozenset[str] | None = None
    # The party a scoped caller (a channel, a partner) acts for and its relatedParty role; None
    # for everyone else. Rules hold such a caller to what that party may name (orders).
    party: tuple[str, str] | None = None
    # Every API's reactions to domain events, by event name (tmf_apis/domain.py).
    reactions: Mapping[str, Sequence[Reaction]] = field(default_factory=dict)
    # What `resolve` found during this write: pricing and validation read the same offerings.
    _resolved: dict[tuple[str, object, object], Document | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    def acts_as(self, *roles: str) -> bool:
        """Whether the caller holds one of `roles` (always, on an open server)."""
        return self.roles is None or bool(self.roles & set(roles))

    def publish(self, event: str, **facts: Any) -> None:
        """Tell the APIs that react to `event` (tmf_apis/domain.py), in this write."""
        for react in self.reactions.get(event, ()):
            react(self, **facts)

    def store(self, schema: str) -> ResourceStore:
        return self.stores[schema]

    def resolve(self, schema: str, reference: Mapping[str, Any]) -> Document | None:
        """The entity a reference `{id, version?}` points at here, or None: the named version
        of a versioned resource, else its latest."""
        # repr: a client's reference may hold any JSON value, hashable or not.
        key = (schema, repr(reference.get("id")), repr(reference.get("version")))
        if key not in self._resolved:
            self._resolved[key] = self._lookup(schema, reference)
        return self._resolved[key]

    def prefetch(self, schema: str, references: Iterable[Mapping[str, Any]]) -> None:
        """Read with one query the latest entities `references` name (those naming no version,
        not read yet), for `resolve` to answer from: an order's offerings, then their prices."""
        store = (
            self.versions[schema].current if schema in self.versions else self.stores.get(schema)
        )
        keys = {}
        for reference in references:
            resource_id, version = reference.get("id"), reference.get("version")
            key = (schema, repr(resource_id), repr(version))
            if isinstance(resource_id, str) and version is None and key not in self._resolved:
                keys[resource_id] = key
        if store is None or len(keys) < 2:
            return  # one is read as cheaply by `resolve`
        found = {str(d["id"]): d for d in store.find_all({"id": {"$in": list(keys)}})}
        for resource_id, key in keys.items():
            self._resolved[key] = found.get(resource_id)

    def _lookup(self, schema: str, reference: Mapping[str, Any]) -> Document | None:
        if schema in self.versions:
            return self.versions[schema].resolve(reference)
        resource_id = reference.get("id")
        if not isinstance(resource_id, str) or schema not in self.stores:
            return None
        try:
            return self.stores[schema].get(resource_id)
        except NotFound:
            return None


class Rules:
    """Default rules: nothing beyond the generic TMF630 behaviour.

    The `on_` hooks run before the write: they may complete the document and may raise an
    `errors.TmfError` (e.g. Conflict for an illegal state move), and nothing is written then.
    The `after_` hooks run once the write is stored, to keep other resources consistent with it.
    """

    def on_create(self, document: Document, context: RuleContext) -> None:
        """Set the attributes and states the resource owns on a new document."""

    def on_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        """Check and complete a patched document; `before` is the stored one."""

    def on_delete(self, document: Document, context: RuleContext) -> None:
        """Refuse the deletion (by raising) when the rules forbid it."""

    def settle(self, document: Document, context: RuleContext) -> Document | None:
        """What a new document becomes as soon as it is stored, when the rules can tell before
        the write (an order that its validation moves on); None when it stays as created. It is
        stored that way in the create's own write, with the events of both the creation and the
        change, so no process can stop between the two; the creator is shown `document`."""
        return None

    def after_create(self, document: Document, context: RuleContext) -> None:
        """Update other resources after a create (`document` as stored: settled, if it was)."""

    def resume_create(self, document: Document, context: RuleContext) -> None:
        """Finish what `after_create` leaves undone when its request stopped after the write: a
        retry under the same Idempotency-Key found the document (handlers/idempotency.py). Work
        that a sweeper already finishes, or that must not run twice, stays out."""

    def after_patch(self, before: Document, after: Document, context: RuleContext) -> None:
        """Update other resources after a patch."""

    def after_delete(self, document: Document, context: RuleContext) -> None:
        """Update other resources after a delete."""
