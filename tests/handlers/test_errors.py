"""Every kind of exception becomes the TMF error a client should see."""

from __future__ import annotations

import json

from connexion.exceptions import BadRequestProblem
from pymongo.errors import ServerSelectionTimeoutError
from starlette.exceptions import HTTPException

import errors
from handlers.errors import as_tmf_error, render
from persistence import errors as stored


def test_persistence_errors_map_to_their_status() -> None:
    assert as_tmf_error(stored.NotFound("x")).status == 404
    assert as_tmf_error(stored.Conflict("x")).status == 409
    assert as_tmf_error(stored.InvalidQuery("x")).status == 400
    assert as_tmf_error(stored.InvalidDocument("x")).status == 400


def test_framework_errors_keep_their_status_and_headers() -> None:
    problem = as_tmf_error(BadRequestProblem(detail="'name' is a required property"))
    assert (problem.status, problem.message) == (400, "'name' is a required property")
    refused = as_tmf_error(HTTPException(405, "no", headers={"Allow": "GET"}))
    assert (refused.status, refused.headers) == (405, {"Allow": "GET"})


def test_an_unreachable_database_is_503_with_retry_after() -> None:
    error = as_tmf_error(ServerSelectionTimeoutError("no servers"))
    assert error.status == 503
    assert "Retry-After" in error.headers


def test_unexpected_exceptions_are_500_without_internals() -> None:
    error = as_tmf_error(KeyError("secret internals"))
    assert error.status == 500
    assert "secret" not in error.message


def test_render_gives_a_tmf_error_body_with_the_correlation_id() -> None:
    status, body, headers = render(errors.Conflict("illegal move"), "abc123")
    assert status == 409
    assert json.loads(body) == {
        "code": "409",
        "reason": "Conflict",
        "message": "illegal move",
        "status": "409",
        "@type": "Error",
    }
    assert headers["X-Correlation-ID"] == "abc123"
