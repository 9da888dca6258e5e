"""The load generator: N threads each run one operation back to back for a fixed time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.stats import percentile

# After a failed request a thread pauses, so a dead server does not turn the loop into a spin.
ERROR_PAUSE_S = 0.01
JOIN_GRACE_S = 60.0


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Worker:
    """One thread's request function (raises on failure) and what to release afterwards."""

    request: Callable[[], None]
    close: Callable[[], None] = _nothing


# Builds the worker for thread number n; connections are opened here, outside the timed window.
WorkerFactory = Callable[[int], Worker]
# CPU seconds so far per process label ("server", "database", "bench").
Meter = Callable[[], dict[str, float]]


@dataclass(frozen=True)
class Window:
    """What one timed run of one operation did."""

    requests: int
    errors: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    # CPU milliseconds per request (successful or not) for each metered process.
    cpu_ms_per_request: dict[str, float]
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s else 0.0


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""


def run(factory: WorkerFactory, threads: int, duration_s: float, meter: Meter) -> Window:
    """Run `threads` workers together for `duration_s` seconds; CPU is metered over that window."""
    workers = [factory(n) for n in range(threads)]
    tallies = [_Tally() for _ in workers]
    go = threading.Barrier(threads + 1)
    runners = [
        threading.Thread(target=_loop, args=(w, t, go, duration_s), daemon=True)
        for w, t in zip(workers, tallies, strict=True)
    ]
    try:
        for runner in runners:
            runner.start()
        before = meter()
        started = time.perf_counter()
        go.wait()
        for runner in runners:
            runner.join(duration_s + JOIN_GRACE_S)
        elapsed = time.perf_counter() - started
        after = meter()
    finally:
        for worker in workers:
            worker.close()
    latencies = sorted(ms for t in tallies for ms in t.latencies_ms)
    errors = sum(t.errors for t in tallies)
    served = len(latencies) + errors
    cpu = {
        label: (after[label] - before[label]) * 1000 / served
        for label in after
        if label in before and served
    }
    return Window(
        requests=len(latencies),
        errors=errors,
        elapsed_s=elapsed,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        cpu_ms_per_request=cpu,
        first_error=next((t.first_error for t in tallies if t.first_error), ""),
    )


def _loop(worker: Worker, tally: _Tally, go: threading.Barrier, duration_s: float) -> None:
    go.wait()
    deadline = time.perf_counter() + duration_s
    clock = time.perf_counter
    while (begun := clock()) < deadline:
        try:
            worker.request()
        except Exception as error:  # a failed request is counted and reported, not fatal
            tally.errors += 1
            tally.first_error = tally.first_error or f"{type(error).__name__}: {error}"
            time.sleep(ERROR_PAUSE_S)
            continue
        tally.latencies_ms.append((clock() - begun) * 1000)
