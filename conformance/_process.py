"""Run a tool as a subprocess, keeping its console output in a log file and optionally echoed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_logged(
    command: Sequence[str],
    log_path: Path,
    *,
    echo: bool = False,
    env: Mapping[str, str] | None = None,
) -> tuple[int, float]:
    """Run `command`, write its merged stdout/stderr to `log_path`; return (exit code, seconds)."""
    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            text=True,
            encoding="utf-8",
            # Fuzzed payloads show up in the output; never let one undecodable byte kill the run.
            errors="replace",
        ) as process,
    ):
        assert process.stdout is not None  # guaranteed by stdout=PIPE
        # Line by line rather than communicate(): a long fuzzing run should show its progress.
        for line in process.stdout:
            log.write(line)
            if echo:
                sys.stdout.write(line)
                sys.stdout.flush()
        exit_code = process.wait()
    return exit_code, time.monotonic() - started
