"""The events operation: customers created through the API while hub listeners are registered,
against a hand-written service that inserts with pymongo and POSTs the event itself.

Each event is timed from the moment its change was acknowledged (the client has the 201, or
`insert_one` returned) to the moment a listener in this process had read it, and every change must
reach every listener exactly once. Run once with one listener (`events`) and once with two
(`events_fanout`)."""

from __future__ import annotations

import http.client
import json
import random
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from pymongo.database import Database

from bench import load
from bench.api import CUSTOMERS, HttpClient, UnexpectedStatus
from bench.delivery import EVENT_TYPE, Change, Delivery, analyse
from bench.listener import HOST as LISTENER_HOST
from bench.listener import Listener
from bench.load import Meter, Window, Worker, WorkerFactory
from bench.outcome import OperationResult
from bench.params import Params
from bench.seed import CustomerShape
from bench.server import ServerProcess
from bench.workload import Workload, customer_body
from notifications.callbacks import SIGNATURE_HEADER, signature
from notifications.delivery import EVENT_ID_HEADER
from persistence import dates
from persistence.outbox import EVENTS_COLLECTION
from persistence.store import REVISION
from tmf_apis.tmf629.registry import API, CUSTOMER

Document = dict[str, Any]
Progress = Callable[[str], None]

# Result name and listeners of each run of the operation.
VARIANTS = (("events", 1), ("events_fanout", 2))
HUB = f"{API.base_path}/hub"
# Only the Create events of the customers posted here (nothing else writes customers meanwhile).
QUERY = f"eventType={EVENT_TYPE}"
# After a window, wait for the deliveries still due: until all arrived, or nothing arrived for
# DRAIN_IDLE_S (a retry is due after 1 s by default), or DRAIN_MAX_S passed; then SETTLE_S more,
# so that a duplicate has a chance to show.
DRAIN_IDLE_S = 5.0
DRAIN_MAX_S = 60.0
DRAIN_POLL_S = 0.01
SETTLE_S = 0.25
POST_TIMEOUT_S = 30.0
# eventIds per outbox look-up.
LOOKUP_BATCH = 500


def measure(
    server: ServerProcess,
    database: Database[Document],
    shape: CustomerShape,
    workload: Workload,
    params: Params,
    meter: Meter,
    progress: Progress,
) -> list[OperationResult]:
    """Both variants, with one listener endpoint for all of them."""
    with Listener() as listener:
        bench = _EventsBench(server, database, shape, workload, params, meter, listener)
        return [bench.variant(name, listeners, progress) for name, listeners in VARIANTS]


class _EventsBench:
    def __init__(
        self,
        server: ServerProcess,
        database: Database[Document],
        shape: CustomerShape,
        workload: Workload,
        params: Params,
        meter: Meter,
        listener: Listener,
    ) -> None:
        self.server = server
        self.database = database
        self.shape = shape
        self.parties = len(workload.parties)
        self.params = params
        self.meter = meter
        self.listener = listener

    def variant(self, name: str, listeners: int, progress: Progress) -> OperationResult:
        """Warm-up, then `repeat` windows for the server and the raw service in turn."""
        result = OperationResult(name)
        changes: list[Change] = []
        raw_secrets = {f"/raw/{n}": secrets.token_urlsafe(32) for n in range(1, listeners + 1)}
        server_secrets, subscriptions = self._subscribe(listeners)
        over_http = self._posting(changes)
        direct = self._inserting(changes, raw_secrets)
        if self.params.warmup_s > 0:
            self._window(over_http, changes, server_secrets, self.params.warmup_s)
            self._window(direct, changes, raw_secrets, self.params.warmup_s)
        for repetition in range(1, self.params.repeat + 1):
            for windows, deliveries, factory, keys, numbered in (
                (result.server, result.server_delivery, over_http, server_secrets, True),
                (result.raw, result.raw_delivery, direct, raw_secrets, False),
            ):
                window, delivery = self._window(
                    factory, changes, keys, self.params.duration_s, numbered
                )
                windows.append(window)
                deliveries.append(delivery)
            server, raw = result.server_delivery[-1], result.raw_delivery[-1]
            progress(
                f"{name} {repetition}/{self.params.repeat}: server {server.rate:.0f} "
                f"deliveries/s, p50 {server.p50_ms:.1f} ms, the last {server.drain_s:.1f} s "
                f"after the window; raw {raw.rate:.0f} deliveries/s, p50 {raw.p50_ms:.1f} ms"
            )
        # If a window failed, the run stops, and the listeners go with the server and database.
        progress(f"{name}: {self._unsubscribe(subscriptions)}")
        return result

    def _window(
        self,
        factory: WorkerFactory,
        changes: list[Change],
        keys: dict[str, str],
        duration_s: float,
        numbered: bool = False,
    ) -> tuple[Window, Delivery]:
        changes.clear()
        window = load.run(factory, self.params.concurrency, duration_s, self.meter)
        end = time.time()
        self._drain(len(changes) * len(keys))
        numbers = self._numbers if numbered else None
        received = self.listener.take()
        return window, analyse(list(changes), received, keys, window.elapsed_s, end, numbers)

    def _drain(self, expected: int) -> None:
        begun = last_change = time.monotonic()
        last_count = self.listener.count()
        while (now := time.monotonic()) < begun + DRAIN_MAX_S:
            count = self.listener.count()
            if count >= expected:
                time.sleep(SETTLE_S)
                return
            if count != last_count:
                last_count, last_change = count, now
            elif now - last_change > DRAIN_IDLE_S:
                return
            time.sleep(DRAIN_POLL_S)

    # ------------------------------------------------------------------ server side

    def _subscribe(self, listeners: int) -> tuple[dict[str, str], list[str]]:
        """Register the listeners on the customer hub; their secrets by path, and their ids."""
        client = HttpClient(self.server.host, self.server.port)
        keys: dict[str, str] = {}
        ids = []
        try:
            for n in range(1, listeners + 1):
                path = f"/server/{n}"
                body = {"callback": self.listener.url(path), "query": QUERY}
                shown = json.loads(client.send("POST", HUB, body, expected=201))
                keys[path] = shown["secret"]
                ids.append(shown["id"])
        finally:
            client.close()
        return keys, ids

    def _unsubscribe(self, ids: list[str]) -> str:
        """Remove the listeners, so that no delivery work outlives the operation; what the hub
        said of them."""
        client = HttpClient(self.server.host, self.server.port)
        states = []
        try:
            for subscription_id in ids:
                state = json.loads(client.send("GET", f"{HUB}/{subscription_id}/delivery"))
                states.append(
                    f"delivered {state['delivered']}, pending {state['pending']}, failed "
                    f"attempts {state['failedAttempts']}, dead letters {state['deadLettered']}"
                )
                client.send("DELETE", f"{HUB}/{subscription_id}", expected=204)
        finally:
            client.close()
        return "the hub reports " + "; ".join(states)

    def _posting(self, changes: list[Change]) -> WorkerFactory:
        """`POST /customer` as the create operation sends it, noting each 201's arrival."""
        host, port = self.server.host, self.server.port
        parties, seed = self.parties, self.params.seed

        def factory(thread: int) -> Worker:
            client, rng = HttpClient(host, port), random.Random(f"{seed}-events-{thread}")

            def request() -> None:
                body = customer_body(rng, rng.randrange(parties))
                answer = client.send("POST", CUSTOMERS, body, expected=201)
                acked = time.time()
                changes.append(Change(json.loads(answer)["id"], acked))

            return Worker(request, client.close)

        return factory

    def _numbers(self, event_ids: list[str]) -> dict[str, int]:
        """The events' numbers in the outbox (its `_id`), which listeners are not shown."""
        outbox = self.database[EVENTS_COLLECTION]
        found: dict[str, int] = {}
        for start in range(0, len(event_ids), LOOKUP_BATCH):
            batch = event_ids[start : start + LOOKUP_BATCH]
            for event in outbox.find({"eventId": {"$in": batch}}, {"_id": 1, "eventId": 1}):
                found[event["eventId"]] = int(event["_id"])
        return found

    # ------------------------------------------------------------------ raw side

    def _inserting(self, changes: list[Change], keys: dict[str, str]) -> WorkerFactory:
        """The hand-written service: `insert_one` of the stored document, then, in the same
        thread, the event POSTed to each listener on a connection of its own, as the server's
        delivery does. No outbox: an event is lost if the service stops between the two."""
        collection = self.database[CUSTOMER.collection]
        hrefs = f"{self.server.url}{API.base_path}/{CUSTOMER.path}"
        targets = sorted(keys.items())
        port, parties, seed = self.listener.port, self.parties, self.params.seed

        def factory(thread: int) -> Worker:
            rng = random.Random(f"{seed}-events-{thread}")

            def request() -> None:
                document = self.shape.stored(customer_body(rng, rng.randrange(parties)))
                resource = {k: v for k, v in document.items() if k != REVISION}
                event: Document = {
                    "eventId": str(uuid.uuid4()),
                    "eventTime": dates.now(),
                    "eventType": EVENT_TYPE,
                }
                collection.insert_one(document)
                changes.append(Change(resource["id"], time.time()))
                href = f"{hrefs}/{resource['id']}"
                event["event"] = {CUSTOMER.path: {"id": resource["id"], "href": href, **resource}}
                body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
                for path, secret in targets:
                    headers = {
                        SIGNATURE_HEADER: signature(secret, body),
                        EVENT_ID_HEADER: event["eventId"],
                    }
                    _post(port, path, body, headers)

            return Worker(request)

        return factory


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> None:
    connection = http.client.HTTPConnection(LISTENER_HOST, port, timeout=POST_TIMEOUT_S)
    try:
        connection.request(
            "POST",
            path,
            body,
            {"Content-Type": "application/json", "Connection": "close", **headers},
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise UnexpectedStatus(f"POST {path} to the listener: {response.status}")
