"""Servers run as `python app.py` subprocesses, the way `make run` runs them.

mongoengine keeps one connection registry per process, so a second application in the test
process would take over the first one's connection: every extra server gets its own process.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from settings import ENV_PREFIX, Settings
from tests.conftest import _free_port

ROOT = Path(__file__).parent.parent


@contextmanager
def server_process(
    settings: Settings, module: str | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start the server with these settings (its port is chosen here); yield it and its URL.
    `module` runs `python -m <module>` instead of `python app.py` (a test's own server)."""
    port = _free_port()
    settings = dataclasses.replace(settings, port=port)
    command = [sys.executable, *(["-m", module] if module else ["app.py"])]
    process = subprocess.Popen(command, cwd=ROOT, env=environment(settings))
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, url)
        yield process, url
    finally:
        _stop(process)


@contextmanager
def worker_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m notifications`, the delivery worker on its own, with these settings."""
    command = [sys.executable, "-m", "notifications"]
    process = subprocess.Popen(command, cwd=ROOT, env=environment(settings))
    try:
        yield process
    finally:
        _stop(process)


def environment(settings: Settings) -> dict[str, str]:
    """This process's environment with the settings as `TMF_*` variables instead of its own."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        if field.name != "specs_dir" and value not in ("", None):
            variables[ENV_PREFIX + field.name.upper()] = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    return variables


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code in (200, 503):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not answer /health")
