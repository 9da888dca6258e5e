"""The embedded SecantusDB: started on a free port, stopped cleanly, data kept across restarts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient

from persistence.embedded import EmbeddedDatabase


def test_data_survives_a_restart(tmp_path: Path) -> None:
    storage = str(tmp_path / "db")
    with EmbeddedDatabase(storage) as first:
        with MongoClient(first.uri) as client:
            client.tmf.customer.insert_one({"id": "kept", "name": "Moon FC"})
    with EmbeddedDatabase(storage) as second:
        with MongoClient(second.uri) as client:
            assert client.tmf.customer.find_one({"id": "kept"}, {"_id": 0})["name"] == "Moon FC"


def test_stop_ends_the_child_process(tmp_path: Path) -> None:
    database = EmbeddedDatabase(":memory:").start()
    process = database._process
    assert process is not None and process.poll() is None
    database.stop()
    assert process.poll() is not None


def test_the_database_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = (
        "import sys, time; sys.path.insert(0, '.');"
        "from persistence.embedded import EmbeddedDatabase;"
        "db = EmbeddedDatabase(':memory:').start();"
        "print(db._process.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 30
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child)


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (it may vanish while being looked at)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
