"""`python app.py`, as `make run` starts it: embedded database, clean shutdown, data kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.builders import customer
from tests.conftest import _free_port

ROOT = Path(__file__).parent.parent
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


@contextmanager
def server_process(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TMF_")},
        "TMF_PORT": str(port),
        "TMF_DATA_DIR": str(data_dir),
        "TMF_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, url)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become healthy")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found


def test_serves_shuts_down_cleanly_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with server_process(data_dir) as (process, url):
        assert httpx.get(f"{url}/tmf-api/customerManagement/v4/ui/").status_code == 200
        health = httpx.get(f"{url}/health").json()
        assert health["database"]["kind"] == "embedded SecantusDB"
        created = httpx.post(f"{url}{CUSTOMERS}", json=customer(), timeout=10).json()
        database_pids = _children(process.pid)
        assert database_pids, "the embedded database runs as a child of the server"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        for pid in database_pids:
            assert not Path(f"/proc/{pid}").exists(), "the embedded database was left running"

    with server_process(data_dir) as (_, url):
        again = httpx.get(f"{url}{CUSTOMERS}/{created['id']}")
        assert again.status_code == 200
        assert again.json()["name"] == created["name"]
