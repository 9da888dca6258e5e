"""Parsing and rendering of schemathesis, newman and Postman files, on reports from real runs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conformance import ctk
from conformance.cli import main
from conformance.collection import KitError, detect_url_variable, with_headers
from conformance.markdown import render_ctk, render_schemathesis
from conformance.newman_reports import read_newman_json
from conformance.results import CtkResult, SchemathesisResult
from conformance.schemathesis_reports import check_for, read_junit, read_run_summary

# Real reports: schemathesis 4.32.5 and newman 6.2.2 (TMF629 v4 CTK) against a throwaway toy
# customer server; see fixtures/README.md for how they were made.
FIXTURES = Path(__file__).parent / "fixtures"
ST_JUNIT = FIXTURES / "schemathesis-tmf629-toy.junit.xml"
ST_SUMMARY = FIXTURES / "schemathesis-tmf629-toy.json"
NEWMAN_TOY = FIXTURES / "newman-tmf629-toy.json"
NEWMAN_REFUSED = FIXTURES / "newman-tmf629-refused.json"
BASE_URL = "http://127.0.0.1:38501/tmf-api/customerManagement/v4"
OPERATIONS = (
    "POST /customer",
    "GET /customer",
    "GET /customer/{id}",
    "PATCH /customer/{id}",
    "DELETE /customer/{id}",
)


def _st_result() -> SchemathesisResult:
    junit = read_junit(ST_JUNIT, base_url=BASE_URL)
    summary = read_run_summary(ST_SUMMARY)
    return SchemathesisResult(
        exit_code=1,
        report_dir=FIXTURES,
        duration_s=6.0,
        operations=junit.labels,
        operations_tested=summary.operations_tested,
        test_cases=summary.test_cases,
        failures=junit.failures,
        errors=junit.errors,
        phases=summary.phases,
    )


def _ctk_result(path: Path) -> CtkResult:
    summary = read_newman_json(path)
    return CtkResult(
        exit_code=1,
        report_dir=FIXTURES,
        duration_s=2.0,
        collection=summary.collection,
        url_variable="Customer",
        requests=summary.requests,
        requests_failed=summary.requests_failed,
        assertions=summary.assertions,
        assertions_failed=summary.assertions_failed,
        failures=summary.failures,
        executions=summary.executions,
        error=summary.error,
    )


def test_junit_failures_add_up_to_the_counts_of_the_run_summary() -> None:
    failures = read_junit(ST_JUNIT, base_url=BASE_URL).failures
    summary = json.loads(ST_SUMMARY.read_text(encoding="utf-8"))
    # schemathesis's own per-code counts are the reference.
    expected = {f["code"]: f["count"] for f in summary["failures"]}
    counted: Counter[str] = Counter()
    for failure in failures:
        counted[failure.code] += failure.violations
    assert dict(counted) == expected
    assert sum(expected.values()) == summary["test_cases"]["unique_failures"] == 15


def test_junit_lists_the_tested_operations_but_not_the_stateful_label() -> None:
    assert read_junit(ST_JUNIT, base_url=BASE_URL).labels == OPERATIONS


def test_junit_failure_names_operation_check_status_and_reproduction() -> None:
    failures = read_junit(ST_JUNIT, base_url=BASE_URL).failures
    server_errors = [f for f in failures if f.check == "not_a_server_error"]
    assert len(server_errors) == 1
    [error] = server_errors
    assert (error.operation, error.status_code, error.code) == (
        "PATCH /customer/{id}",
        500,
        "ST101",
    )
    assert error.title == "Server error"
    assert error.reproduce is not None and error.reproduce.startswith("curl -X PATCH ")
    # The token given with --header never reaches a report.
    assert "[Filtered]" in error.reproduce
    missing_type = [f for f in failures if f.code == "ST104"]
    assert [(f.operation, f.check, f.status_code) for f in missing_type] == [
        ("DELETE /customer/{id}", "content_type_conformance", 204)
    ]


def test_junit_keeps_every_failure_of_one_test_case() -> None:
    failures = read_junit(ST_JUNIT, base_url=BASE_URL).failures
    same_case = [f for f in failures if f.case_id == "LOQkOH"]
    assert {f.check for f in same_case} == {
        "response_schema_conformance",
        "negative_data_rejection",
    }
    assert {f.status_code for f in same_case} == {201}


def test_junit_grouped_violations_are_one_failure_with_a_count() -> None:
    failures = read_junit(ST_JUNIT, base_url=BASE_URL).failures
    grouped = [f for f in failures if f.violations > 1]
    assert [(f.operation, f.check, f.violations) for f in grouped] == [
        ("GET /customer", "response_schema_conformance", 6)
    ]


def test_stateful_failure_is_filed_under_the_operation_of_its_last_request() -> None:
    failures = read_junit(ST_JUNIT, base_url=BASE_URL).failures
    [stateful] = [f for f in failures if f.label == "Stateful tests"]
    assert stateful.operation == "PATCH /customer/{id}"
    assert stateful.check == "response_schema_conformance"
    assert stateful.reproduce is not None
    steps = stateful.reproduce.splitlines()
    assert [s.split()[2] for s in steps] == ["GET", "PATCH"]


def test_stateful_failure_keeps_its_label_when_the_url_matches_no_operation() -> None:
    failures = read_junit(ST_JUNIT, base_url="http://127.0.0.1:38501/elsewhere/v9").failures
    [stateful] = [f for f in failures if f.label == "Stateful tests"]
    assert stateful.operation == "Stateful tests"


def test_check_names_come_from_failure_codes() -> None:
    assert check_for("ST103", "Undocumented HTTP status code") == "status_code_conformance"
    assert check_for("ST108", "Response violates schema") == "response_schema_conformance"
    header = "Response header does not conform to the schema"
    assert check_for("ST108", header) == "response_headers_conformance"
    assert check_for("ST999", "Something new") == "ST999"


def test_run_summary_counts_operations_cases_and_phases() -> None:
    summary = read_run_summary(ST_SUMMARY)
    assert (summary.operations_tested, summary.test_cases) == (5, 61)
    assert summary.phases == {
        "examples": "skip",
        "coverage": "failure",
        "fuzzing": "failure",
        "stateful": "failure",
    }
    assert summary.errors == ()


def test_failures_except_leaves_only_what_is_not_allow_listed() -> None:
    result = _st_result()
    allowed = {(f.operation, f.check) for f in result.failures if f.check != "not_a_server_error"}
    left = result.failures_except(allowed)
    assert [(f.operation, f.check) for f in left] == [
        ("PATCH /customer/{id}", "not_a_server_error")
    ]
    assert not result.ok


def test_schemathesis_markdown_groups_failures_by_operation_then_check() -> None:
    text = render_schemathesis(_st_result(), base_url=BASE_URL, spec="TMF629.swagger.json")
    assert "FAILED: 10 failures (15 violations), 0 errors" in text
    assert "- **Test cases generated:** 61" in text
    for operation in OPERATIONS:
        assert f"| {operation} |" in text
        assert f"\n### {operation}\n" in text
    patch = text.split("\n### PATCH /customer/{id}\n")[1].split("\n### ")[0]
    assert "#### not_a_server_error" in patch and "status 500" in patch
    assert "```sh\ncurl -X PATCH" in patch


def test_newman_report_counts_requests_and_assertions() -> None:
    summary = read_newman_json(NEWMAN_TOY)
    assert summary.collection == "CTK-Customer-4.0.0"
    assert (summary.requests, summary.requests_failed) == (10, 0)
    assert (summary.assertions, summary.assertions_failed) == (70, 12)
    assert summary.error is None


def test_newman_failures_name_the_request_its_method_and_the_assertion() -> None:
    failures = read_newman_json(NEWMAN_TOY).failures
    assert len(failures) == 12
    assert {f.kind for f in failures} == {"assertion"}
    first = failures[0]
    assert (first.request, first.method) == ("N1 / /Customer", "POST")
    assert first.assertion == "Instance has all mandatory attributes"
    assert "@type" in first.message
    # The toy server never sets @type: each of the six requests that check it fails on it.
    assert Counter(f.assertion for f in failures)["Response has @type attribute"] == 6


def test_newman_executions_keep_run_order_method_url_and_status() -> None:
    executions = read_newman_json(NEWMAN_TOY).executions
    assert [(e.method, e.status_code) for e in executions[:2]] == [("POST", 201), ("GET", 200)]
    assert executions[-1].name == "E1 / /Customer/404ID"
    assert executions[-1].status_code == 404
    assert executions[0].url.endswith("/tmf-api/customerManagement/v4/customer")
    assert sum(e.assertions for e in executions) == 70
    assert sum(e.failed for e in executions) == 12


def test_newman_report_of_an_unreachable_server_separates_request_and_script_errors() -> None:
    summary = read_newman_json(NEWMAN_REFUSED)
    assert (summary.requests, summary.requests_failed) == (10, 10)
    kinds = Counter(f.kind for f in summary.failures)
    assert kinds == {"request": 10, "assertion": 8, "script": 6}
    request_error = next(f for f in summary.failures if f.kind == "request")
    assert "ECONNREFUSED" in request_error.message
    script_error = next(f for f in summary.failures if f.kind == "script")
    assert script_error.assertion == "test-script"
    assert script_error.message.startswith("JSONError: ")
    assert all(e.status_code is None for e in summary.executions)


def test_ctk_markdown_lists_requests_and_failures() -> None:
    text = render_ctk(_ctk_result(NEWMAN_TOY), kit="TMF629", base_url=BASE_URL + "/")
    assert "FAILED: 12 of 70 assertions failed" in text
    assert "(as `{{Customer}}`)" in text
    assert text.count("\n| ") == 11  # header row plus one row per request
    assert "\n### N1 / /Customer (POST)\n" in text
    assert "- **Response has @type attribute** (assertion): expected undefined" in text


def test_ctk_markdown_says_when_a_request_got_no_response() -> None:
    text = render_ctk(_ctk_result(NEWMAN_REFUSED), kit="TMF629", base_url=BASE_URL + "/")
    assert "| no response |" in text
    assert "- **request** (request): connect ECONNREFUSED" in text


def _collection(*urls: str) -> dict[str, object]:
    return {
        "info": {"name": "tiny"},
        "item": [
            {
                "name": "folder",
                "item": [
                    {
                        "name": url,
                        "request": {
                            "method": "GET",
                            "url": {"raw": url},
                            "header": [{"key": "Accept", "value": "application/json"}],
                        },
                    }
                    for url in urls
                ],
            }
        ],
    }


def test_url_variable_is_the_one_request_urls_start_with() -> None:
    collection = _collection("{{Customer}}customer", "{{Customer}}customer/1", "{{Other}}x")
    assert detect_url_variable(collection, None) == "Customer"


def test_url_variable_falls_back_to_the_environment_variable_the_collection_uses() -> None:
    collection = _collection("http://host/{{Api}}/customer")
    environment = {"values": [{"key": "Unused"}, {"key": "Api"}]}
    assert detect_url_variable(collection, environment) == "Api"
    with pytest.raises(KitError):
        detect_url_variable(collection, None)


def test_with_headers_adds_headers_to_every_request_and_replaces_same_named_ones() -> None:
    original = _collection("{{A}}one", "{{A}}two")
    patched = with_headers(original, {"accept": "application/json", "Authorization": "Bearer t"})
    for item in patched["item"][0]["item"]:
        assert item["request"]["header"] == [
            {"key": "accept", "value": "application/json"},
            {"key": "Authorization", "value": "Bearer t"},
        ]
    # The kit's own collection is never touched.
    assert original == _collection("{{A}}one", "{{A}}two")


def test_missing_newman_names_the_make_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ctk, "LOCAL_NEWMAN", tmp_path / "no-newman")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="make conformance-deps"):
        ctk.find_newman()


@pytest.mark.parametrize(
    "argv",
    [
        ["ctk", "--kit", "k", "--base-url", "u", "--header", "no colon"],
        ["ctk", "--kit", "k", "--base-url", "u", "--", "--extra"],
        ["schemathesis", "--base-url", "u", "--spec", "s", "--typo"],
    ],
)
def test_cli_rejects_bad_usage_with_exit_code_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
