"""The hooks through which an API adds its own behaviour to the generic create, patch and delete."""

from __future__ import annotations

from typing import Any

Document = dict[str, Any]


class Rules:
    """Default rules: nothing beyond the generic TMF630 behaviour.

    A hook may change the document it is given and may raise an `errors.TmfError` (e.g. Conflict
    for an illegal state move). Hooks run before anything is written.
    """

    def on_create(self, document: Document, now: str) -> None:
        """Set the attributes and states the resource owns on a new document."""

    def on_patch(self, before: Document, after: Document, now: str) -> None:
        """Check and complete a patched document; `before` is the stored one."""

    def on_delete(self, document: Document) -> None:
        """Refuse the deletion (by raising) when the rules forbid it."""
