"""Database access: engine, schema and migrations, one repository per concept."""

from storage.db import Database
from storage.errors import UNAVAILABLE, NotFound

__all__ = ["UNAVAILABLE", "Database", "NotFound"]
