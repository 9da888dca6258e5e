"""Metrics in the Prometheus text format at `/metrics`.

Per request (RequestMetrics, an ASGI middleware): `tmf_http_requests_total` and
`tmf_http_request_duration_seconds`, labelled by API root (`api`), the spec's path template
under it (`route`, so ids do not multiply the series), method and status. Paths outside the API
roots are labelled by a few known names, the rest "other".

Read from the database when scraped (EventCollector): subscriptions, dead letters, stored events
and the age of the newest one; per subscription, its backlog (events of its API it has not dealt
with), the age of the oldest of them, and its dead letters.

With several uvicorn workers (`TMF_WORKERS` > 1), `python app.py` gives them a directory in
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode): each worker writes its
counts there and any of them answers a scrape with the sum.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handlers.guards import Route, by_root
from persistence import dates, subscriptions
from persistence.database import Database
from persistence.subscriptions import DeadLetter

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
# Paths outside the API roots that get a label of their own.
KNOWN_PATHS = frozenset({"/", "/health", "/metrics"})
OTHER = "other"

REQUESTS = Counter(
    "tmf_http_requests_total",
    "HTTP requests answered, by API root, path template, method and status.",
    ["api", "route", "method", "status"],
)
DURATION = Histogram(
    "tmf_http_request_duration_seconds",
    "Time from a request's arrival to its answer's last bytes, by API root, path template and "
    "method.",
    ["api", "route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class RequestMetrics:
    """Counts and times every HTTP request."""

    def __init__(self, app: ASGIApp, routes: Iterable[Route], base_paths: Sequence[str]) -> None:
        self.app = app
        # Longest first: a root that is a prefix of another (`/tmf-api/customer/v5`) loses.
        self.base_paths = sorted(base_paths, key=len, reverse=True)
        # Each root's routes, so that a request is matched against its own API's alone.
        self.routes = by_root(routes, self.base_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}
        counted = False

        def count() -> None:
            nonlocal counted
            counted = True
            api, route = self.labels(scope["path"])
            method = scope["method"]
            REQUESTS.labels(api, route, method, str(status["code"])).inc()
            DURATION.labels(api, route, method).observe(time.perf_counter() - started)

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                # Before the last bytes leave: a client that scrapes next finds it counted.
                count()
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            if not counted:
                count()

    def labels(self, path: str) -> tuple[str, str]:
        """(API root, path template under it) of a request path."""
        base = next((b for b in self.base_paths if path.startswith(b)), None)
        if base is None:
            return "", path if path in KNOWN_PATHS else OTHER
        route = next((r for r in self.routes[base] if r.pattern.match(path)), None)
        if route is None:
            rest = path[len(base) :].strip("/")
            return base, "/" if not rest else ("/ui" if rest.startswith("ui") else OTHER)
        return base, route.template[len(base) :]


class EventCollector(Collector):
    """What the event outbox and the hub hold, read when scraped."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        outbox = self.database.outbox
        lags = subscriptions.lags(outbox)
        registered = GaugeMetricFamily(
            "tmf_event_subscriptions", "Hub subscriptions registered, by API.", labels=["api"]
        )
        by_api: dict[str, int] = {}
        for lag in lags:
            by_api[lag.api] = by_api.get(lag.api, 0) + 1
        for api, count in sorted(by_api.items()):
            registered.add_metric([api], count)
        yield registered
        yield GaugeMetricFamily(
            "tmf_event_dead_letters",
            "Events given up on and kept for a replay, over every subscription.",
            value=DeadLetter._get_collection().estimated_document_count(),
        )
        yield GaugeMetricFamily(
            "tmf_events_stored",
            "Events in the outbox (delivered ones are removed after the retention time).",
            value=outbox.events.estimated_document_count(),
        )
        yield from _lag_metrics(lags)
        newest = max(outbox.tops(), default=0)
        event = outbox.events.find_one({"_id": newest}, {"eventTime": 1}) if newest else None
        if event is not None and isinstance(event.get("eventTime"), str):
            age = time.time() - dates.parse(event["eventTime"]).timestamp()
            yield GaugeMetricFamily(
                "tmf_newest_event_age_seconds",
                "Seconds since the newest stored event happened.",
                value=max(0.0, age),
            )


def _lag_metrics(lags: Sequence[subscriptions.Lag]) -> Iterator[GaugeMetricFamily]:
    labels = ["api", "subscription"]
    backlog = GaugeMetricFamily(
        "tmf_event_subscription_backlog",
        "Events of the subscription's API it has not dealt with yet (delivered, skipped by its "
        "query, or dead-lettered): how far its delivery lags.",
        labels=labels,
    )
    age = GaugeMetricFamily(
        "tmf_event_subscription_oldest_undelivered_age_seconds",
        "Seconds since the oldest event in the subscription's backlog happened (absent when "
        "the backlog is empty).",
        labels=labels,
    )
    dead = GaugeMetricFamily(
        "tmf_event_subscription_dead_letters",
        "Events the subscription gave up on, kept for a replay.",
        labels=labels,
    )
    now = time.time()
    for lag in lags:
        names = [lag.api, lag.subscription_id]
        backlog.add_metric(names, lag.backlog)
        dead.add_metric(names, lag.dead_letters)
        if lag.oldest:
            age.add_metric(names, max(0.0, now - dates.parse(lag.oldest).timestamp()))
    yield from (backlog, age, dead)


def exposition(collector: EventCollector) -> flask.Response:
    """The metrics of every worker process (or of this one), and the collector's."""
    if os.environ.get(MULTIPROCESS_DIRECTORY):
        registry: Any = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    text = generate_latest(registry) + generate_latest(_own(collector))
    return flask.Response(text, content_type=CONTENT_TYPE_LATEST)


def _own(collector: EventCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
