"""The delivery worker: posts each stored event to every subscription that selects it.

At least once, in order per resource: each resource's events are in one partition of the outbox,
in order, and a subscription's position in a partition moves past an event only once the
listener answered 2xx, or once the event was given up on and kept as a dead letter. A
failed delivery (timeout, connection error, 5xx, 408, 429) is retried with exponential backoff
and full jitter, holding back that subscription's later events, until `give_up_seconds` have
passed since its first failure; an answer that retrying cannot change (another 4xx, a redirect,
a refused target) makes it a dead letter at once. Replayed dead letters go out before new events.

The worker runs inside the server by default and as `python -m notifications` beside several
servers. Workers coordinate through leases on subscriptions (persistence/subscriptions.py), so
any number of them share the work and no event is sent twice at the same time. A lease outlives
any single delivery (it is renewed before each one and lasts several timeouts), so a worker that
dies loses its subscriptions to the others after `lease_seconds`.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import PyMongoError

import telemetry
from notifications import callbacks
from notifications.events import Renamed, render
from persistence import dates, subscriptions
from persistence.matching import matches
from persistence.outbox import PARTITION, Outbox, Positions
from tmf_apis.editions import IDENTITY, EditionMapping

log = logging.getLogger("tmf.delivery")

Document = dict[str, Any]
EVENT_ID_HEADER = "X-TMF-Event-Id"
USER_AGENT = "tmf-bss-server event delivery"
# Numbers in the first window of events read for a subscription.
FIRST_WINDOW = 16
# The least time between two passes over the subscriptions.
MIN_PASS_SECONDS = 0.1
# How long a caught-up subscription is kept, lease and all, for the events this process appends
# next (see `DeliveryWorker._linger`): no longer than a pass would make another process's events
# wait anyway.
LINGER_SECONDS = MIN_PASS_SECONDS


@dataclass(frozen=True)
class DeliveryOptions:
    # The base URL of the hrefs in events when set; else the address the change's client used,
    # and `own_url` for changes made outside a request.
    public_url: str
    own_url: str
    timeout_seconds: float = 5.0
    # How long a failing event is retried before it becomes a dead letter.
    give_up_seconds: float = 86_400.0
    first_retry_seconds: float = 1.0
    max_retry_seconds: float = 300.0
    allow_private_callbacks: bool = False
    # How often the worker looks for work when nothing woke it.
    poll_seconds: float = 1.0
    # How often it looks for events a stopped writer left in their documents, and removes
    # events every subscription is past that are older than `retention_seconds`.
    sweep_seconds: float = 30.0
    retention_seconds: float = 7 * 86_400.0
    parallel_subscriptions: int = 8
    # Events are read at most this many numbers at a time.
    batch: int = 2000
    # Each edition's mapping to its wire shape, by its base path (where a subscription was
    # registered): an event reaches a listener in the shape of the edition it registered with.
    editions: Mapping[str, EditionMapping] = field(default_factory=dict)
    # The events each edition's listeners hear (the types its document declares, about what it
    # can show), as a filter on stored events, by base path; an edition not named hears all.
    heard: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The resources each edition names otherwise than their events are recorded, by base path
    # (then by recorded path).
    renamed: Mapping[str, Mapping[str, Renamed]] = field(default_factory=dict)
    # The base path of each API's first edition (v4), by API name: where a subscription made
    # before subscriptions kept theirs was registered.
    first_editions: Mapping[str, str] = field(default_factory=dict)

    @property
    def lease_seconds(self) -> float:
        # Several delivery timeouts, so a slow listener cannot outlast it; short enough that
        # another worker takes over a dead one's subscriptions soon.
        return max(10.0, 4 * self.timeout_seconds)


# The jitter's own generator: the process-wide one belongs to whoever else runs in the process.
_JITTER = random.Random()


def retry_delay(attempts: int, options: DeliveryOptions) -> float:
    """Exponential backoff with full jitter: a random wait up to first * 2^(attempts-1), capped."""
    # The exponent is capped: past 2^30 the ceiling is long reached, and a subscription failing
    # for days has attempts enough to overflow a float.
    doubling = 2.0 ** min(max(attempts - 1, 0), 30)
    ceiling = min(options.max_retry_seconds, options.first_retry_seconds * doubling)
    return _JITTER.uniform(ceiling / 2, ceiling)


class DeliveryWorker:
    """Delivers for every subscription it can lease, several subscriptions at a time."""

    def __init__(
        self,
        outbox: Outbox,
        options: DeliveryOptions,
        swept: Callable[[], Iterable[Collection[Document]]] = tuple,
    ) -> None:
        self.outbox = outbox
        self.options = options
        self.swept = swept
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()
        # The soonest retry this worker scheduled: the pass that makes it comes then, not at the
        # next poll (poll_seconds is for the work of other processes).
        self._retry_at = math.inf
        # Appends of events in this process so far, told to serving threads that linger.
        self._appends = 0
        self._appended = threading.Condition()
        self._pool = ThreadPoolExecutor(
            max_workers=options.parallel_subscriptions, thread_name_prefix="delivery"
        )

    # ------------------------------------------------------------------ running

    def start(self) -> Callable[[], None]:
        """Run in a background thread until the returned function is called."""
        self.outbox.listeners.append(self.wake)
        thread = threading.Thread(target=self.run, name="delivery-worker", daemon=True)
        thread.start()

        def stop() -> None:
            self._stop.set()
            self.wake()
            thread.join(timeout=self.options.timeout_seconds + 5)
            self._pool.shutdown(wait=True, cancel_futures=True)

        return stop

    def wake(self) -> None:
        self._wake.set()
        with self._appended:
            self._appends += 1
            self._appended.notify_all()

    def run(self) -> None:
        next_sweep = 0.0
        last_pass = 0.0
        while not self._stop.is_set():
            # Under a stream of writes, each pass takes in the events of several.
            self._stop.wait(last_pass + MIN_PASS_SECONDS - time.monotonic())
            last_pass = time.monotonic()
            self._wake.clear()
            try:
                if time.monotonic() >= next_sweep:
                    self.outbox.sweep(self.swept())
                    self.purge()
                    next_sweep = time.monotonic() + self.options.sweep_seconds
                self.dispatch()
                telemetry.went_round("delivery-worker")
            except PyMongoError as error:
                log.warning("delivery pass failed", extra={"error": str(error)})
                telemetry.went_round("delivery-worker", failed=True)
            except Exception:  # the worker outlives any one failure; the next pass retries
                log.exception("delivery pass failed")
                telemetry.went_round("delivery-worker", failed=True)
            self._wake.wait(self._pause())

    def _pause(self) -> float:
        """Seconds until the next pass: the poll interval, or less when a retry falls due."""
        now = time.time()
        with self._busy_lock:
            if self._retry_at <= now:
                self._retry_at = math.inf
                return 0.0
            return min(self.options.poll_seconds, self._retry_at - now)

    def purge(self) -> int:
        """Forget events that every subscription is past and that are older than the retention
        (dead letters keep their own copy)."""
        lowest = subscriptions.lowest_position()
        through = max(self.outbox.tops()) if lowest is None else lowest
        cutoff = datetime.now(UTC) - timedelta(seconds=self.options.retention_seconds)
        return self.outbox.purge(through, dates.format_datetime(cutoff))

    def dispatch(self) -> None:
        """Hand every due subscription with something to deliver to the pool.

        The new events of each API are read once for all its subscriptions: those that select
        none of them move on at once, in one write, so an event costs the same whether its API
        has one listener or hundreds."""
        heads = self.outbox.heads()
        by_api: dict[str, list[Document]] = {}
        for sub in subscriptions.due(heads, time.time()):
            by_api.setdefault(sub["api"], []).append(sub)
        for api, subs in by_api.items():
            for sub in self._with_work(api, heads.get(api) or [0] * self.outbox.partitions, subs):
                subscription_id = str(sub["_id"])
                with self._busy_lock:
                    if subscription_id in self._busy:
                        continue
                    self._busy.add(subscription_id)
                self._pool.submit(self._serve_and_release, subscription_id)

    def _with_work(self, api: str, head: Positions, subs: list[Document]) -> list[Document]:
        """The subscriptions that select one of the API's new events, or are replaying; the
        others' positions move to `head`. One far behind is served to find out for itself."""
        count = len(head)
        positions = {str(s["_id"]): subscriptions.positions_of(s, count) for s in subs}
        near = [
            s
            for s in subs
            if not s.get("replaying")
            and all(
                at >= newest - self.options.batch
                for at, newest in zip(positions[str(s["_id"])], head, strict=True)
            )
        ]
        work = [s for s in subs if s not in near]
        if not near:
            return work
        lowest = [min(positions[str(s["_id"])][p] for s in near) for p in range(count)]
        events = self.outbox.window(api, lowest, head)
        idle = []
        for sub in near:
            position = positions[str(sub["_id"])]
            selector = self._selector(sub)
            if any(e["_id"] > position[_partition(e)] and matches(e, selector) for e in events):
                work.append(sub)
            else:
                idle.append(str(sub["_id"]))
        subscriptions.skip_to(idle, head)
        return work

    def _selector(self, sub: Document) -> dict[str, Any]:
        """What the subscription's query selects, of the events its edition hears."""
        selector = json.loads(sub.get("selector") or "{}")
        heard = self.options.heard.get(self._base_path(sub))
        return {"$and": [selector, heard]} if heard else selector

    def _base_path(self, sub: Document) -> str:
        return str(sub.get("base_path") or self.options.first_editions.get(str(sub.get("api")), ""))

    def _serve_and_release(self, subscription_id: str) -> None:
        try:
            self.serve(subscription_id)
        except Exception:
            log.exception(
                "delivery for a subscription failed", extra={"subscription": subscription_id}
            )
        finally:
            with self._busy_lock:
                self._busy.discard(subscription_id)
        # More may have arrived while this one was served.
        self._wake.set()

    # ------------------------------------------------------------------ one subscription

    def serve(self, subscription_id: str) -> None:
        # Most events are for other listeners: passing over them takes no lease.
        found = subscriptions.find(subscription_id)
        if found is None or not (found.get("replaying") or self._selects_any(found)):
            return
        lease = subscriptions.acquire(subscription_id, self.owner, self.options.lease_seconds)
        if lease is None:
            return
        try:
            while not self._stop.is_set():
                seen = self._appends
                if not self._deliver_next(lease) and not self._linger(lease, seen):
                    break
        finally:
            lease.release()

    def _linger(self, lease: subscriptions.Lease, seen: int) -> bool:
        """Keep a caught-up subscription a moment for the events this process appends next
        (after `seen` appends): the next event then goes out at once, without waiting for a
        pass and without the pass's reads, lease and release. True when more were appended;
        False, and the subscription is let go, when none were, when it is waiting to retry or
        its lease is gone, or when every delivery thread is busy (others may be waiting). A
        worker beside no writer (`python -m notifications`) never lingers: nothing tells it."""
        retrying = float(lease.subscription.get("next_attempt") or 0) > time.time()
        if not self._appends or lease.lost or retrying:
            return False
        with self._busy_lock:
            if len(self._busy) >= self.options.parallel_subscriptions:
                return False
        # Never past half the lease: the delivery that follows renews it then.
        wait = min(LINGER_SECONDS, lease.seconds_left - self.options.lease_seconds / 2)
        if wait <= 0:
            return False
        with self._appended:
            appended = self._appended.wait_for(
                lambda: self._appends != seen or self._stop.is_set(), timeout=wait
            )
        return appended and not self._stop.is_set()

    def _deliver_next(self, lease: subscriptions.Lease) -> bool:
        """Deliver the subscription's replays, else its next events in order; False when there is
        nothing more to do now (caught up, waiting to retry, or the lease is lost)."""
        if float(lease.subscription.get("next_attempt") or 0) > time.time():
            return False
        if lease.subscription.get("replaying"):
            replay = subscriptions.next_replay(lease.id)
            if replay is not None:
                return self._deliver(lease, dict(replay.event), replayed=True)
            return lease.update({"$set": {"replaying": False}})
        events = self._next_events(lease)
        for event in events:
            if not self._deliver(lease, event, replayed=False):
                return False
        return bool(events)

    def _selects_any(self, sub: Document) -> bool:
        """Whether the subscription has events to deliver; if none, its position moves on."""
        selected, read_through = self._selected(sub)
        if not selected:
            subscriptions.skip_to([str(sub["_id"])], read_through)
        return bool(selected)

    def _next_events(self, lease: subscriptions.Lease) -> list[Document]:
        """The next events the subscription's query selects; the position moves past the
        events in between."""
        selected, read_through = self._selected(lease.subscription)
        at = subscriptions.positions_of(lease.subscription, len(read_through))
        if not selected and read_through != at:
            lease.update(subscriptions.moved_to(read_through))
        return selected

    def _selected(self, sub: Document) -> tuple[list[Document], Positions]:
        """The subscription's next selected events, and the numbers read up to.

        Read in windows of numbers up to the API's newest events: small at first, since the next
        event is usually selected (and a failing listener's retries read only the head), then
        growing over stretches the query does not select."""
        selector = self._selector(sub)
        head = self.outbox.head(sub["api"])
        after = subscriptions.positions_of(sub, len(head))
        size = FIRST_WINDOW
        while any(at < newest for at, newest in zip(after, head, strict=True)):
            lowest = min(at for at, newest in zip(after, head, strict=True) if at < newest)
            through = [
                max(at, min(newest, lowest + size)) for at, newest in zip(after, head, strict=True)
            ]
            window = self.outbox.window(sub["api"], after, through)
            selected = [event for event in window if matches(event, selector)]
            if selected:
                return selected, through
            after = through
            size = min(size * 4, self.options.batch)
        return [], after

    def _deliver(self, lease: subscriptions.Lease, event: Document, *, replayed: bool) -> bool:
        # The lease must outlast this delivery: renewed once less than half of it is left.
        remaining = float(lease.subscription.get("lease_until") or 0) - time.time()
        if remaining < self.options.lease_seconds / 2 and not lease.renew(
            self.options.lease_seconds
        ):
            return False
        sub = lease.subscription
        body = self._body(sub, event)
        headers = {
            callbacks.SIGNATURE_HEADER: callbacks.signature(sub.get("secret") or "", body),
            EVENT_ID_HEADER: event["eventId"],
            "User-Agent": USER_AGENT,
        }
        if event.get("correlationId"):
            headers["X-Correlation-ID"] = event["correlationId"]
        result = callbacks.post_event(
            sub["callback"],
            body,
            headers,
            allow_private=self.options.allow_private_callbacks,
            timeout=self.options.timeout_seconds,
        )
        if result.delivered:
            return self._delivered(lease, event, replayed)
        return self._failed(lease, event, result, replayed)

    def _body(self, sub: Document, event: Document) -> bytes:
        base_url = self.options.public_url or event.get("origin") or self.options.own_url
        base_url = base_url.rstrip("/")
        base_path = self._base_path(sub)
        edition = self.options.editions.get(base_path, IDENTITY)
        shown = render(event, base_url, base_path, edition, self.options.renamed.get(base_path))
        fields = sub.get("fields")
        if fields is not None:
            kept = set(fields.split(",")) | {"id", "href", "@type"}
            for key, resource in shown["event"].items():
                shown["event"][key] = {k: v for k, v in resource.items() if k in kept}
        return json.dumps(shown, separators=(",", ":"), ensure_ascii=False).encode()

    def _delivered(self, lease: subscriptions.Lease, event: Document, replayed: bool) -> bool:
        done: dict[str, Any] = {
            "$set": {
                "attempts": 0,
                "first_failure": None,
                "next_attempt": 0,
                "last_delivery_time": dates.now(),
            },
            "$inc": {"delivered": 1},
        }
        telemetry.DELIVERIES.labels(str(event.get("api")), "delivered").inc()
        if replayed:
            subscriptions.forget(lease.id, event["_id"])
        else:
            done["$max"] = {f"positions.{_partition(event)}": event["_id"]}
        return lease.update(done)

    def _failed(
        self,
        lease: subscriptions.Lease,
        event: Document,
        result: callbacks.DeliveryResult,
        replayed: bool,
    ) -> bool:
        sub = lease.subscription
        now = time.time()
        attempts = int(sub.get("attempts") or 0) + 1
        first_failure = float(sub.get("first_failure") or now)
        error = result.error or f"HTTP {result.status}"
        log.info(
            "delivery failed",
            extra={"subscription": lease.id, "event_id": event["eventId"], "error": error},
        )
        failure: dict[str, Any] = {
            "$set": {"last_error": error, "last_error_time": dates.now()},
            "$inc": {"failed_attempts": 1},
        }
        gave_up = not result.retryable or now - first_failure >= self.options.give_up_seconds
        outcome = "dead" if gave_up else "retried"
        telemetry.DELIVERIES.labels(str(event.get("api")), outcome).inc()
        if gave_up:
            subscriptions.bury(lease.id, event, attempts, error)
            failure["$set"].update(attempts=0, first_failure=None, next_attempt=0)
            if not replayed:
                failure["$max"] = {f"positions.{_partition(event)}": event["_id"]}
            return lease.update(failure)
        next_attempt = now + retry_delay(attempts, self.options)
        failure["$set"].update(
            attempts=attempts, first_failure=first_failure, next_attempt=next_attempt
        )
        lease.update(failure)
        with self._busy_lock:
            self._retry_at = min(self._retry_at, next_attempt)
        return False


def _partition(event: Document) -> int:
    return int(event.get(PARTITION) or 0)
