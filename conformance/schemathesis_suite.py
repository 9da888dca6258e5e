"""Run schemathesis 4 (`st run`) against any server; turn its reports into a result."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from conformance._process import run_logged
from conformance._report_dir import resolve_report_dir
from conformance.markdown import render_schemathesis
from conformance.results import SchemathesisResult
from conformance.schemathesis_reports import read_junit, read_run_summary

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
JUNIT_FILE = "junit.xml"
SUMMARY_FILE = "schemathesis.json"
MARKDOWN_FILE = "schemathesis.md"
LOG_FILE = "schemathesis.log"
# Hypothesis' checks on the generator rather than the server: TMF's recursive schemas (order items
# holding order items, bundles of offerings) make examples that exceed its size limits now and
# then, which would end an operation's run with an error and no verdict on the server.
GENERATOR_HEALTH_CHECKS = ("data_too_large", "large_base_example")
# How much of the console output to keep as the error when st left no report at all.
_LOG_TAIL_CHARS = 2000


def run_schemathesis(
    base_url: str,
    spec: str | Path,
    *,
    max_examples: int = 50,
    phases: Sequence[str] = ALL_PHASES,
    checks: str | Sequence[str] = "all",
    headers: Mapping[str, str] | None = None,
    report_dir: str | Path | None = None,
    workers: int = 1,
    seed: int | None = None,
    suppress_health_checks: Sequence[str] = GENERATOR_HEALTH_CHECKS,
    extra_args: Sequence[str] = (),
    echo: bool = False,
) -> SchemathesisResult:
    """Fuzz the API at `base_url` (its root, e.g. http://host/tmf-api/customerManagement/v4)
    with the OpenAPI 3 or Swagger 2.0 document `spec` (path or URL), write `junit.xml`,
    `schemathesis.json`, `schemathesis.md` and the console log into `report_dir`, and return
    what was found. `extra_args` go to `st run` unchanged; `echo` also prints its console output.
    """
    if importlib.util.find_spec("schemathesis") is None:
        raise RuntimeError(
            "schemathesis is not installed here; run `make test` or install '.[dev]'"
        )
    spec_text = str(spec)
    if "://" not in spec_text and not Path(spec_text).is_file():
        raise FileNotFoundError(f"spec not found: {spec_text}")
    out = resolve_report_dir(report_dir)
    for stale in (JUNIT_FILE, SUMMARY_FILE):
        # A report left by an earlier run must not be read as this run's.
        (out / stale).unlink(missing_ok=True)
    command = _command(
        base_url,
        spec_text,
        out,
        max_examples=max_examples,
        phases=phases,
        checks=checks,
        headers=headers or {},
        workers=workers,
        seed=seed,
        suppress_health_checks=suppress_health_checks,
        extra_args=extra_args,
    )
    # Fuzzed strings reach the console output; a C locale must not turn them into a crash.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    exit_code, duration = run_logged(command, out / LOG_FILE, echo=echo, env=env)
    result = _result(out, base_url=base_url, exit_code=exit_code, duration=duration)
    (out / MARKDOWN_FILE).write_text(
        render_schemathesis(result, base_url=base_url, spec=spec_text), encoding="utf-8"
    )
    return result


def _command(
    base_url: str,
    spec: str,
    out: Path,
    *,
    max_examples: int,
    phases: Sequence[str],
    checks: str | Sequence[str],
    headers: Mapping[str, str],
    workers: int,
    seed: int | None,
    suppress_health_checks: Sequence[str],
    extra_args: Sequence[str],
) -> list[str]:
    # `python -m schemathesis.cli` rather than `st` on PATH: it is the schemathesis of this venv.
    command = [sys.executable, "-m", "schemathesis.cli", "run", spec]
    # --url replaces the spec's own server: for Swagger 2.0 the whole of scheme, host and
    # basePath, so the official files' `host: serverRoot` and `schemes: [https]` are ignored.
    command += ["--url", base_url.rstrip("/")]
    command += ["--max-examples", str(max_examples), "--phases", ",".join(phases)]
    command += ["--checks", checks if isinstance(checks, str) else ",".join(checks)]
    command += ["--workers", str(workers), "--no-color"]
    command += ["--report-dir", str(out)]
    command += ["--report-junit-path", str(out / JUNIT_FILE)]
    command += ["--report-json-path", str(out / SUMMARY_FILE)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    if seed is not None:
        command += ["--seed", str(seed)]
    if suppress_health_checks:
        command += ["--suppress-health-check", ",".join(suppress_health_checks)]
    return command + list(extra_args)


def _result(out: Path, *, base_url: str, exit_code: int, duration: float) -> SchemathesisResult:
    junit_path, summary_path = out / JUNIT_FILE, out / SUMMARY_FILE
    if not junit_path.is_file():
        # Usage errors (exit code 2) and crashes leave no report: the console output is all we have.
        log = (out / LOG_FILE).read_text(encoding="utf-8", errors="replace")
        return SchemathesisResult(
            exit_code=exit_code or 1,
            report_dir=out,
            duration_s=duration,
            errors=(f"schemathesis wrote no report:\n{log[-_LOG_TAIL_CHARS:].strip()}",),
        )
    junit = read_junit(junit_path, base_url=base_url)
    summary = read_run_summary(summary_path) if summary_path.is_file() else None
    errors = junit.errors
    if not errors and summary is not None:
        errors = summary.errors  # e.g. a schema that failed to load: no JUnit test case for it
    if summary is not None and summary.operations_tested == 0:
        # st exits 2 when everything was skipped (e.g. only the examples phase, and no examples).
        reasons = ", ".join(summary.skip_reasons) or "see the log"
        errors += (f"no operation was tested ({reasons})",)
    if exit_code != 0 and not errors and not junit.failures:
        errors = (f"schemathesis exited with {exit_code} without a failure; see {LOG_FILE}",)
    return SchemathesisResult(
        exit_code=exit_code,
        report_dir=out,
        duration_s=duration,
        operations=junit.labels,
        operations_tested=summary.operations_tested if summary else 0,
        test_cases=summary.test_cases if summary else 0,
        failures=junit.failures,
        errors=errors,
        phases=summary.phases if summary else {},
    )
