"""The hub: `POST /hub` and `DELETE /hub/{id}` (TMF630), reading subscriptions back (`GET /hub`,
`GET /hub/{id}`), and the delivery state of a listener.

A subscription receives the events stored after it was registered, those its `query` selects.
The query uses the list filters' syntax on the event: `eventType=CustomerCreateEvent`,
`event.customer.status=Approved`, `eventType=A,B`; `fields=name,status` keeps only those
attributes of the resource in each event. The response carries the `secret` that signs every
delivery (see notifications/callbacks.py); it is shown only here.

Each subscription records the client that registered it: a client reads, lists and cancels its
own; an administrator (and anyone when the server runs open) sees every one. Subscriptions that
name no owner (registered open, or before owners were recorded) are seen by every client the
hub is open to, as they were before.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import flask

import errors
from handlers.access import ADMIN
from handlers.auth import principal
from handlers.binding import Binding
from handlers.responses import empty_response, json_response, server_url
from notifications import callbacks
from notifications.events import (
    Renamed,
    ResourceEvents,
    event_types,
    hub_selector,
    recorded_selector,
)
from persistence import dates, subscriptions
from persistence.errors import InvalidQuery
from persistence.matching import matches
from settings import Settings
from tmf_apis import editions
from tmf_apis.registry import Api

DEAD_LETTERS_SHOWN = 100
# How long a registration waits on the resolver for its callback's host; a name that has not
# answered by then is registered as one not yet published (each delivery looks it up again).
LOOKUP_TIMEOUT_S = 2.0


class Hub:
    """The hub of one API version."""

    def __init__(self, api: Api, bindings: Sequence[Binding], settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.outbox = bindings[0].store.outbox if bindings else None
        self.types = event_types({b.resource.path: b.schema.field_types for b in bindings})
        self.paths = [b.resource.path for b in bindings]
        # Resources this edition names otherwise than their events are recorded.
        self.renamed = {
            journal.path: Renamed(b.resource.schema, b.resource.path, journal.schema, journal.path)
            for b in bindings
            if isinstance(journal := b.store.journal, ResourceEvents)
            and journal.path != b.resource.path
        }

    def register(self, body: dict[str, Any]) -> flask.Response:
        callback = body["callback"]
        try:
            callbacks.check_callback(
                callback,
                allow_private=self.settings.callback_allow_private,
                require_resolvable=False,
                lookup_timeout=LOOKUP_TIMEOUT_S,
            )
        except callbacks.CallbackRefused as refusal:
            raise errors.BadRequest(str(refusal), reason="Callback not allowed") from None
        text = body.get("query")
        selector, fields = self._selector(text or "")
        assert self.outbox is not None
        subscription = subscriptions.register(
            subscriptions.NewSubscription(
                api=self.api.name,
                base_path=self.api.base_path,
                callback=callback,
                query=text,
                selector=selector,
                fields=fields,
                secret=secrets.token_urlsafe(32),
                # Events from now on; what happened before registration is not replayed.
                positions=self.outbox.tops(),
                owner=_owner(),
            )
        )
        shown: dict[str, Any] = {"id": subscription.subscription_id, "callback": callback}
        if text is not None:
            shown["query"] = text
        shown["secret"] = subscription.secret
        shown = self.api.mapping.to_wire(editions.HUB, shown)
        location = f"{server_url(self.settings.public_url)}{self.api.base_path}/hub/{shown['id']}"
        return json_response(shown, HTTPStatus.CREATED, {"Location": location})

    def _selector(self, text: str) -> tuple[dict[str, Any], list[str] | None]:
        """The query as a filter on stored events (whose resources are in the stored shape),
        and the attributes `fields` keeps (this edition's names: applied as events are sent)."""
        try:
            selector, fields = hub_selector(text, self.types)
        except InvalidQuery as problem:
            raise errors.BadRequest(
                f"query: {problem.message}; a hub query filters on eventType, eventId, "
                "eventTime, fieldPath, correlationId or event.<resource>.<attribute>",
                reason="Invalid query",
            ) from None
        for path in self.paths:
            selector = editions.stored_filter(self.api.mapping, path, selector, f"event.{path}.")
        return recorded_selector(selector, self.renamed), fields

    def retrieve(self, id: str) -> flask.Response:
        """A registered subscription as it was registered, its secret left out."""
        return json_response(self._shown(self._get(id)))

    def listing(self, offset: int = 0, limit: int | None = None) -> flask.Response:
        """The subscriptions the caller sees, oldest first, paged like resource lists."""
        limit = self.settings.max_page_size if limit is None else limit
        total, found = subscriptions.listing(self.api.name, _viewer(), offset, limit)
        headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(found))}
        complete = offset == 0 and len(found) == total
        status = HTTPStatus.OK if complete else HTTPStatus.PARTIAL_CONTENT
        return json_response([self._shown(s) for s in found], status, headers)

    def _shown(self, subscription: subscriptions.Subscription) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": subscription.subscription_id,
            "callback": subscription.callback,
        }
        if subscription.query is not None:
            shown["query"] = subscription.query
        return self.api.mapping.to_wire(editions.HUB, shown)

    def _get(self, id: str) -> subscriptions.Subscription:
        return subscriptions.get(self.api.name, id, _viewer())

    def unregister(self, id: str) -> flask.Response:
        subscriptions.unregister(self.api.name, id, _viewer())
        return empty_response(HTTPStatus.NO_CONTENT)

    def delivery(self, id: str) -> flask.Response:
        return json_response(self._delivery_state(self._get(id)))

    def replay(self, id: str) -> flask.Response:
        subscription = self._get(id)
        subscriptions.queue_replay(subscription.subscription_id)
        if self.outbox is not None:
            self.outbox.notify()
        return json_response(self._delivery_state(self._get(id)))

    def _delivery_state(self, subscription: subscriptions.Subscription) -> dict[str, Any]:
        assert self.outbox is not None
        selector = json.loads(subscription.selector or "{}")
        head = self.outbox.head(self.api.name)
        after = subscriptions.positions_of(subscription.to_mongo(), len(head))
        events = self.outbox.stream(self.api.name, after, head)
        pending = sum(1 for event in events if matches(event, selector))
        state: dict[str, Any] = {
            "id": subscription.subscription_id,
            "callback": subscription.callback,
        }
        if subscription.query is not None:
            state["query"] = subscription.query
        state.update(
            delivered=subscription.delivered or 0,
            pending=pending,
            failedAttempts=subscription.failed_attempts or 0,
            deadLettered=subscriptions.count_dead(subscription.subscription_id),
        )
        optional = {
            "lastError": subscription.last_error,
            "lastErrorTime": subscription.last_error_time,
            "lastDeliveryTime": subscription.last_delivery_time,
        }
        if subscription.attempts:
            retry = datetime.fromtimestamp(subscription.next_attempt or 0, UTC)
            optional["nextAttemptTime"] = dates.format_datetime(retry)
        state.update((k, v) for k, v in optional.items() if v)
        state["deadLetters"] = [
            _dead_letter(letter)
            for letter in subscriptions.dead_letters(
                subscription.subscription_id, DEAD_LETTERS_SHOWN
            )
        ]
        return state


def _owner() -> str | None:
    """Who registers: the calling client, none when the server runs open."""
    caller = principal()
    return None if caller is None else caller.subject or caller.name


def _viewer() -> str | None:
    """Whose subscriptions the caller sees: None for every one (administrator, open server)."""
    caller = principal()
    if caller is None or ADMIN in caller.roles:
        return None
    return caller.subject or caller.name


def _dead_letter(letter: subscriptions.DeadLetter) -> dict[str, Any]:
    shown = {
        "eventId": letter.event_id,
        "eventType": letter.event_type,
        "eventTime": letter.event_time,
        "attempts": letter.attempts,
        "error": letter.error,
        "deadLetteredTime": letter.dead_time,
    }
    return {k: v for k, v in shown.items() if v is not None}
