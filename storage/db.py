"""The engine, migrations at start, and a unit of work per handled message."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
import weakref
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncTransaction, create_async_engine

from storage.conn import Conn, InlineEngine, InlineTransaction
from storage.directory import Transaction
from storage.uow import UnitOfWork

MIGRATIONS = Path(__file__).parent / "migrations"
GIVE_WAY_AFTER = 0.02  # seconds: see Database.give_way_after


def _key(name: str) -> int:
    """A PostgreSQL advisory lock's key for a name (stable across processes)."""
    return zlib.crc32(f"linli:{name}".encode())


def async_url(url: str) -> str:
    """Map a plain storage URL (sqlite:///file.db, postgresql://…) to its async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


WAL_SWITCH_SECONDS = 10.0  # how long a new file's switch to WAL mode is retried


def _into_wal(cursor: Any) -> None:
    """The file in WAL mode. Only a file not yet in it needs the switch, which takes an
    exclusive lock and answers "locked" at once, without SQLite's busy handler, while
    another connection so much as reads: several workers started together on a new file
    do. So it is asked only when needed, and retried (a first start, at most seconds)."""
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_connected(dbapi_connection: Any) -> None:
    """A new sqlite3 connection's settings. sqlite3's own (legacy) transaction handling begins
    lazily and cannot do savepoints properly; SQLAlchemy's documented recipe ("Enabling
    Non-Legacy SQLite Transactional Modes") takes it over: isolation_level None, and the
    transaction begun explicitly — BEGIN IMMEDIATE (storage.conn), so that two writers queue
    for the write lock from the start instead of failing to upgrade a read lock."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    _into_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _Turn:
    """A SQLite file's turn: taken in arrival order; knows how many tasks wait for it."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.waiting = 0

    async def acquire(self) -> None:
        self.waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self._lock.release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


# Every Database on a SQLite file in this process, on this loop, takes turns on one lock.
# Kept with aiosqlite for fairness, no longer for safety. aiosqlite runs each connection's
# statements on a thread of its own, so a transaction waiting for SQLite's write lock waits
# there, not on the loop's thread (the inline driver before it would have waited for ever
# on a transaction of its own loop). But SQLite's busy handler is not fair and not prompt:
# a waiting writer sleeps and polls (1, 2, 5 … 100 ms), and a loop of transactions (a burst
# of messages) can take the lock again and again before it looks — the sender used to be
# starved for a whole burst. The turn hands the file over in arrival order the moment the
# previous transaction ends, and tells a batch when someone waits (Database.batch).
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Turn]] = (
    weakref.WeakKeyDictionary()
)


@dataclass
class _Batch:
    """A batch's connection, its transaction and turn, and how many units of work are open."""

    conn: Conn
    turn: _Turn | None
    transaction: AsyncTransaction | InlineTransaction | None = None
    holding: bool = False  # the turn
    depth: int = 0
    directory: Transaction = field(default_factory=Transaction)  # as its units of work see it
    began: float = 0.0  # time.monotonic() when its transaction began

    async def begin(self) -> None:
        """Take the turn on the file (SQLite) and begin a transaction."""
        if self.turn is not None:
            await self.turn.acquire()
            self.holding = True
        self.transaction = await self.conn.begin()
        self.directory = Transaction()
        self.began = time.monotonic()

    async def end(self, *, commit: bool) -> None:
        """Commit or roll back what is done, and give up the turn."""
        try:
            if self.transaction is not None and self.transaction.is_active:
                await (self.transaction.commit() if commit else self.transaction.rollback())
        finally:
            self.transaction = None
            if self.turn is not None and self.holding:
                self.turn.release()
                self.holding = False

    async def give_way(self) -> None:
        """Commit what is done, let the tasks waiting for the file go first, begin again."""
        await self.end(commit=True)
        await self.begin()


class Database:
    """One database, reached through units of work; `async with Database(url)` opens it."""

    def __init__(self, url: str) -> None:
        self.url = url
        # SQLite: on the loop's thread, what may take long on the database's (storage.conn)
        self.engine: AsyncEngine | InlineEngine
        # SQLite has one writer at a time: within the process, transactions on the file take
        # turns in arrival order (see _TURNS)
        self._file: str | None = None
        if url.startswith("sqlite:///"):
            self.engine = InlineEngine(url, _sqlite_connected)
            self._file = str(Path(self.engine.url.database or "").resolve())
        else:
            self.engine = create_async_engine(async_url(url))
        # the batch each task is handling (see batch())
        self._batches: dict[asyncio.Task[Any], _Batch] = {}
        # how long a batch keeps SQLite's file, once it has it, while another task waits
        # for it: the waiter (the sender) waits at most this and one message, and a burst
        # commits a few times a batch instead of before every message
        self.give_way_after = GIVE_WAY_AFTER

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
        async with self._turn() or contextlib.nullcontext(), self.engine.begin() as conn:
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
        if not isinstance(self.engine, AsyncEngine) or self.engine.dialect.name != "postgresql":
            yield
            return
        async with self.engine.connect() as conn, conn.begin():
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _key(name)})
            yield

    async def close(self) -> None:
        """Release every connection."""
        if isinstance(self.engine, InlineEngine):
            self.engine.shutdown()
        else:
            await self.engine.dispose()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """One transaction: committed when the block ends normally, rolled back otherwise.
        Inside a batch (of the same task), a savepoint of the batch's transaction instead:
        rolled back alone when the block raises, committed with the batch."""
        task = asyncio.current_task()
        batch = self._batches.get(task) if task is not None else None
        if batch is None:
            async with self._turn() or contextlib.nullcontext(), self.engine.begin() as conn:
                yield UnitOfWork(conn)
            return
        if batch.depth == 0:
            # on SQLite the statements of a message do not give the loop away (they run on
            # its thread): between two messages of a batch it turns, so sends and polls go
            # on during a burst
            await asyncio.sleep(0)
        if (
            batch.depth == 0
            and batch.turn is not None
            and batch.turn.waiting
            and time.monotonic() - batch.began >= self.give_way_after
        ):
            await batch.give_way()
        batch.depth += 1
        uow = UnitOfWork(batch.conn, batch.directory)
        try:
            savepoint = await batch.conn.begin_nested()
            try:
                yield uow
            except BaseException:
                # savepoints the block left open (it failed between one's beginning and its
                # end) are rolled back first, innermost first, as SQLAlchemy expects
                while (inner := batch.conn.get_nested_transaction()) is not None and (
                    inner.sync_transaction is not savepoint.sync_transaction
                ):
                    await inner.rollback()
                await savepoint.rollback()
                raise
            await savepoint.commit()
        finally:
            batch.depth -= 1
        if batch.depth == 0 and uow.directory.bumped:
            # a change of the directory (its version bumped) is committed at once: the next
            # message's view would otherwise keep, process-wide, a directory the batch might
            # still roll back — and the version number would come again with other data
            await batch.end(commit=True)
            await batch.begin()

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """One transaction for the units of work this task opens in the block (the messages
        of one getUpdates answer), each of them a savepoint: one that fails is rolled back
        alone, and the rest is committed once, when the block ends normally; when it raises
        (the database refuses), the batch is rolled back and the caller hands it over again.

        Fairness: on SQLite, when another task of the process waits for its turn on the file
        (the sender, say) and the batch has held it for `give_way_after` (20 ms), the batch
        commits what it has done before its next unit of work, lets it go first and then
        goes on — so a batch never holds anyone up for longer than that and one message
        (giving way before every message cost a burst a commit and a BEGIN a message, and
        the sender a round a message). What was committed early is
        remembered as handled (the inbound table) and not handled again if the batch comes
        back. Other tasks never join the batch: they have transactions of their own."""
        task = asyncio.current_task()
        if task is None or task in self._batches:
            raise RuntimeError("a batch inside a batch")
        async with self.engine.connect() as conn:
            batch = _Batch(conn, self._turn())
            try:
                await batch.begin()  # may fail: the database refuses
                self._batches[task] = batch
                yield
            except BaseException:
                await batch.end(commit=False)
                raise
            else:
                await batch.end(commit=True)
            finally:
                self._batches.pop(task, None)

    def _turn(self) -> _Turn | None:
        """The SQLite file's turn (None on PostgreSQL: any time)."""
        if self._file is None:
            return None
        turns = _TURNS.setdefault(asyncio.get_running_loop(), {})
        return turns.setdefault(self._file, _Turn())
