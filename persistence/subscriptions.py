"""Hub subscriptions and their delivery state: the listeners registered with `POST /hub`.

Each subscription reads the event outbox in order from its `positions` (in each partition of the
outbox, the number of the last event it has dealt with). Only the worker holding its lease
(`lease_owner` until `lease_until`) delivers for it, so several workers share the subscriptions
without sending one event twice at the same time, and each subscription's events leave in order.
Every state change below is made only by the lease holder. Times used for scheduling are
seconds since the epoch.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    FloatField,
    IntField,
    StringField,
)
from mongoengine.errors import DoesNotExist
from mongoengine.queryset.visitor import Q
from pymongo import ReturnDocument

from persistence import dates
from persistence.errors import NotFound
from persistence.outbox import Outbox

MONGOENGINE_ALIAS = "tmf"


class Subscription(Document):  # type: ignore[misc]  # mongoengine has no type information
    """One listener of one API (e.g. customerManagement), whatever version registered it."""

    subscription_id = StringField(primary_key=True)
    api = StringField(required=True)
    # The API version's base path the listener registered at; the hrefs in its events use it.
    base_path = StringField()
    callback = StringField(required=True)
    query = StringField()
    # The query as a MongoDB filter on stored events (JSON), and the attributes `fields` keeps.
    selector = StringField(default="{}")
    fields = StringField()
    # HMAC key of the signature header.
    secret = StringField()
    # The client that registered it (its subject); none when the server ran open, or for
    # subscriptions registered before owners were recorded.
    owner = StringField()
    created = DateTimeField(required=True)
    # By partition (its number as a string): the last event dealt with.
    positions = DictField(default=dict)
    # The one position of subscriptions from before partitions; `take_positions` moves it.
    position = IntField()
    delivered = IntField(default=0)
    failed_attempts = IntField(default=0)
    # Failures in a row of the event now at the head, since `first_failure`.
    attempts = IntField(default=0)
    first_failure = FloatField()
    next_attempt = FloatField(default=0)
    last_error = StringField()
    last_error_time = StringField()
    last_delivery_time = StringField()
    # Dead letters queued again by a replay wait for delivery.
    replaying = BooleanField(default=False)
    lease_owner = StringField()
    lease_until = FloatField(default=0)

    meta = {
        "collection": "hub_subscriptions",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": ["api"],
    }


class DeadLetter(Document):  # type: ignore[misc]
    """An event a subscription gave up on; kept, with a copy of the event (the outbox forgets old
    events), until a replay delivers it."""

    subscription_id = StringField(required=True)
    number = IntField(required=True)  # the event's number in the outbox
    event = DictField(required=True)
    event_id = StringField(required=True)
    event_type = StringField(required=True)
    event_time = StringField()
    attempts = IntField(default=0)
    error = StringField()
    dead_time = StringField()
    replay = BooleanField(default=False)

    meta = {
        "collection": "hub_dead_letters",
        "db_alias": MONGOENGINE_ALIAS,
        "indexes": [
            {"fields": ["subscription_id", "number"], "unique": True},
            ["subscription_id", "replay", "number"],
        ],
    }


@dataclass(frozen=True)
class NewSubscription:
    api: str
    base_path: str
    callback: str
    query: str | None
    selector: dict[str, Any]
    fields: list[str] | None
    secret: str
    positions: list[int]
    owner: str | None = None


def register(new: NewSubscription) -> Subscription:
    subscription = Subscription(
        subscription_id=str(uuid.uuid4()),
        api=new.api,
        base_path=new.base_path,
        callback=new.callback,
        query=new.query,
        selector=json.dumps(new.selector),
        fields=",".join(new.fields) if new.fields is not None else None,
        secret=new.secret,
        owner=new.owner,
        created=datetime.now(UTC),
        positions=stored_positions(new.positions),
    )
    subscription.save(force_insert=True)
    return subscription


def _visible(api: str, viewer: str | None) -> Any:
    """The API's subscriptions a caller sees: every one when `viewer` is None (the operator, or
    a server running open), else the viewer's own and those that name no owner."""
    found = Subscription.objects(api=api)
    return found if viewer is None else found.filter(Q(owner=viewer) | Q(owner=None))


def get(api: str, subscription_id: str, viewer: str | None = None) -> Subscription:
    """One subscription; another client's is as unknown as one that does not exist."""
    try:
        return _visible(api, viewer).get(subscription_id=subscription_id)
    except DoesNotExist:
        raise NotFound(f"no hub subscription with id {subscription_id!r}") from None


def listing(
    api: str, viewer: str | None, offset: int, limit: int
) -> tuple[int, list[Subscription]]:
    """(how many the viewer sees, one page of them, oldest first)."""
    found = _visible(api, viewer)
    page = found.order_by("created", "subscription_id").skip(offset).limit(limit)
    return int(found.count()), list(page)


def unregister(api: str, subscription_id: str, viewer: str | None = None) -> None:
    get(api, subscription_id, viewer).delete()
    DeadLetter.objects(subscription_id=subscription_id).delete()


def dead_letters(subscription_id: str, limit: int) -> list[DeadLetter]:
    found = DeadLetter.objects(subscription_id=subscription_id, replay=False)
    return list(found.order_by("-number").limit(limit))


def count_dead(subscription_id: str) -> int:
    return int(DeadLetter.objects(subscription_id=subscription_id, replay=False).count())


def queue_replay(subscription_id: str) -> int:
    """Queue every dead letter of the subscription for delivery again; returns how many."""
    queued = DeadLetter.objects(subscription_id=subscription_id, replay=False).update(
        set__replay=True
    )
    if queued:
        Subscription.objects(subscription_id=subscription_id).update_one(
            set__replaying=True, set__next_attempt=0
        )
    return int(queued)


# ---------------------------------------------------------------- the worker's side, by lease


class Lease:
    """A worker's hold on one subscription; every write checks the hold is still this one's."""

    def __init__(self, document: dict[str, Any], owner: str) -> None:
        self.subscription = document
        self.owner = owner
        # Set once a write found the subscription held by another (or released).
        self.lost = False
        self._collection = Subscription._get_collection()

    @property
    def id(self) -> str:
        return str(self.subscription["_id"])

    def update(self, change: dict[str, Any]) -> bool:
        """Apply a MongoDB update to the subscription; False if the lease was lost."""
        found = self._collection.find_one_and_update(
            {"_id": self.id, "lease_owner": self.owner},
            change,
            return_document=ReturnDocument.AFTER,
        )
        if found is None:
            self.lost = True
            return False
        self.subscription = found
        return True

    @property
    def seconds_left(self) -> float:
        return float(self.subscription.get("lease_until") or 0) - time.time()

    def renew(self, seconds: float) -> bool:
        return self.update({"$set": {"lease_until": time.time() + seconds}})

    def release(self) -> None:
        self._collection.update_one(
            {"_id": self.id, "lease_owner": self.owner},
            {"$set": {"lease_owner": None, "lease_until": 0}},
        )


def stored_positions(positions: list[int]) -> dict[str, int]:
    return {str(partition): number for partition, number in enumerate(positions)}


@dataclass(frozen=True)
class Lag:
    """How far one subscription's delivery is behind."""

    subscription_id: str
    api: str
    backlog: int  # events of its API it has not dealt with yet, selected by its query or not
    oldest: str | None  # eventTime of the oldest of them
    dead_letters: int


def lags(outbox: Outbox) -> list[Lag]:
    """Every subscription's lag, read from the outbox and the dead letters."""
    heads = outbox.heads()
    count = outbox.partitions
    letters = DeadLetter._get_collection()
    # Mostly there are none: then no aggregate (`/health` asks on every probe).
    dead = (
        {
            str(found["_id"]): int(found["n"])
            for found in letters.aggregate(
                [
                    {"$match": {"replay": False}},
                    {"$group": {"_id": "$subscription_id", "n": {"$sum": 1}}},
                ]
            )
        }
        if letters.estimated_document_count()
        else {}
    )
    found = []
    for subscription in Subscription._get_collection().find({}, {"api": 1, "positions": 1}):
        api = str(subscription.get("api"))
        head = heads.get(api) or [0] * count
        backlog, oldest = outbox.backlog(api, positions_of(subscription, count), head)
        sid = str(subscription["_id"])
        found.append(Lag(sid, api, backlog, oldest, dead.get(sid, 0)))
    return found


def positions_of(subscription: dict[str, Any], count: int) -> list[int]:
    """A stored subscription's position in each of the `count` partitions."""
    stored = subscription.get("positions") or {}
    return [int(stored.get(str(p)) or 0) for p in range(count)]


def take_positions(count: int) -> int:
    """Give subscriptions from before partitions a position in each: their one position, in
    every partition (the events they had not read are all in partition 0, numbered as before;
    every later number is above it). Safe to repeat and to stop anywhere; returns how many it
    moved."""
    collection = Subscription._get_collection()
    moved = 0
    for found in collection.find({"positions": {"$exists": False}}, {"position": 1}):
        position = int(found.get("position") or 0)
        result = collection.update_one(
            {"_id": found["_id"], "positions": {"$exists": False}},
            {"$set": {"positions": stored_positions([position] * count)}},
        )
        moved += result.modified_count
    return moved


def due(heads: dict[str, list[int]], now: float) -> list[dict[str, Any]]:
    """Subscriptions behind their API's newest events (`heads`, by API, by partition) or
    replaying, with no live lease, whose retry time has come: their id, API, edition (base
    path), positions, selector and replay flag."""
    behind: list[dict[str, Any]] = [
        {"api": api, f"positions.{partition}": {"$lt": head}}
        for api, partitions in heads.items()
        for partition, head in enumerate(partitions)
        if head
    ]
    found = Subscription._get_collection().find(
        {
            "$and": [
                {"$or": [*behind, {"replaying": True}]},
                {"$or": [{"next_attempt": {"$lte": now}}, {"next_attempt": None}]},
                {"$or": [{"lease_until": {"$lt": now}}, {"lease_until": None}]},
            ]
        },
        # base_path: the edition, whose listeners hear only what it declares.
        {"_id": 1, "api": 1, "positions": 1, "selector": 1, "replaying": 1, "base_path": 1},
    )
    return list(found)


def find(subscription_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = Subscription._get_collection().find_one({"_id": subscription_id})
    return found


def moved_to(positions: list[int]) -> dict[str, Any]:
    """The update that moves a subscription's positions forward to `positions` (never back)."""
    return {"$max": {f"positions.{p}": number for p, number in enumerate(positions)}}


def skip_to(subscription_ids: list[str], positions: list[int]) -> None:
    """Move positions forward over events the subscriptions do not select. Needs no lease: a
    lease holder cannot be delivering one of them, and positions only grow."""
    if subscription_ids:
        Subscription._get_collection().update_many(
            {"_id": {"$in": subscription_ids}}, moved_to(positions)
        )


def acquire(subscription_id: str, owner: str, seconds: float) -> Lease | None:
    now = time.time()
    found = Subscription._get_collection().find_one_and_update(
        {
            "_id": subscription_id,
            "$or": [{"lease_until": {"$lt": now}}, {"lease_until": None}],
        },
        {"$set": {"lease_owner": owner, "lease_until": now + seconds}},
        return_document=ReturnDocument.AFTER,
    )
    return Lease(found, owner) if found is not None else None


def next_replay(subscription_id: str) -> DeadLetter | None:
    found = DeadLetter.objects(subscription_id=subscription_id, replay=True).order_by("number")
    return found.first()


def bury(subscription_id: str, event: dict[str, Any], attempts: int, error: str) -> None:
    """Record (or re-record, after a failed replay) an event given up on."""
    DeadLetter._get_collection().update_one(
        {"subscription_id": subscription_id, "number": event["_id"]},
        {
            "$set": {
                "event": event,
                "event_id": event["eventId"],
                "event_type": event["eventType"],
                "event_time": event.get("eventTime"),
                "attempts": attempts,
                "error": error,
                "dead_time": dates.now(),
                "replay": False,
            }
        },
        upsert=True,
    )


def lowest_position() -> int | None:
    """The lowest position of any subscription in any partition (None without subscriptions):
    every event above it may still be delivered."""
    found = Subscription._get_collection().find({}, {"positions": 1})
    lowest = [min((int(n) for n in (d.get("positions") or {}).values()), default=0) for d in found]
    return min(lowest, default=None)


def forget(subscription_id: str, number: int) -> None:
    DeadLetter.objects(subscription_id=subscription_id, number=number).delete()
