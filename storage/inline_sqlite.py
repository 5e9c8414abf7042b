"""SQLite called on the event loop's own thread, behind SQLAlchemy's asyncio API.

aiosqlite runs each call on a worker thread and wakes the loop with its answer: about half
a millisecond a statement on a small virtual machine, where SQLite itself answers in a few
microseconds, and a handled message takes some twenty statements. SQLite is a library,
not a server: a statement on a local file does not wait on a network. So this dialect is
pysqlite's, made acceptable to `create_async_engine`; the repositories keep their async
code, and PostgreSQL keeps asyncpg.

What it costs: a statement blocks the loop while it runs (milliseconds at most, except
the monthly statistics, a few hundred), and waiting for another process's write lock
blocks it too (the busy timeout). Within one process, `Database` makes transactions on
a file take turns on an asyncio lock, so the loop never waits on itself.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_

NAME = "sqlite+inline"


async def _nothing() -> None:
    return None


class _Cursor(sqlite3.Cursor):
    """A pysqlite cursor; AsyncConnection closes results with this once they are read."""

    async def _async_soft_close(self) -> None:
        return None


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:  # sqlite3 types it loosely too
        return super().cursor(factory)


class _ExecutionContext(SQLiteExecutionContext):
    def create_server_side_cursor(self) -> Any:
        return self._dbapi_connection.cursor()  # a pysqlite cursor reads rows as asked


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, run by AsyncEngine on the calling thread."""

    is_async = True
    supports_statement_cache = True
    supports_server_side_cursors = True  # AsyncConnection.stream: a copy table by table
    execution_ctx_cls = _ExecutionContext

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        kwargs["factory"] = _Connection
        return args, kwargs

    # AsyncConnection.execute insists that the driver awaited something (a sync driver
    # used by mistake would otherwise go unnoticed); awaiting a finished coroutine
    # satisfies it without giving the loop a turn.
    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        await_(_nothing())
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        await_(_nothing())
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        await_(_nothing())
        cursor.executemany(statement, parameters)


registry.register("sqlite.inline", __name__, "InlineSQLiteDialect")
