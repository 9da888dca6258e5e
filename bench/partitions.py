"""Writers on several processes numbering their events: one sequence against partitions.

    python -m bench.partitions [--processes 1,2,4] [--partitions 1,8] [--duration 6]

Each writer process stores widgets through the server's own store and outbox (4 threads, one
change and its event per insert) into one database for `--duration` seconds, with pymongo's
command monitoring counting what it sent. Reported per configuration, medians of `--repeat`
windows: events stored per second (all processes), the event inserts refused because another
process had taken the number, and the database commands per event. With one sequence, every
writer waits for the one number; with partitions, writers of different resources do not.

The counts are what matters on SecantusDB (one Python process, whose throughput cannot grow with
writers on two cores); on a MongoDB given by `--mongo-uri`, the rates show it too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient, monitoring

from bench.database import target
from bench.params import Params
from notifications.events import ResourceEvents
from persistence.outbox import Outbox
from persistence.store import ResourceStore

THREADS = 4
JOURNAL = ResourceEvents(
    api="benchManagement", schema="Widget", path="widget", kinds=frozenset({"Create"})
)


class _Commands(monitoring.CommandListener):
    """Commands sent, and event inserts refused (a number another writer took)."""

    def __init__(self) -> None:
        self.sent = 0
        self.refused = 0
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        with self._lock:
            self.sent += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name == "insert" and event.reply.get("writeErrors"):
            with self._lock:
                self.refused += 1

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


def _writer(uri: str, name: str, partitions: int, duration: float, out: Any) -> None:
    commands = _Commands()
    client: MongoClient[dict[str, Any]] = MongoClient(uri, event_listeners=[commands])
    with client:
        database = client[name]
        store = ResourceStore(database["widget"], (), JOURNAL, Outbox(database, partitions))
        store.outbox.partitions  # noqa: B018  # read the count before the clock starts
        written = [0] * THREADS
        stop = time.monotonic() + duration
        sent_before = commands.sent

        def write(slot: int) -> None:
            while time.monotonic() < stop:
                store.insert({"id": str(uuid.uuid4()), "status": "new"})
                written[slot] += 1

        threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        out.put((sum(written), commands.refused, commands.sent - sent_before))


@dataclass(frozen=True)
class Window:
    events_per_s: float
    refused_per_100: float
    commands_per_event: float


def _window(uri: str, processes: int, partitions: int, duration: float) -> Window:
    name = f"bench_partitions_{uuid.uuid4().hex[:8]}"
    client: MongoClient[dict[str, Any]] = MongoClient(uri)
    with client:
        setup = Outbox(client[name], partitions)
        setup.ensure_indexes()
        client[name]["widget"].create_index("id", unique=True)
        setup.partitions  # noqa: B018  # the count is fixed before the writers start
        context = multiprocessing.get_context("spawn")
        results: Any = context.Queue()
        workers = [
            context.Process(target=_writer, args=(uri, name, partitions, duration, results))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        found = [results.get(timeout=duration + 120) for _ in workers]
        for worker in workers:
            worker.join()
        client.drop_database(name)
    events = sum(f[0] for f in found)
    return Window(
        events_per_s=events / duration,
        refused_per_100=100 * sum(f[1] for f in found) / max(events, 1),
        commands_per_event=sum(f[2] for f in found) / max(events, 1),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.partitions", description=__doc__)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--partitions", default="1,8")
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--mongo-uri", default="")
    args = parser.parse_args(argv)
    print(
        "| writer processes | partitions | events/s | refused inserts per 100 events "
        "| commands per event |"
    )
    print("|--:|--:|--:|--:|--:|")
    with target(Params(mongo_uri=args.mongo_uri)) as database:
        for processes in (int(p) for p in args.processes.split(",")):
            for partitions in (int(p) for p in args.partitions.split(",")):
                windows = [
                    _window(database.uri, processes, partitions, args.duration)
                    for _ in range(args.repeat)
                ]
                print(
                    f"| {processes} | {partitions} "
                    f"| {statistics.median(w.events_per_s for w in windows):,.0f} "
                    f"| {statistics.median(w.refused_per_100 for w in windows):.1f} "
                    f"| {statistics.median(w.commands_per_event for w in windows):.2f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
