"""The engine, migrations at start, and a unit of work per handled message."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import inline_sqlite
from storage.uow import UnitOfWork

MIGRATIONS = Path(__file__).parent / "migrations"


def _key(name: str) -> int:
    """A PostgreSQL advisory lock's key for a name (stable across processes)."""
    return zlib.crc32(f"linli:{name}".encode())


def async_url(url: str) -> str:
    """Map a plain storage URL (sqlite:///file.db, postgresql://…) to its async driver."""
    if url.startswith("sqlite:///"):
        return inline_sqlite.NAME + ":///" + url.removeprefix("sqlite:///")
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_setup(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling begins lazily and cannot do savepoints properly;
    # take it over, and begin IMMEDIATE so two writers queue instead of deadlocking.
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# Every Database on a SQLite file in this process, on this loop, takes turns on one lock.
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class Database:
    """One database, reached through units of work; `async with Database(url)` opens it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_async_engine(async_url(url))
        # SQLite has one writer at a time, and its busy handler is not fair: a loop of
        # transactions (a burst of messages) can starve another task (the sender) for the
        # whole burst. Within the process, transactions take turns in arrival order — and
        # must: SQLite runs on the loop's thread (storage.inline_sqlite), where waiting in
        # the busy handler for a transaction of this same loop would wait for ever.
        self._file: str | None = None
        if self.engine.dialect.name == "sqlite":
            _sqlite_setup(self.engine)
            self._file = str(Path(self.engine.url.database or "").resolve())

    async def __aenter__(self) -> Database:
        await self.migrate()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))

        def upgrade(sync_conn: Connection) -> None:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        # several workers may start at once: one migrates, the others wait and then find
        # the schema at head. PostgreSQL: an advisory lock held by this transaction;
        # SQLite: the transaction begins IMMEDIATE, so it holds the file's write lock
        # from before Alembic reads the version until it commits
        async with self._turn(), self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                await conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key("migrate")}
                )
            await conn.run_sync(upgrade)

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Of every process on this database, one at a time runs the block (a worker's
        seeding at start). PostgreSQL: an advisory lock, held by a transaction of its own
        and so released if the process dies; SQLite: every transaction already holds the
        file's write lock from its start, which is enough for a block of one transaction."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        async with self.engine.connect() as conn, conn.begin():
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key(name)})
            yield

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """One transaction: committed when the block ends normally, rolled back otherwise."""
        async with self._turn(), self.engine.begin() as conn:
            yield UnitOfWork(conn)

    def _turn(self) -> contextlib.AbstractAsyncContextManager[object]:
        """This transaction's turn on the SQLite file (any time, on PostgreSQL)."""
        if self._file is None:
            return contextlib.nullcontext()
        turns = _TURNS.setdefault(asyncio.get_running_loop(), {})
        return turns.setdefault(self._file, asyncio.Lock())
