"""Run an official TM Forum v4 CTK (a Postman collection) with newman against any server."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from conformance._process import run_logged
from conformance._report_dir import resolve_report_dir
from conformance.collection import (
    detect_url_variable,
    find_collection,
    find_environment,
    load_json,
    with_headers,
)
from conformance.markdown import render_ctk
from conformance.newman_reports import read_newman_json
from conformance.results import CtkResult

LOCAL_NEWMAN = Path(__file__).parent / "node_modules" / ".bin" / "newman"
JSON_FILE = "newman.json"
JUNIT_FILE = "ctk-junit.xml"  # not junit.xml, so one report dir can hold a schemathesis run too
MARKDOWN_FILE = "ctk.md"
LOG_FILE = "newman.log"
# Per request; a server that hangs should fail its request, not the whole QA session.
REQUEST_TIMEOUT_MS = 30_000


def find_newman() -> str:
    """The pinned newman from conformance/node_modules, else one on PATH."""
    if LOCAL_NEWMAN.is_file():
        return str(LOCAL_NEWMAN)
    on_path = shutil.which("newman")
    if on_path is not None:
        return on_path
    raise RuntimeError(
        "newman not found: run `make conformance-deps` (installs the pinned newman into "
        "conformance/node_modules) or put newman 6 on PATH"
    )


def run_ctk(
    kit_dir: str | Path,
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    report_dir: str | Path | None = None,
    url_variable: str | None = None,
    echo: bool = False,
) -> CtkResult:
    """Run the kit in `kit_dir` (a CTK folder, its ctk/ folder or the collection file) against
    the API root `base_url`, sending `headers` with every request, write `newman.json`,
    `ctk-junit.xml`, `ctk.md` and the console log into `report_dir`, and return what it found.
    """
    newman = find_newman()
    collection_path = find_collection(Path(kit_dir))
    environment_path = find_environment(collection_path)
    collection = load_json(collection_path)
    environment = load_json(environment_path) if environment_path else None
    variable = url_variable or detect_url_variable(collection, environment)
    # v4 kits write "{{Customer}}customer": the root must end with the slash they leave out.
    root = base_url.rstrip("/") + "/"
    out = resolve_report_dir(report_dir)
    (out / JSON_FILE).unlink(missing_ok=True)  # never read an earlier run's report as this one's
    with tempfile.TemporaryDirectory(prefix="ctk-") as scratch:
        run_path = collection_path
        if headers:
            # newman has no "header on every request" option: run a patched copy, never the kit.
            run_path = Path(scratch) / collection_path.name
            run_path.write_text(json.dumps(with_headers(collection, headers)), encoding="utf-8")
        command = [newman, "run", str(run_path)]
        if environment_path is not None:
            command += ["--environment", str(environment_path)]
        command += ["--env-var", f"{variable}={root}"]
        # Relative file references in a kit resolve against its own folder, as in Postman.
        command += ["--working-dir", str(collection_path.parent)]
        command += ["--timeout-request", str(REQUEST_TIMEOUT_MS), "--color", "off"]
        command += ["--reporters", "cli,json,junit"]
        command += ["--reporter-json-export", str(out / JSON_FILE)]
        command += ["--reporter-junit-export", str(out / JUNIT_FILE)]
        exit_code, duration = run_logged(command, out / LOG_FILE, echo=echo)
    result = _result(out, exit_code, duration, collection_path, variable)
    (out / MARKDOWN_FILE).write_text(
        render_ctk(result, kit=str(kit_dir), base_url=root), encoding="utf-8"
    )
    return result


def _result(
    out: Path, exit_code: int, duration: float, collection_path: Path, variable: str
) -> CtkResult:
    if not (out / JSON_FILE).is_file():
        log = (out / LOG_FILE).read_text(encoding="utf-8", errors="replace")
        return CtkResult(
            exit_code=exit_code or 1,
            report_dir=out,
            duration_s=duration,
            collection=collection_path.name,
            url_variable=variable,
            error=f"newman wrote no report:\n{log[-2000:].strip()}",
        )
    summary = read_newman_json(out / JSON_FILE)
    return CtkResult(
        exit_code=exit_code,
        report_dir=out,
        duration_s=duration,
        collection=summary.collection or collection_path.name,
        url_variable=variable,
        requests=summary.requests,
        requests_failed=summary.requests_failed,
        assertions=summary.assertions,
        assertions_failed=summary.assertions_failed,
        failures=summary.failures,
        executions=summary.executions,
        error=summary.error,
    )
