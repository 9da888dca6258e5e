"""The one error hierarchy: every failure a client sees is a TmfError, rendered as a TMF `Error`."""

from __future__ import annotations

from http import HTTPStatus


class TmfError(Exception):
    """An error with its HTTP status and the TMF `Error` fields (`code`, `reason`, `message`)."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.status.phrase
        self.code = code or str(self.status.value)
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
            "status": str(self.status.value),
            "@type": "Error",
        }


class BadRequest(TmfError):
    status = HTTPStatus.BAD_REQUEST


class Unauthorized(TmfError):
    status = HTTPStatus.UNAUTHORIZED


class Forbidden(TmfError):
    status = HTTPStatus.FORBIDDEN


class TooManyRequests(TmfError):
    status = HTTPStatus.TOO_MANY_REQUESTS


class NotFound(TmfError):
    status = HTTPStatus.NOT_FOUND


class MethodNotAllowed(TmfError):
    status = HTTPStatus.METHOD_NOT_ALLOWED


class Conflict(TmfError):
    status = HTTPStatus.CONFLICT


class PreconditionFailed(TmfError):
    """An `If-Match` the resource's current state does not satisfy (TMF630 conditional requests)."""

    status = HTTPStatus.PRECONDITION_FAILED


class UnprocessableEntity(TmfError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY


class PayloadTooLarge(TmfError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaType(TmfError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class NotImplementedFeature(TmfError):
    status = HTTPStatus.NOT_IMPLEMENTED


class ServiceUnavailable(TmfError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
