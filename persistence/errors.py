"""Domain errors raised by the persistence layer; the HTTP layer decides how to render them."""

from pymongo.errors import ConnectionFailure

# The driver's errors for a database that cannot be reached (server selection timed out, connection
# lost); a request that meets one may succeed when retried.
UNAVAILABLE: tuple[type[Exception], ...] = (ConnectionFailure,)


class PersistenceError(Exception):
    """Base of every error this package raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PersistenceError):
    """No document has the requested id."""


class Conflict(PersistenceError):
    """The write collides with the stored state (duplicate id, concurrent change)."""


class InvalidQuery(PersistenceError):
    """A filter, sort, field selection or paging value cannot be turned into a database query."""


class InvalidDocument(PersistenceError):
    """A document cannot be stored as it is (operator-like keys, huge numbers, bad dates)."""
