"""Resident memory of the server's processes, read from /proc: now, and the peak since a reset.

Linux keeps each process's peak resident set (`VmHWM`) and resets it to the current one when
"5" is written to its `clear_refs` (root, or the process's owner). Where that is refused the
peak is the process's since it started, and the report says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bench import cpu

_PROC = Path("/proc")
_KB_PER_MB = 1024


@dataclass(frozen=True)
class Memory:
    """The server's resident memory over one operation's windows, in MB (its processes summed)."""

    start_mb: float
    peak_mb: float
    end_mb: float
    # False: the peak could not be reset, so it is the peak since the server started.
    peak_of_operation: bool = True


def tree(pid: int, exclude: Iterable[int] = ()) -> list[int]:
    """`pid` and its live descendants, leaving out `exclude` (and their subtrees)."""
    skipped = set(exclude)
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        if current in skipped:
            continue
        found.append(current)
        pending += cpu.children(current)
    return found


def resident_mb(pids: Iterable[int]) -> float:
    return sum(_status_kb(pid, "VmRSS") for pid in pids) / _KB_PER_MB


def peak_mb(pids: Iterable[int]) -> float:
    return sum(_status_kb(pid, "VmHWM") for pid in pids) / _KB_PER_MB


def reset_peaks(pids: Iterable[int]) -> bool:
    """Make each process's peak its current resident set; False where the kernel refused."""
    done = True
    for pid in pids:
        try:
            (_PROC / str(pid) / "clear_refs").write_text("5")
        except FileNotFoundError:
            continue  # gone meanwhile
        except OSError:
            done = False
    return done


def measured(pids: Callable[[], list[int]], run: Callable[[], None]) -> Memory:
    """What `run` did to the resident memory of the processes `pids()` names."""
    before = pids()
    reset = reset_peaks(before)
    start = resident_mb(before)
    run()
    after = pids()
    return Memory(start, peak_mb(after), resident_mb(after), reset)


def _status_kb(pid: int, field: str) -> int:
    try:
        lines = (_PROC / str(pid) / "status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    for line in lines:
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    return 0
