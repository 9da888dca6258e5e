"""`python -m bench.payments` end to end at tiny scale: the server and the raw side pay bills
and bill one cycle, and every row of its table is measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_payments_bench_measures_every_row() -> None:
    command = [sys.executable, "-m", "bench.payments", "--accounts", "3", "--requests", "3"]
    command += ["--rounds", "1", "--cycle-accounts", "20"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| pay a bill",
        "| pay the account",
        "| bill run by cycle (10 bills)",
    ]
    assert all("nan" not in row for row in rows)
