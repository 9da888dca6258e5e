"""Render schemathesis and CTK results as the Markdown reports QA reads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import groupby

from conformance.results import CtkResult, SchemathesisFailure, SchemathesisResult

# Fuzzed payloads and schema dumps can be huge; the JUnit file keeps them whole.
_MAX_BLOCK_CHARS = 3000


def render_schemathesis(result: SchemathesisResult, *, base_url: str, spec: str) -> str:
    """The `schemathesis.md` report: summary, operations, failures by operation and check."""
    verdict = "PASSED" if result.ok else "FAILED"
    lines = [
        "# Schemathesis run",
        "",
        f"- **Result:** {verdict}: {len(result.failures)} failures "
        f"({sum(f.violations for f in result.failures)} violations), "
        f"{len(result.errors)} errors (exit code {result.exit_code})",
        f"- **Server:** {base_url}",
        f"- **Spec:** {spec}",
        f"- **Operations tested:** {result.operations_tested}",
        f"- **Test cases generated:** {result.test_cases}",
        f"- **Duration:** {result.duration_s:.1f} s",
    ]
    if result.phases:
        phases = ", ".join(f"{name} {status}" for name, status in result.phases.items())
        lines.append(f"- **Phases:** {phases}")
    lines += ["", "## Operations", "", "| Operation | Failures |", "|---|---|"]
    for operation in result.operations:
        count = sum(1 for f in result.failures if f.operation == operation)
        lines.append(f"| {_cell(operation)} | {count} |")
    if result.failures:
        lines += ["", "## Failures"]
        lines += _schemathesis_failures(result.failures)
    if result.errors:
        lines += ["", "## Errors", ""]
        for error in result.errors:
            lines += [_fence(error), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_ctk(result: CtkResult, *, kit: str, base_url: str) -> str:
    """The `ctk.md` report: summary, every request with its status, every failed assertion."""
    verdict = "PASSED" if result.ok else "FAILED"
    lines = [
        f"# CTK run: {result.collection}",
        "",
        f"- **Result:** {verdict}: {result.assertions_failed} of {result.assertions} "
        f"assertions failed, {len(result.failures)} failures (exit code {result.exit_code})",
        f"- **Kit:** {kit}",
        f"- **Server:** {base_url} (as `{{{{{result.url_variable}}}}}`)",
        f"- **Requests:** {result.requests}, of which {result.requests_failed} got no response",
        f"- **Duration:** {result.duration_s:.1f} s",
    ]
    if result.error:
        lines += ["", "## Run error", "", _fence(result.error)]
    lines += [
        "",
        "## Requests",
        "",
        "| # | Request | Method | URL | Status | Assertions | Failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(result.executions, 1):
        status = "no response" if row.status_code is None else str(row.status_code)
        lines.append(
            f"| {number} | {_cell(row.name)} | {row.method} | {_cell(row.url)} | {status} "
            f"| {row.assertions} | {row.failed} |"
        )
    if result.failures:
        lines += ["", "## Failures"]
        for (request, method), group in groupby(
            result.failures, key=lambda f: (f.request, f.method)
        ):
            lines += ["", f"### {request} ({method})" if method else f"### {request}", ""]
            for failure in group:
                message = " ".join(failure.message.split())
                lines.append(f"- **{failure.assertion}** ({failure.kind}): {message}")
    return "\n".join(lines).rstrip() + "\n"


def _schemathesis_failures(failures: Iterable[SchemathesisFailure]) -> list[str]:
    lines: list[str] = []
    ordered = sorted(failures, key=lambda f: (f.operation, f.check))
    for operation, by_operation in groupby(ordered, key=lambda f: f.operation):
        lines += ["", f"### {operation}"]
        for check, by_check in groupby(by_operation, key=lambda f: f.check):
            lines += ["", f"#### {check}"]
            for failure in by_check:
                status = "no response" if failure.status_code is None else failure.status_code
                case = f", test case `{failure.case_id}`" if failure.case_id else ""
                many = f" ({failure.violations} violations)" if failure.violations > 1 else ""
                lines += [
                    "",
                    f"- **{failure.code} {failure.title}**{many}: status {status}{case}",
                    "",
                ]
                if failure.message:
                    lines += [_fence(failure.message), ""]
                if failure.reproduce:
                    lines += ["Reproduce with:", "", _fence(failure.reproduce, "sh")]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _fence(text: str, language: str = "") -> str:
    """A fenced block that the text itself cannot close, whatever backticks it holds."""
    if len(text) > _MAX_BLOCK_CHARS:
        text = text[:_MAX_BLOCK_CHARS] + "\n... (truncated, see the JUnit report)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
