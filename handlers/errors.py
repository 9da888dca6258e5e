"""The one place where any exception becomes a TMF `Error` response."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

import errors
import telemetry
from handlers.correlation import CORRELATION_HEADER
from persistence import errors as stored

log = logging.getLogger("tmf.errors")

RETRY_AFTER_S = 5

_FROM_PERSISTENCE: dict[type[stored.PersistenceError], type[errors.TmfError]] = {
    stored.NotFound: errors.NotFound,
    stored.Conflict: errors.Conflict,
    stored.InvalidQuery: errors.BadRequest,
    stored.InvalidDocument: errors.BadRequest,
}


# Exceptions that are part of normal operation: rendered and logged, without a traceback.
_EXPECTED = (
    errors.TmfError,
    stored.PersistenceError,
    ProblemException,
    HTTPException,
    *stored.UNAVAILABLE,
)


class _WithStatus(errors.TmfError):
    """A framework error carried over with the status the framework chose."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self.status = HTTPStatus(status)
        super().__init__(message, headers=headers)


def as_tmf_error(exc: BaseException) -> errors.TmfError:
    """Translate any exception into the TmfError a client should see."""
    if isinstance(exc, errors.TmfError):
        return exc
    if isinstance(exc, stored.PersistenceError):
        return _FROM_PERSISTENCE[type(exc)](exc.message)
    if isinstance(exc, stored.UNAVAILABLE):
        telemetry.DATABASE_ERRORS.inc()
        return errors.ServiceUnavailable(
            "the database is not reachable; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, ProblemException):
        message = str(exc.detail or exc.title or HTTPStatus(exc.status).phrase)
        return _WithStatus(exc.status, message, dict(exc.headers or {}))
    if isinstance(exc, HTTPException):
        return _WithStatus(exc.status_code, str(exc.detail), dict(exc.headers or {}))
    return errors.TmfError(
        "an unexpected error occurred; quote the correlation id when reporting it"
    )


def render(error: errors.TmfError, correlation_id: str | None) -> tuple[int, bytes, dict[str, str]]:
    """Log the error and give its status, JSON body and headers."""
    if error.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        log.error(
            "%s %s", error.status.value, error.message, extra={"correlation_id": correlation_id}
        )
    else:
        log.warning(
            "%s %s", error.status.value, error.message, extra={"correlation_id": correlation_id}
        )
    headers = dict(error.headers)
    if correlation_id:
        headers[CORRELATION_HEADER] = correlation_id
    body = json.dumps(error.body(), separators=(",", ":")).encode()
    return int(error.status), body, headers


def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Connexion error handler, registered for every exception type."""
    error = as_tmf_error(exc)
    correlation_id = request.headers.get(CORRELATION_HEADER)
    if not isinstance(exc, _EXPECTED):
        log.error("unhandled exception", exc_info=exc, extra={"correlation_id": correlation_id})
    status, body, headers = render(error, correlation_id)
    return ConnexionResponse(
        status_code=status, body=body, content_type="application/json", headers=headers
    )
