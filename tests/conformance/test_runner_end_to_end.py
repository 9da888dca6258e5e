"""run_schemathesis and run_ctk end to end, against tiny stand-in servers started by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance import run_ctk, run_schemathesis

TOKEN = "Bearer test-token"
ROOT = "/api/v1"
Respond = Callable[[str, str, str | None], tuple[int, object]]


def _serve(respond: Respond) -> Iterator[str]:
    """Serve `respond(method, path, authorization)` on a free port; yield the API root URL."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body = respond(self.command, self.path, self.headers.get("Authorization"))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def __getattr__(self, name: str) -> Callable[[], None]:
            # Every method gets an answer: schemathesis also probes TRACE, QUERY and the like,
            # and the stdlib's 501 for them would count as a server error.
            if name.startswith("do_"):
                return self._reply
            raise AttributeError(name)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base signature)
            pass  # keep pytest output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{ROOT}"
    finally:
        server.shutdown()
        server.server_close()


def _customer_api(method: str, path: str, authorization: str | None) -> tuple[int, object]:
    if authorization != TOKEN:
        return 401, {"code": "401", "reason": "no token"}
    if method != "GET":  # the coverage phase also tries undeclared methods
        return 405, {"code": "405", "reason": "method not allowed"}
    if path == f"{ROOT}/boom":
        return 500, {"code": "500", "reason": "always broken"}
    prefix = f"{ROOT}/customer/"
    if method == "GET" and path.startswith(prefix) and path != prefix:
        customer_id = path.removeprefix(prefix)
        if customer_id == "missing":
            return 404, {"code": "404", "reason": "not found"}
        return 200, {"id": customer_id, "name": "Ada"}
    return 404, {"code": "404", "reason": "not found"}


@pytest.fixture
def customer_api() -> Iterator[str]:
    yield from _serve(_customer_api)


SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "stand-in", "version": "1"},
    # Deliberately wrong: the runner's base URL must win over the spec's own server.
    "servers": [{"url": "https://serverRoot/tmf-api/wrong/v4"}],
    "paths": {
        "/customer/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "found",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id"],
                                    "properties": {"id": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "404": {"description": "unknown", "content": {"application/json": {}}},
                },
            }
        },
        "/boom": {
            "get": {
                "responses": {"200": {"description": "never", "content": {"application/json": {}}}}
            }
        },
    },
}


def test_run_schemathesis_reports_the_broken_operation_only(
    customer_api: str, tmp_path: Path
) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    result = run_schemathesis(
        customer_api,
        spec,
        max_examples=5,
        phases=["coverage", "fuzzing"],
        checks=["not_a_server_error", "status_code_conformance", "response_schema_conformance"],
        headers={"Authorization": TOKEN},
        report_dir=tmp_path / "reports",
        seed=1,
    )
    assert result.exit_code == 1 and not result.ok
    assert result.operations == ("GET /customer/{id}", "GET /boom")
    assert result.operations_tested == 2 and result.test_cases > 0
    # The token reached the server: no 401 shows up as an undocumented status on the customer.
    assert {(f.operation, f.check, f.status_code) for f in result.failures} == {
        ("GET /boom", "not_a_server_error", 500),
        ("GET /boom", "status_code_conformance", 500),
    }
    for name in ("junit.xml", "schemathesis.json", "schemathesis.md", "schemathesis.log"):
        assert (tmp_path / "reports" / name).is_file()
    assert "test-token" not in (tmp_path / "reports" / "schemathesis.md").read_text()


def _kit(tmp_path: Path) -> Path:
    """A two-request kit in the v4 layout: ctk/<name>.postman_collection.json, URLs {{Api}}..."""

    def request(name: str, url: str, tests: list[str]) -> dict[str, object]:
        return {
            "name": name,
            "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": tests}}],
            "request": {
                "method": "GET",
                "header": [{"key": "Accept", "value": "application/json"}],
                "url": {"raw": url, "host": [url]},
            },
        }

    status_200 = "pm.test('Status is 200', function () { pm.response.to.have.status(200); });"
    named = (
        "pm.test('Name is Ada', function () { pm.expect(pm.response.json().name).to.eql('Ada'); });"
    )
    collection = {
        "info": {
            "name": "stand-in kit",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": [
            {
                "name": "Customer",
                "item": [
                    request("known", "{{Api}}customer/42", [status_200, named]),
                    request("unknown", "{{Api}}customer/missing", [status_200]),
                ],
            }
        ],
    }
    kit = tmp_path / "kit"
    (kit / "ctk").mkdir(parents=True)
    (kit / "ctk" / "stand-in.postman_collection.json").write_text(json.dumps(collection))
    return kit


def test_run_ctk_sends_headers_and_counts_assertions(customer_api: str, tmp_path: Path) -> None:
    kit = _kit(tmp_path)
    before = sorted(kit.rglob("*"))
    result = run_ctk(kit, customer_api, headers={"Authorization": TOKEN}, report_dir=tmp_path / "r")
    assert (result.collection, result.url_variable) == ("stand-in kit", "Api")
    assert (result.requests, result.assertions, result.assertions_failed) == (2, 3, 1)
    assert [(f.request, f.assertion) for f in result.failures] == [
        ("Customer / unknown", "Status is 200")
    ]
    assert [e.status_code for e in result.executions] == [200, 404]
    assert result.exit_code == 1 and not result.ok
    for name in ("newman.json", "ctk-junit.xml", "ctk.md", "newman.log"):
        assert (tmp_path / "r" / name).is_file()
    assert sorted(kit.rglob("*")) == before  # the header copy went to a temporary directory


def test_run_ctk_without_the_token_fails_every_status_check(
    customer_api: str, tmp_path: Path
) -> None:
    result = run_ctk(_kit(tmp_path), customer_api + "/", report_dir=tmp_path / "r")
    assert [e.status_code for e in result.executions] == [401, 401]
    assert result.assertions_failed == 3
