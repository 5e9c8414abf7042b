"""Errors raised by repositories."""


class NotFound(LookupError):
    """The row asked for does not exist."""
