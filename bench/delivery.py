"""What the listeners of one events window received: matched to the changes that caused them,
checked (exactly once, in order, signed), and timed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bench.listener import Received
from bench.stats import percentile
from notifications.callbacks import signature
from tmf_apis.tmf629.registry import CUSTOMER

EVENT_TYPE = f"{CUSTOMER.schema}CreateEvent"
# The outbox numbers of events, by eventId (the server side only: the raw service has none).
Numbers = Callable[[list[str]], dict[str, int]]


@dataclass(frozen=True)
class Change:
    """A change the client saw acknowledged: the customer's id and when the ack arrived."""

    resource_id: str
    acked: float  # time.time()


@dataclass(frozen=True)
class _Event:
    event_id: str
    event_type: str
    written: float  # eventTime, as time.time()
    resource_id: str


@dataclass(frozen=True)
class Delivery:
    """The deliveries caused by one timed window of changes, to every listener."""

    listeners: int
    # Changes acknowledged in the window, and the window's length.
    changes: int
    window_s: float
    # (change, listener) pairs delivered before the window ended, and by the end of the drain.
    in_window: int
    delivered: int
    # Pairs never delivered; deliveries of a pair already delivered; deliveries of no change of
    # this window; deliveries after one with a higher outbox number (None: not numbered).
    missing: int
    duplicates: int
    unexpected: int
    out_of_order: int | None
    # Deliveries whose body, signature or X-TMF-Event-Id header is wrong.
    malformed: int
    # From the window's end to the last delivery received.
    drain_s: float
    # Change acknowledged to the client → received by the listener.
    p50_ms: float
    p99_ms: float
    # The event's eventTime (stamped by the writer, to the millisecond) → received.
    stored_p50_ms: float
    stored_p99_ms: float
    first_problem: str = ""

    @property
    def rate(self) -> float:
        """Deliveries per second over the window."""
        return self.in_window / self.window_s if self.window_s else 0.0

    @property
    def change_rate(self) -> float:
        return self.changes / self.window_s if self.window_s else 0.0

    @property
    def ok(self) -> bool:
        """Every change delivered exactly once to every listener, in order, well formed."""
        return not (self.missing or self.duplicates or self.out_of_order or self.malformed)


def analyse(
    changes: Iterable[Change],
    records: Iterable[Received],
    secrets: Mapping[str, str],
    window_s: float,
    window_end: float,
    numbers: Numbers | None = None,
) -> Delivery:
    """Match each received event to its change by the customer's id; `secrets` maps each
    listener's path to the secret its deliveries are signed with."""
    acked = {change.resource_id: change.acked for change in changes}
    seen: set[tuple[str, str]] = set()
    # Per listener path, the eventIds matched, in receive order.
    arrivals: dict[str, list[str]] = {path: [] for path in secrets}
    latencies: list[float] = []
    stored: list[float] = []
    in_window = duplicates = unexpected = malformed = 0
    last = window_end
    problems: list[str] = []
    for record in sorted(records, key=lambda r: r.order):
        secret = secrets.get(record.path)
        event = _parse(record.body)
        if secret is None or event is None or event.event_type != EVENT_TYPE:
            unexpected += 1
            problems.append(f"unexpected delivery to {record.path}: {record.body[:120]!r}")
            continue
        if record.signature != signature(secret, record.body) or record.event_id != event.event_id:
            malformed += 1
            problems.append(f"bad signature or X-TMF-Event-Id on event {event.event_id}")
            continue
        if event.resource_id not in acked:
            unexpected += 1
            problems.append(f"event {event.event_id} is for no change of this window")
            continue
        key = (record.path, event.resource_id)
        if key in seen:
            duplicates += 1
            problems.append(f"event {event.event_id} delivered again to {record.path}")
            continue
        seen.add(key)
        arrivals[record.path].append(event.event_id)
        in_window += record.received <= window_end
        last = max(last, record.received)
        latencies.append((record.received - acked[event.resource_id]) * 1000)
        stored.append((record.received - event.written) * 1000)
    missing = len(acked) * len(secrets) - len(seen)
    if missing:
        problems.append(f"{missing} of {len(acked) * len(secrets)} deliveries never arrived")
    out_of_order = None if numbers is None else _out_of_order(arrivals, numbers)
    if out_of_order:
        problems.append(f"{out_of_order} deliveries came after an event numbered higher")
    latencies.sort()
    stored.sort()
    return Delivery(
        listeners=len(secrets),
        changes=len(acked),
        window_s=window_s,
        in_window=in_window,
        delivered=len(seen),
        missing=missing,
        duplicates=duplicates,
        unexpected=unexpected,
        out_of_order=out_of_order,
        malformed=malformed,
        drain_s=last - window_end,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        stored_p50_ms=percentile(stored, 50),
        stored_p99_ms=percentile(stored, 99),
        first_problem=problems[0] if problems else "",
    )


def _parse(body: bytes) -> _Event | None:
    try:
        event = json.loads(body)
        return _Event(
            event_id=str(event["eventId"]),
            event_type=str(event["eventType"]),
            written=datetime.fromisoformat(event["eventTime"]).timestamp(),
            resource_id=str(event["event"][CUSTOMER.path]["id"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _out_of_order(arrivals: Mapping[str, list[str]], numbers: Numbers) -> int:
    """Deliveries to a listener that arrived after one with a higher outbox number."""
    known = numbers(sorted({event_id for ids in arrivals.values() for event_id in ids}))
    late = 0
    for event_ids in arrivals.values():
        highest = 0
        for event_id in event_ids:
            number = known.get(event_id)
            if number is not None:
                late += number < highest
                highest = max(highest, number)
    return late
