"""Plain result types of the schemathesis and CTK runners, shaped for assertions in tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SchemathesisFailure:
    """One unique failure schemathesis reported for one API operation and one check."""

    operation: str  # "GET /customer/{id}", or the JUnit label when no operation can be told
    check: str  # "status_code_conformance"; the failure code when the check is unknown
    status_code: int | None
    message: str
    code: str = ""  # schemathesis failure code, e.g. "ST103"
    title: str = ""  # e.g. "Undocumented HTTP status code"
    case_id: str | None = None
    reproduce: str | None = None  # curl command(s) as schemathesis printed them
    label: str = ""  # JUnit test case name the failure was listed under ("Stateful tests", ...)
    violations: int = 1  # schemathesis groups repeated violations of one check in one failure


@dataclass(frozen=True, slots=True)
class SchemathesisResult:
    """What one `st run` found: counts from its JSON report, failures from its JUnit report."""

    exit_code: int
    report_dir: Path
    duration_s: float
    operations: tuple[str, ...] = ()  # "METHOD /path" of every operation in the JUnit report
    operations_tested: int = 0
    test_cases: int = 0  # cases generated
    failures: tuple[SchemathesisFailure, ...] = ()
    errors: tuple[str, ...] = ()  # errors that stopped an operation or the run
    phases: dict[str, str] = field(default_factory=dict)  # phase name -> status

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.errors

    def failures_except(self, allowed: Iterable[tuple[str, str]]) -> list[SchemathesisFailure]:
        """Failures whose (operation, check) pair is not in `allowed`."""
        allowed_pairs = set(allowed)
        return [f for f in self.failures if (f.operation, f.check) not in allowed_pairs]


@dataclass(frozen=True, slots=True)
class CtkFailure:
    """One failed CTK assertion, or a request or script that errored."""

    request: str  # folder path and request name, e.g. "N1 / /Customer"
    assertion: str  # the pm.test name; for errors, what failed ("request", "test-script")
    message: str
    kind: str = "assertion"  # "assertion", "request" or "script"
    method: str = ""  # kits reuse names ("/Customer" for both POST and GET), so keep the method


@dataclass(frozen=True, slots=True)
class CtkRequest:
    """One request the CTK sent, with its response status and assertion counts."""

    name: str
    method: str
    url: str
    status_code: int | None
    assertions: int
    failed: int


@dataclass(frozen=True, slots=True)
class CtkResult:
    """What one newman run of an official CTK found, from newman's JSON report."""

    exit_code: int
    report_dir: Path
    duration_s: float
    collection: str
    url_variable: str
    requests: int = 0
    requests_failed: int = 0  # requests that got no response at all
    assertions: int = 0
    assertions_failed: int = 0
    failures: tuple[CtkFailure, ...] = ()
    executions: tuple[CtkRequest, ...] = ()
    error: str | None = None  # a run-level error newman reported (collection not runnable, ...)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failures and self.error is None
