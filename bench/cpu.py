"""CPU time of a process and its descendants, read from /proc, for CPU cost per request."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def process_seconds(pid: int) -> float:
    """User plus system CPU seconds of one process (0 once it has gone)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # The command name (field 2) may hold spaces and parentheses; the fields after it do not.
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5), so 11 and 12 after the name.
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list((_PROC / str(pid) / "task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def tree_seconds(pid: int, exclude: Iterable[int] = ()) -> float:
    """CPU seconds of `pid` and its live descendants, leaving out `exclude` (and their subtrees)."""
    skipped = set(exclude)
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        if current in skipped:
            continue
        total += process_seconds(current)
        pending += children(current)
    return total
