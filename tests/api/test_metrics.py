"""`/metrics`: requests by API root, path template, method and status, with their durations, and
what the event outbox holds; summed over the worker processes of a server that has several."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from settings import Settings
from tests.api.test_billing import bill_run
from tests.builders import customer
from tests.listener import running_listener
from tests.servers import server_process

CUSTOMERS_ROOT = "/tmf-api/customerManagement/v4"


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def count(text: str, **labels: str) -> float:
    return sum(
        value
        for found, value in samples(text, "tmf_http_requests_total")
        if all(found.get(k) == v for k, v in labels.items())
    )


def test_requests_are_counted_by_route_template_not_by_id(live_server) -> None:
    client = live_server.client
    before = client.get("/metrics").text
    asked = [str(uuid.uuid4()) for _ in range(3)]
    for unknown in asked:
        assert client.get(f"{CUSTOMERS_ROOT}/customer/{unknown}").status_code == 404
    assert client.post(f"{CUSTOMERS_ROOT}/customer", json=customer()).status_code == 201
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    missing = {"api": CUSTOMERS_ROOT, "route": "/customer/{id}", "method": "GET", "status": "404"}
    assert count(after, **missing) - count(before, **missing) == 3
    made = {"api": CUSTOMERS_ROOT, "route": "/customer", "method": "POST", "status": "201"}
    assert count(after, **made) - count(before, **made) == 1
    # No id ever becomes a label.
    assert not [unknown for unknown in asked if unknown in after]
    durations = samples(after, "tmf_http_request_duration_seconds_count")
    assert any(s["route"] == "/customer/{id}" and v >= 3 for s, v in durations)
    (stored,) = samples(after, "tmf_events_stored")
    assert stored[1] >= 1  # the Create event of the customer made above, at least
    assert samples(after, "tmf_event_dead_letters")


def test_a_server_with_several_workers_sums_their_counts(settings: Settings) -> None:
    own = dataclasses.replace(settings, mongo_database=f"metrics_{uuid.uuid4().hex[:8]}", workers=2)
    # A new connection for each request, so that both workers answer some.
    closing = {"Connection": "close"}
    with server_process(own) as (_, url):
        for _ in range(12):
            listed = httpx.get(f"{url}{CUSTOMERS_ROOT}/customer?limit=1", headers=closing)
            assert listed.status_code == 200
        scrapes = [httpx.get(f"{url}/metrics", headers=closing).text for _ in range(4)]
    listed_labels = {"api": CUSTOMERS_ROOT, "route": "/customer", "method": "GET", "status": "200"}
    # Whichever worker answers the scrape counts every worker's requests.
    assert [count(text, **listed_labels) for text in scrapes] == [12] * 4


def test_deliveries_and_bill_runs_are_counted(settings: Settings) -> None:
    own = dataclasses.replace(
        settings, mongo_database=f"metrics_{uuid.uuid4().hex[:8]}", callback_allow_private=True
    )
    with running_listener() as listener, server_process(own) as (_, url):
        with httpx.Client(base_url=url) as client:
            hub = client.post(f"{CUSTOMERS_ROOT}/hub", json={"callback": listener.url})
            assert hub.status_code == 201, hub.text
            assert client.post(f"{CUSTOMERS_ROOT}/customer", json=customer()).status_code == 201
            listener.wait_count(1)
            done = bill_run(client, days_ahead=1)
            assert done["state"] == "done"
            shown = client.get("/metrics").text
    delivered = [
        value
        for labels, value in samples(shown, "tmf_event_deliveries_total")
        if labels == {"api": "customerManagement", "outcome": "delivered"}
    ]
    assert delivered == [1.0]
    assert [
        v for labels, v in samples(shown, "tmf_bill_runs_total") if labels["state"] == "done"
    ] == [1.0]
    assert [v for _, v in samples(shown, "tmf_bill_run_duration_seconds_count")] == [1.0]


def test_a_lagging_subscription_shows_its_backlog_in_metrics_and_health(
    settings: Settings,
) -> None:
    """No delivery worker in the server (as when `python -m notifications` runs elsewhere and
    has stopped): the subscription's events wait, and both pages say how many and how old."""
    own = dataclasses.replace(
        settings,
        mongo_database=f"metrics_{uuid.uuid4().hex[:8]}",
        callback_allow_private=True,
        delivery_worker=False,
    )
    with server_process(own) as (_, url), httpx.Client(base_url=url) as client:
        hub = client.post(f"{CUSTOMERS_ROOT}/hub", json={"callback": "http://127.0.0.1:9/x"})
        assert hub.status_code == 201, hub.text
        waiting = hub.json()["id"]
        for _ in range(3):
            assert client.post(f"{CUSTOMERS_ROOT}/customer", json=customer()).status_code == 201
        shown = client.get("/metrics").text
        health = client.get("/health").json()
    ours = {"api": "customerManagement", "subscription": waiting}
    assert [
        v for labels, v in samples(shown, "tmf_event_subscription_backlog") if labels == ours
    ] == [3.0]
    (age,) = [
        v
        for labels, v in samples(shown, "tmf_event_subscription_oldest_undelivered_age_seconds")
        if labels == ours
    ]
    assert 0 <= age < 120
    assert [
        v for labels, v in samples(shown, "tmf_event_subscription_dead_letters") if labels == ours
    ] == [0.0]
    delivery = health["delivery"]
    assert (delivery["worker"], delivery["subscriptions"], delivery["backlog"]) == (
        "elsewhere",
        1,
        3,
    )
    assert 0 <= delivery["oldestUndeliveredAgeSeconds"] < 120
    loops = {loop["name"]: loop for loop in health["background"]}
    assert "delivery-worker" not in loops
    assert loops["tmf-completions"]["status"] == "up" and loops["tmf-completions"]["lastPass"]
