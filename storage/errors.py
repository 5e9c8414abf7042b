"""Errors raised by repositories."""

from sqlalchemy import exc

# the database cannot take a write now (disk full, read-only, connection lost): a message
# is then rolled back whole and not acknowledged, rather than answered with an apology
UNAVAILABLE = (exc.OperationalError, exc.InterfaceError)


class NotFound(LookupError):
    """The row asked for does not exist."""
