"""`python -m bench.inventory` end to end at tiny scale: both servers start on one database, every
row of its table is measured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_inventory_bench_measures_every_row() -> None:
    command = [sys.executable, "-m", "bench.inventory", "--products", "200"]
    command += ["--requests", "3", "--rounds", "1"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| complete an order (2 items)",
        "| products by customer (v4)",
        "| products by customer (v5)",
    ]
    assert all("nan" not in row for row in rows)
