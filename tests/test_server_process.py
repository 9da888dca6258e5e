"""`python app.py`, as `make run` starts it: embedded database, clean shutdown, data kept."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from settings import Settings
from tests.builders import customer
from tests.conftest import _free_port
from tests.servers import environment, server_process

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


def embedded_server(data_dir: Path) -> AbstractContextManager[tuple[subprocess.Popen[bytes], str]]:
    """`python app.py` with no database URI: it starts its own embedded database."""
    return server_process(Settings(data_dir=str(data_dir), log_level="WARNING"))


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found


def test_serves_shuts_down_cleanly_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with embedded_server(data_dir) as (process, url):
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

    with embedded_server(data_dir) as (_, url):
        again = httpx.get(f"{url}{CUSTOMERS}/{created['id']}")
        assert again.status_code == 200
        assert again.json()["name"] == created["name"]


def test_help_says_what_configures_the_server_and_starts_nothing() -> None:
    root = Path(__file__).resolve().parent.parent
    shown = subprocess.run(
        [sys.executable, "app.py", "--help"], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    assert "usage: python app.py" in shown.stdout
    for setting in ("TMF_PORT", "TMF_MONGO_URI", "TMF_DATA_DIR", "TMF_EVENT_PARTITIONS"):
        assert setting in shown.stdout
    refused = subprocess.run(
        [sys.executable, "app.py", "--port", "1"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "unrecognized arguments: --port 1" in refused.stderr


def _start(environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_the_server_says_where_it_listens_once_it_answers(tmp_path: Path) -> None:
    port = _free_port()
    settings = Settings(data_dir=":memory:", log_level="WARNING", port=port)
    process = _start(environment(settings))
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        # Printed once the port answers: what it says is there.
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        shown = [first] + [process.stdout.readline() for _ in range(6)]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    assert first.startswith("TMF Open API server ")
    assert f"listening on http://127.0.0.1:{port}/" in first
    text = "".join(shown)
    assert f"http://127.0.0.1:{port}/tmf-api/productCatalogManagement/v4/ui/" in text
    assert "embedded SecantusDB in :memory:" in text
    assert "authentication  off" in text


def test_a_server_that_cannot_bind_its_port_does_not_say_it_listens() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(data_dir=":memory:", log_level="WARNING", port=port)
        process = _start(environment(settings))
        out, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "listening" not in out
