"""`python -m notifications`: the delivery worker on its own, beside one or more servers.

Run servers with `TMF_DELIVERY_WORKER=false` and as many of these as you like against the same
database (`TMF_MONGO_URI` is required: the embedded database belongs to the server that started
it). They share the subscriptions through leases; SIGINT or SIGTERM stops one cleanly. With
`TMF_WORKER_METRICS_PORT` set, each serves its delivery counters and the subscriptions' lag in
the Prometheus format at `http://<TMF_HOST>:<port>/metrics` (the servers' `/metrics` count only
their own deliveries).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from prometheus_client import REGISTRY, start_http_server

from app import delivery_options
from handlers import metrics
from handlers.logs import configure as configure_logging
from notifications.delivery import DeliveryWorker
from persistence.database import Database
from settings import Settings
from tmf_apis import APIS

log = logging.getLogger("tmf.delivery")


def main() -> int:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    if not settings.mongo_uri:
        print("the delivery worker needs TMF_MONGO_URI (the servers' database)", file=sys.stderr)
        return 2
    database = Database(
        settings.mongo_uri,
        settings.mongo_database,
        settings.mongo_timeout_ms,
        settings.event_partitions,
    )
    database.prepare_events()
    swept = []
    for api in APIS:
        for resource in api.resources:
            swept.append(database.db[resource.collection])
            if resource.versioned:
                swept.append(database.db[f"{resource.collection}_version"])
    worker = DeliveryWorker(database.outbox, delivery_options(settings), lambda: swept)
    stopped = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda *_: stopped.set())
    stop = worker.start()
    if settings.worker_metrics_port:
        REGISTRY.register(metrics.EventCollector(database))
        start_http_server(settings.worker_metrics_port, addr=settings.host)
    log.info("delivery worker running", extra={"worker": worker.owner})
    stopped.wait()
    stop()
    database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
