"""Delivery when things go wrong: a listener down then failing, a server killed mid-way, two
worker processes sharing one database, events given up on and replayed, refused callbacks."""

from __future__ import annotations

import dataclasses
import signal
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from notifications.delivery import DeliveryOptions, retry_delay
from settings import Settings
from tests.builders import customer
from tests.conftest import _free_port
from tests.listener import Delivery, running_listener
from tests.servers import server_process, worker_process

CUSTOMERS = "/tmf-api/customerManagement/v4"


def fresh(settings: Settings, **changes: Any) -> Settings:
    """The test settings on a database of its own, so no other test's events are in the way,
    posting to the tests' listeners on 127.0.0.1."""
    changes.setdefault("callback_allow_private", True)
    return dataclasses.replace(
        settings, mongo_database=f"delivery_{uuid.uuid4().hex[:8]}", **changes
    )


def subscribe(client: httpx.Client, callback: str, query: str | None = None) -> str:
    body = {"callback": callback, **({"query": query} if query else {})}
    response = client.post(f"{CUSTOMERS}/hub", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def create_customers(client: httpx.Client, count: int, name: str) -> list[str]:
    ids = []
    for _ in range(count):
        response = client.post(f"{CUSTOMERS}/customer", json=customer(name=name))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def failing_first(count: int, status: int = 500) -> Callable[[Delivery], int]:
    calls = {"n": 0}

    def answer(_: Delivery) -> int:
        calls["n"] += 1
        return status if calls["n"] <= count else 201

    return answer


def received_ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"]["customer"]["id"] for e in events]


def test_a_listener_down_then_failing_gets_every_event_in_order(events_server) -> None:
    client = events_server.client
    name = f"Outage {uuid.uuid4().hex[:8]}"
    port = _free_port()  # nothing listens there yet: connections are refused
    subscribe(client, f"http://127.0.0.1:{port}/listener", f"event.customer.name={name}")
    made = create_customers(client, 5, name)
    time.sleep(1.5)  # several refused attempts, with backoff
    with running_listener(port) as listener:
        listener.answer = failing_first(3)
        events = listener.wait_count(5)
        assert received_ids(events) == made
        assert len(listener.requests) == 5 + 3
        time.sleep(0.5)
        assert len(listener.events()) == 5  # nothing sent twice


def test_a_retry_goes_out_when_due_not_at_the_next_poll(settings: Settings) -> None:
    """The worker polls for other processes' events every 60 s here; the retries it schedules
    itself (within 0.2 s, then 0.4 s) still go out on time."""
    own = fresh(settings, delivery_poll_ms=60_000, delivery_first_retry_ms=200)
    with running_listener() as listener, server_process(own) as (_, url):
        listener.answer = failing_first(2)
        with httpx.Client(base_url=url) as client:
            subscribe(client, listener.url)
            made = create_customers(client, 1, f"Retry {uuid.uuid4().hex[:8]}")
            events = listener.wait_count(1, timeout=20)
    assert received_ids(events) == made
    assert len(listener.requests) == 3


def test_a_server_killed_mid_way_loses_nothing(settings: Settings) -> None:
    own = fresh(settings)
    port = _free_port()
    name = f"Restart {uuid.uuid4().hex[:8]}"
    with server_process(own) as (process, url), httpx.Client(base_url=url) as client:
        subscribe(client, f"http://127.0.0.1:{port}/listener")
        made = create_customers(client, 4, name)
        process.send_signal(signal.SIGKILL)  # no clean shutdown
        process.wait()
    with running_listener(port) as listener:
        with server_process(own) as (_, url), httpx.Client(base_url=url) as client:
            made += create_customers(client, 2, name)
            # The killed worker may have held the subscription's lease: it runs out first.
            events = listener.wait_count(6, timeout=45)
    assert received_ids(events) == made


def test_two_worker_processes_deliver_each_event_once(settings: Settings) -> None:
    own = fresh(settings, delivery_worker=False)
    name = f"Workers {uuid.uuid4().hex[:8]}"
    with running_listener() as first, running_listener() as second:
        with server_process(own) as (_, url), httpx.Client(base_url=url) as client:
            subscribe(client, first.url)
            subscribe(client, second.url)
            workers = dataclasses.replace(own, mongo_uri=own.mongo_uri, delivery_poll_ms=50)
            # Each worker shows its own deliveries at a metrics port of its own.
            ports = [_free_port(), _free_port()]
            with (
                worker_process(dataclasses.replace(workers, worker_metrics_port=ports[0])),
                worker_process(dataclasses.replace(workers, worker_metrics_port=ports[1])),
            ):
                made = create_customers(client, 30, name)
                for listener in (first, second):
                    events = listener.wait_count(30, timeout=60)
                    assert received_ids(events) == made
                time.sleep(1)
                scraped = [httpx.get(f"http://127.0.0.1:{p}/metrics").text for p in ports]
        for listener in (first, second):
            ids = [e["eventId"] for e in listener.events()]
            assert len(ids) == len(set(ids)) == 30
    delivered = [
        sample.value
        for text in scraped
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tmf_event_deliveries_total" and sample.labels["outcome"] == "delivered"
    ]
    assert sum(delivered) == 60  # every event to both listeners, once, over the two workers
    assert all("tmf_event_subscription_backlog" in text for text in scraped)


def test_an_event_failing_too_long_becomes_a_dead_letter_then_replays(settings) -> None:
    own = fresh(settings, delivery_give_up_seconds=1, delivery_max_retry_ms=300)
    name = f"GiveUp {uuid.uuid4().hex[:8]}"
    with running_listener() as listener:
        listener.answer = lambda _: 503
        with server_process(own) as (_, url), httpx.Client(base_url=url) as client:
            subscription = subscribe(client, listener.url)
            made = create_customers(client, 2, name)
            state_url = f"{CUSTOMERS}/hub/{subscription}/delivery"
            deadline = time.monotonic() + 30

            def state() -> dict[str, Any]:
                found: dict[str, Any] = client.get(state_url).json()
                return found

            # An event is buried (its dead letter written), then passed (the position moved):
            # a read between the two writes sees it in both; both end.
            while (seen := state())["deadLettered"] < 2 or seen["pending"] != 0:
                assert time.monotonic() < deadline, seen
                time.sleep(0.2)
            assert seen["failedAttempts"] >= 4  # retried before giving up
            assert "503" in seen["lastError"]

            listener.answer = lambda _: 201
            assert client.post(f"{state_url}/replay").status_code == 200
            assert received_ids(listener.wait_count(2)) == made


@pytest.mark.parametrize(
    "callback",
    [
        "http://127.0.0.1:8080/listener",
        "http://localhost/listener",
        "http://10.1.2.3/listener",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.10:8443/listener",
    ],
)
def test_private_callbacks_are_refused_by_default(live_server, callback: str) -> None:
    # The shared server runs with the default settings for callbacks.
    response = live_server.client.post(f"{CUSTOMERS}/hub", json={"callback": callback})
    assert response.status_code == 400
    body = response.json()
    assert body["reason"] == "Callback not allowed"
    assert "address" in body["message"] or "localhost" in body["message"]
    # Whoever runs the server for tests learns the setting that lets a local listener in.
    assert "TMF_CALLBACK_ALLOW_PRIVATE=true" in body["message"]


def test_the_retry_delay_stays_within_its_bounds_however_many_attempts() -> None:
    options = DeliveryOptions(
        public_url="", own_url="", first_retry_seconds=1.0, max_retry_seconds=300.0
    )
    assert 0.5 <= retry_delay(1, options) <= 1.0
    for attempts in (20, 1_100, 10**6):  # a listener down for days
        assert 150.0 <= retry_delay(attempts, options) <= 300.0


def test_partitioned_events_reach_a_listener_in_order_for_each_resource(settings) -> None:
    # Two server processes writing, events numbered in eight partitions.
    own = fresh(settings, event_partitions=8, workers=2)
    name = f"Partitioned {uuid.uuid4().hex[:8]}"
    merge = {"Content-Type": "application/merge-patch+json"}
    with running_listener() as listener:
        with server_process(own) as (_, url), httpx.Client(base_url=url) as client:
            subscribe(client, listener.url, f"event.customer.name={name}")
            made = create_customers(client, 6, name)
            for status in ("Validated", "Closed"):
                for customer_id in made:
                    url = f"{CUSTOMERS}/customer/{customer_id}"
                    changed = client.patch(url, json={"status": status}, headers=merge)
                    assert changed.status_code == 200, changed.text
            events = listener.wait_count(18, timeout=60)
            time.sleep(0.5)
            assert len(listener.events()) == 18  # nothing sent twice
    seen: dict[str, list[str]] = {}
    for event in events:
        shown = event["event"]["customer"]
        seen.setdefault(shown["id"], []).append(f"{event['eventType']}:{shown.get('status')}")
    assert seen == {
        customer_id: [
            "CustomerCreateEvent:Approved",
            "CustomerStateChangeEvent:Validated",
            "CustomerStateChangeEvent:Closed",
        ]
        for customer_id in made
    }
