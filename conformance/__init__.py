"""Conformance suites (schemathesis, official TM Forum CTKs) that run against any TMF server."""

from conformance.ctk import run_ctk
from conformance.results import (
    CtkFailure,
    CtkRequest,
    CtkResult,
    SchemathesisFailure,
    SchemathesisResult,
)
from conformance.schemathesis_suite import run_schemathesis

__all__ = [
    "CtkFailure",
    "CtkRequest",
    "CtkResult",
    "SchemathesisFailure",
    "SchemathesisResult",
    "run_ctk",
    "run_schemathesis",
]
