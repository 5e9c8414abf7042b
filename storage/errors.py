"""Errors raised by repositories."""

from sqlalchemy import exc as sa_exc

# the database cannot take a write now (disk full, read-only, connection lost): a message
# is then rolled back whole and not acknowledged, rather than answered with an apology
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError)


def is_storage_failure(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing (disk full, read-only, connection lost, no
    connection free): worth waiting for. Anything else will fail the same way every time."""
    if isinstance(exc, (*UNAVAILABLE, sa_exc.TimeoutError, sa_exc.DisconnectionError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


class NotFound(LookupError):
    """The row asked for does not exist."""
