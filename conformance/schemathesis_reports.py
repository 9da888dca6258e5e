"""Read schemathesis 4 JUnit XML and JSON run reports into `SchemathesisFailure`s and counts."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from conformance.results import SchemathesisFailure

# The JUnit report names the failure code (ST103), not the check that raised it. This maps the
# built-in codes of schemathesis 4.32.5 back to check names, the names `--checks` accepts.
CHECK_BY_CODE = {
    "ST101": "not_a_server_error",
    "ST102": "not_a_server_error",  # a server error caused by an undeclared Content-Type probe
    "ST103": "status_code_conformance",
    "ST104": "content_type_conformance",
    "ST105": "content_type_conformance",
    "ST106": "content_type_conformance",
    "ST107": "response_headers_conformance",
    "ST108": "response_schema_conformance",
    "ST109": "response_schema_conformance",
    "ST110": "response_schema_conformance",
    "ST111": "response_schema_conformance",
    "ST112": "max_response_time",
    "ST201": "negative_data_rejection",
    "ST202": "positive_data_acceptance",
    "ST203": "missing_required_header",
    "ST204": "unsupported_method",
    "ST205": "allow_header_conformance",
    "ST301": "use_after_free",
    "ST302": "ensure_resource_availability",
    "ST401": "ignored_auth",
    "ST402": "object_level_authorization",
    "ST901": "custom",
}
# ST108 is also what response_headers_conformance raises for a header value; only its title differs.
_HEADER_SCHEMA_TITLE = "Response header does not conform to the schema"

# The failure text is the terminal layout: structural lines start in column 0, and everything
# they introduce (messages, response body, curl) is indented by four spaces.
_CASE_RE = re.compile(r"^\d+\. Test Case ID: (?P<case_id>\S+)$")
_FAILURE_RE = re.compile(r"^- (?P<code>ST\d{3}) (?P<title>.+?)(?: \((?P<count>\d+) violations\))?$")
_STATUS_RE = re.compile(r"^\[(?P<status>\d{3})\] .*:$")
_REPRODUCE = "Reproduce with:"
_INDENT = "    "
_OPERATION_RE = re.compile(r"^[A-Z]+ /")


@dataclass(slots=True)
class _Block:
    """One test case inside a <failure> element: its failures, response status and curl."""

    case_id: str | None
    # (code, title, violations, message lines); one failure may group several violations
    failures: list[tuple[str, str, int, list[str]]] = field(default_factory=list)
    status_code: int | None = None
    curl: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class JunitContent:
    """Everything the JUnit report says: operations in order, unique failures, errors."""

    labels: tuple[str, ...]
    failures: tuple[SchemathesisFailure, ...]
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Counts from the JSON run report (`--report json`)."""

    operations_tested: int
    test_cases: int
    phases: dict[str, str]
    errors: tuple[str, ...]
    skip_reasons: tuple[str, ...]


def read_junit(path: Path, *, base_url: str) -> JunitContent:
    """Parse a schemathesis JUnit XML; `base_url` resolves stateful failures to an operation."""
    root = ElementTree.parse(path).getroot()
    labels: list[str] = []
    failures: list[SchemathesisFailure] = []
    errors: list[str] = []
    cases = list(root.iter("testcase"))
    templates = [t for c in cases if (t := _template(c.get("name", ""))) is not None]
    for case in cases:
        label = case.get("name", "")
        if _OPERATION_RE.match(label):  # not "Stateful tests" and the like
            labels.append(label)
        for element in case.findall("failure"):
            blocks = _parse_failure_text(element.text or "")
            if not blocks:
                # Not the usual layout (e.g. a bare status message): keep it whole, never drop it.
                failures.append(
                    SchemathesisFailure(
                        operation=label,
                        check="unknown",
                        status_code=None,
                        message=(element.text or element.get("message") or "").strip(),
                        label=label,
                    )
                )
            for block in blocks:
                failures.extend(_block_failures(block, label, base_url, templates))
        for element in case.findall("error"):
            text = f"{label}: {(element.text or element.get('message') or '').strip()}"
            # Network errors repeat once per scenario; one copy says it all.
            if text not in errors:
                errors.append(text)
    return JunitContent(tuple(labels), tuple(failures), tuple(errors))


def read_run_summary(path: Path) -> RunSummary:
    """Parse the JSON run report schemathesis writes with `--report json`."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    operations = document.get("operations") or {}
    phases = document.get("phases") or {}
    return RunSummary(
        operations_tested=int(operations.get("tested", 0)),
        test_cases=int((document.get("test_cases") or {}).get("generated", 0)),
        phases={name: str(info.get("status")) for name, info in phases.items()},
        errors=tuple(f"{e['title']} ({e['count']}x)" for e in document.get("errors") or []),
        skip_reasons=tuple(str(r) for r in operations.get("skip_reasons") or []),
    )


def check_for(code: str, title: str) -> str:
    """The check name behind a failure code; the code itself if it is not a built-in one."""
    if code == "ST108" and title == _HEADER_SCHEMA_TITLE:
        return "response_headers_conformance"
    return CHECK_BY_CODE.get(code, code)


def _parse_failure_text(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    target: list[str] | None = None  # where indented lines go
    for line in text.splitlines():
        if (match := _CASE_RE.match(line)) is not None:
            current = _Block(case_id=match["case_id"])
            blocks.append(current)
            target = None
        elif (match := _FAILURE_RE.match(line)) is not None:
            if current is None:  # failures not tied to a test case carry no header
                current = _Block(case_id=None)
                blocks.append(current)
            lines: list[str] = []
            current.failures.append(
                (match["code"], match["title"], int(match["count"] or 1), lines)
            )
            target = lines
        elif current is not None and (match := _STATUS_RE.match(line)) is not None:
            current.status_code = int(match["status"])
            target = None  # the response body is in the report file; no need to copy it
        elif current is not None and line == _REPRODUCE:
            target = current.curl
        elif line.strip() and not line[0].isspace():
            target = None  # another column-0 line, e.g. "Identity: ..."
        elif target is not None:
            target.append(line.removeprefix(_INDENT))
    return [b for b in blocks if b.failures]


def _block_failures(
    block: _Block, label: str, base_url: str, templates: list[tuple[str, re.Pattern[str], str]]
) -> list[SchemathesisFailure]:
    curl = "\n".join(line for line in block.curl if line.strip()) or None
    operation = (
        label if _OPERATION_RE.match(label) else _operation_from_curl(curl, base_url, templates)
    )
    return [
        SchemathesisFailure(
            operation=operation or label,
            check=check_for(code, title),
            status_code=block.status_code,
            message="\n".join(lines).strip(),
            code=code,
            title=title,
            case_id=block.case_id,
            reproduce=curl,
            label=label,
            violations=violations,
        )
        for code, title, violations, lines in block.failures
    ]


def _template(label: str) -> tuple[str, re.Pattern[str], str] | None:
    """(method, path regex, label) for an operation label such as "GET /customer/{id}"."""
    if not _OPERATION_RE.match(label):
        return None
    method, _, path = label.partition(" ")
    parts = re.split(r"(\{[^}/]+\})", path)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return method, re.compile(f"^{pattern}/?$"), label


def _operation_from_curl(
    curl: str | None, base_url: str, templates: list[tuple[str, re.Pattern[str], str]]
) -> str | None:
    """Which operation a stateful step hit, from the last curl command of its reproduction."""
    if curl is None:
        return None
    commands = [line for line in curl.splitlines() if line.startswith("curl ")]
    if not commands:
        return None
    try:
        words = shlex.split(commands[-1])
    except ValueError:  # unbalanced quotes in an odd payload: give up quietly
        return None
    method = words[words.index("-X") + 1] if "-X" in words[:-1] else "GET"
    urls = [w for w in words if w.startswith(("http://", "https://"))]
    if not urls:
        return None
    path = urlsplit(urls[-1]).path
    base_path = urlsplit(base_url).path.rstrip("/")
    relative = path.removeprefix(base_path) if path.startswith(base_path) else path
    # Literal paths before templated ones, so "/customer/count" beats "/customer/{id}".
    for template_method, regex, label in sorted(templates, key=lambda t: t[2].count("{")):
        if template_method == method and regex.match(relative):
            return label
    return None
