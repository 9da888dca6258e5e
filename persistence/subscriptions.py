"""Hub subscriptions: the listeners registered with `POST /hub`, kept for event delivery."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mongoengine import DateTimeField, Document, StringField
from mongoengine.errors import DoesNotExist

from persistence.errors import NotFound

MONGOENGINE_ALIAS = "tmf"


class Subscription(Document):  # type: ignore[misc]  # mongoengine has no type information
    """One listener of one API (e.g. customerManagement), whatever version registered it."""

    subscription_id = StringField(primary_key=True)
    api = StringField(required=True)
    callback = StringField(required=True)
    query = StringField()
    created = DateTimeField(required=True)

    meta = {
        "collection": "hub_subscriptions",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": ["api"],
    }


def register(api: str, callback: str, query: str | None) -> Subscription:
    subscription = Subscription(
        subscription_id=str(uuid.uuid4()),
        api=api,
        callback=callback,
        query=query,
        created=datetime.now(UTC),
    )
    subscription.save(force_insert=True)
    return subscription


def unregister(api: str, subscription_id: str) -> None:
    try:
        Subscription.objects.get(subscription_id=subscription_id, api=api).delete()
    except DoesNotExist:
        raise NotFound(f"no hub subscription with id {subscription_id!r}") from None
