"""The connection a unit of work holds: SQLAlchemy's AsyncConnection on PostgreSQL, an
InlineConnection on SQLite.

Why SQLite is not reached through aiosqlite (measured; BENCHMARKS.md, "SQLite on the loop"):
aiosqlite runs every call on a thread of its own and wakes the loop with each answer, and
SQLAlchemy's dialect makes three or four such calls a statement (cursor, execute, fetch,
close). On this kind of machine a short statement cost 340 µs of CPU that way and 33 µs
through SQLAlchemy Core's synchronous API on the standard sqlite3 module — and a message is
a dozen statements. So on SQLite a unit of work runs its statements on the loop's own thread,
through documented synchronous APIs only (no SQLAlchemy asyncio internals), and sends to
the database's own thread what can take long:

- waiting for SQLite's write lock while another process holds it (the connections answer
  "busy" at once, and BEGIN IMMEDIATE is then retried off the loop with SQLite's busy
  timeout);
- the write-ahead log's checkpoint, every CHECKPOINT_EVERY commits (or the first commit
  CHECKPOINT_AFTER seconds after the last one): it copies the log's
  pages into the database file and fsyncs it. SQLite would run it inside the COMMIT that
  fills the log (wal_autocheckpoint); here the connections never do, so a COMMIT only
  appends the transaction's pages to the log (synchronous NORMAL: no fsync) and stays on
  the loop — handing it to a thread and back cost 250 µs of CPU a transaction, more than
  the transaction itself;
- statements marked `off_loop` — a month's statistics, an export, a page of the
  workbench's lists, the directory's load: whatever reads many rows;
- `run_sync` (migrations, schema inspection) and `stream` (copying a whole table).

Within a process the transactions on one file take turns (storage.db), so a statement on
the loop never waits for a lock held by this process either. What is left on the loop is a
short statement's own work: tens of microseconds — less for the hot INSERTs (a message's
inbound row, its resident, its report and audit event, its outbox rows), which `insert`
runs as SQL compiled once, through the documented `exec_driver_sql`, their parameters
through each column type's own bind processor. The repositories see one interface;
PostgreSQL (asyncpg, natively asynchronous) ignores the `off_loop` mark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import CursorResult, Dialect, Result, ScalarResult
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable

log = logging.getLogger(__name__)

T = TypeVar("T")
Rows = CursorResult[*tuple[Any, ...]]  # a result of any columns
E = TypeVar("E", bound=Executable)

OFF_LOOP = "linli_off_loop"  # an execution option of our own: SQLAlchemy keeps it, ignores it
SLOW_ON_LOOP = 0.02  # seconds: a statement on the loop's thread longer than this is logged
SAY_AGAIN = 3600.0  # seconds: the same slow statement logged at most this often
TURN_EVERY = 0.005  # seconds: statements in a row on the loop let it turn at least this often
CHECKPOINT_EVERY = 100  # commits between two checkpoints of the write-ahead log (off the loop)
CHECKPOINT_AFTER = 300.0  # seconds: a commit this long after the last checkpoint starts one
WAL_KEPT_BYTES = 64 * 1024 * 1024  # the log file is cut back to this once checkpointed
DIRECT_KEPT = 256  # INSERTs kept compiled (`insert`): the modules' constants, a few dozen
BUSY_TIMEOUT_MS = 10000  # how long BEGIN IMMEDIATE waits (off the loop) for another process


_SAID: dict[str, float] = {}  # a slow statement's SQL → when it was last logged


def _held_the_loop(seconds: float, statement: Executable, dialect: Dialect) -> None:
    # a statement that reads many rows belongs off the loop: say which, so it gets marked;
    # once an hour a statement (on a busy machine the process may only have waited for a
    # core, and every short statement could be said again and again)
    try:
        sql = " ".join(str(cast(sa.ClauseElement, statement).compile(dialect=dialect)).split())
    except Exception:  # saying it must not fail a statement that worked
        sql = type(statement).__name__
    sql = sql[:200]
    now = time.monotonic()
    if now - _SAID.get(sql, -SAY_AGAIN) < SAY_AGAIN:
        return
    _SAID[sql] = now
    log.warning(
        "a SQLite statement held the event loop for %.0f ms (if it reads many rows, mark it"
        " off_loop; on a busy machine the process may have waited for a core): %s",
        seconds * 1000,
        sql,
    )


def off_loop(statement: E) -> E:
    """Mark a statement that may read many rows: on SQLite it runs on the database's thread,
    where it cannot stall the event loop."""
    return statement.execution_options(**{OFF_LOOP: True})


def _busy(exc: sa.exc.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the lock."""
    orig = exc.orig
    # the primary code of an extended one (SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY | 2 << 8)
    return isinstance(orig, sqlite3.OperationalError) and (
        orig.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    )


class Inserted(NamedTuple):
    """What an INSERT of one row did."""

    rows: int  # rows inserted: 0 when ON CONFLICT DO NOTHING met one already there
    id: int | None  # the new row's integer primary key (None: no row, or no such key)


_FROM_ROW = object()  # a parameter of _Direct that the row gives


@dataclass(frozen=True)
class _Direct:
    """An INSERT compiled once for one set of column keys, run as its SQL string."""

    statement: sa.Insert  # held: the cache is keyed by its id()
    sql: str | None  # None: SQLAlchemy's own path (a default computed per row)
    names: tuple[str, ...] = ()  # the parameters in the SQL's order
    fills: tuple[Any, ...] = ()  # each FROM_ROW, or the column's constant default
    processors: tuple[Callable[[Any], Any] | None, ...] = ()  # each type's bind processor
    has_id: bool = False  # the table has an autoincrement integer key (SQLite's rowid)


def _prepare(statement: sa.Insert, keys: tuple[str, ...], dialect: Dialect) -> _Direct:
    """Compile an INSERT of these keys once, with documented APIs only: the SQL string and
    parameter order of its Compiled form, each column type's bind processor for the dialect,
    constant Python-side defaults. Anything else is left to SQLAlchemy's own execution: a
    default computed per row, values given in the statement (`.values()`), execution options
    (`off_loop`), a key that is not a column."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    # an INSERT's exported columns are its RETURNING; return_defaults() adds one as well
    if len(statement.exported_columns) or compiled.effective_returning:
        raise ValueError("insert() runs an INSERT without RETURNING (execute() returns rows)")
    names = compiled.positiontup
    table = statement.table
    if (
        not isinstance(table, sa.Table)
        or statement.get_execution_options()
        or names is None
        or len(set(names)) != len(names)
        or not set(keys) <= set(names)
    ):
        return _Direct(statement, None)
    fills: list[Any] = []
    processors: list[Callable[[Any], Any] | None] = []
    for name in names:
        bind = compiled.binds[name]
        if bind.key != name or bind.unique:  # a value the statement itself carries
            return _Direct(statement, None)
        if name in keys:
            fills.append(_FROM_ROW)
        else:
            default = table.c[name].default if name in table.c else None
            if not isinstance(default, sa.ColumnDefault) or not default.is_scalar:
                return _Direct(statement, None)
            fills.append(default.arg)
        processors.append(bind.type.dialect_impl(dialect).bind_processor(dialect))
    return _Direct(
        statement,
        compiled.string,
        tuple(names),
        tuple(fills),
        tuple(processors),
        # SQLite's rowid is this column: what lastrowid gives
        has_id=table.autoincrement_column is not None,
    )


async def insert(conn: Conn, statement: sa.Insert, row: Mapping[str, Any]) -> Inserted:
    """Insert one row with a prebuilt INSERT (a module's constant, without RETURNING): on
    SQLite its SQL is compiled once and run through `exec_driver_sql` (an outbox row: 51–54
    µs of CPU against 81–90 through `Connection.execute`, `bench.hot_path insert`); on
    PostgreSQL through SQLAlchemy's execution, as every other statement."""
    if isinstance(conn, InlineConnection):
        return await conn.insert(statement, row)
    result = await conn.execute(statement, dict(row))
    return _inserted(result)


def new_id(done: Inserted) -> int:
    """The primary key an INSERT produced."""
    if done.id is None:
        raise RuntimeError("the statement inserted no row")
    return done.id


def _inserted(result: CursorResult[Any]) -> Inserted:
    if not result.rowcount:
        return Inserted(0, None)
    key = result.inserted_primary_key
    if key is None or len(key) != 1 or not isinstance(key[0], int):
        return Inserted(result.rowcount, None)
    return Inserted(result.rowcount, key[0])


class InlineTransaction:
    """A transaction or savepoint of an InlineConnection, with AsyncTransaction's methods."""

    def __init__(self, conn: InlineConnection, sync_transaction: sa.Transaction) -> None:
        self._conn = conn
        self.sync_transaction = sync_transaction

    @property
    def is_active(self) -> bool:
        return self.sync_transaction.is_active

    async def commit(self) -> None:
        """Release a savepoint, or commit: on the loop. A COMMIT appends the transaction's
        pages to the write-ahead log without syncing it and never checkpoints it: the
        engine does that off the loop, every CHECKPOINT_EVERY commits."""
        if isinstance(self.sync_transaction, sa.NestedTransaction):
            self.sync_transaction.commit()
            return
        began = time.perf_counter()
        self.sync_transaction.commit()
        self._conn.committed(time.perf_counter() - began)

    async def rollback(self) -> None:
        """Roll back (SQLite drops the transaction's pages: no waiting)."""
        self.sync_transaction.rollback()


class InlineStream:
    """A streamed result (AsyncResult.partitions' shape), each chunk fetched off the loop."""

    def __init__(self, conn: InlineConnection, result: Result[Any]) -> None:
        self._conn = conn
        self._result = result

    async def partitions(self, size: int) -> AsyncIterator[Sequence[sa.Row[Any]]]:
        """The rows, `size` at a time."""
        while chunk := await self._conn.off_loop_call(self._result.fetchmany, size):
            yield chunk


class InlineConnection:
    """A synchronous SQLAlchemy Connection to SQLite with AsyncConnection's methods: short
    statements run on the calling (loop) thread, what can take long on `executor`."""

    def __init__(
        self,
        sync_connection: sa.Connection,
        executor: ThreadPoolExecutor,
        on_commit: Callable[[], None] = lambda: None,
        direct: dict[tuple[int, tuple[str, ...]], _Direct] | None = None,
    ) -> None:
        self.sync_connection = sync_connection
        self._executor = executor
        self._on_commit = on_commit
        self._turned = time.perf_counter()  # when its statements last let the loop turn
        self._direct = direct if direct is not None else {}

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    @property
    def sync_engine(self) -> sa.Engine:
        return self.sync_connection.engine

    def committed(self, seconds: float) -> None:
        """A COMMIT on the loop took `seconds`: said if slow; the engine counts it."""
        if seconds > SLOW_ON_LOOP:
            _held_the_loop(seconds, sa.text("COMMIT"), self.dialect)
        self._on_commit()

    async def off_loop_call(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) on the database's thread (this connection is used by no one meanwhile:
        its unit of work awaits the answer)."""
        done = asyncio.get_running_loop().run_in_executor(self._executor, partial(fn, *args))
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            # the thread goes on with this connection: nothing may touch it (the rollback on
            # the way out) until it is done
            with contextlib.suppress(BaseException):
                await asyncio.wait([done])
            raise

    async def begin(self) -> InlineTransaction:
        """Begin a write transaction: BEGIN IMMEDIATE, at once when nobody holds the write
        lock, else waiting for it off the loop."""
        sync = self.sync_connection.begin()  # the "begin" event; pysqlite emits nothing
        try:
            try:
                self.sync_connection.exec_driver_sql("BEGIN IMMEDIATE")
            except sa.exc.OperationalError as exc:
                if not _busy(exc):
                    raise
                await self.off_loop_call(self._begin_waiting)
        except BaseException:
            sync.rollback()
            raise
        return InlineTransaction(self, sync)

    def _begin_waiting(self) -> None:
        conn = self.sync_connection
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")

    async def begin_nested(self) -> InlineTransaction:
        """A savepoint (SAVEPOINT: no disk, no lock)."""
        return InlineTransaction(self, self.sync_connection.begin_nested())

    def get_nested_transaction(self) -> InlineTransaction | None:
        """The innermost savepoint open, if any."""
        nested = self.sync_connection.get_nested_transaction()
        return None if nested is None else InlineTransaction(self, nested)

    async def execute(self, statement: Executable, parameters: Any = None) -> Rows:
        """Run a statement: on the loop, or off it when marked `off_loop` (the rows are read
        there too)."""
        if statement.get_execution_options().get(OFF_LOOP):
            return await self.off_loop_call(self._buffered, statement, parameters)
        began = time.perf_counter()
        result = self.sync_connection.execute(statement, parameters)
        await self._ran(statement, began)
        return result

    async def insert(self, statement: sa.Insert, row: Mapping[str, Any]) -> Inserted:
        """One row by a prebuilt INSERT, its SQL compiled once per set of keys (`insert`)."""
        keys = tuple(row)
        direct = self._direct.get((id(statement), keys))
        if direct is None or direct.statement is not statement:
            direct = _prepare(statement, keys, self.dialect)
            if len(self._direct) < DIRECT_KEPT:  # statements built anew each call: not kept
                self._direct[(id(statement), keys)] = direct
        if direct.sql is None:
            return _inserted(await self.execute(statement, dict(row)))
        try:
            parameters = tuple(
                (row[name] if fill is _FROM_ROW else fill)
                if process is None
                else process(row[name] if fill is _FROM_ROW else fill)
                for name, fill, process in zip(
                    direct.names, direct.fills, direct.processors, strict=True
                )
            )
        except Exception as exc:  # a value its type refuses: said as SQLAlchemy says it
            raise sa.exc.StatementError(str(exc), direct.sql, dict(row), exc) from exc
        began = time.perf_counter()
        result = self.sync_connection.exec_driver_sql(direct.sql, parameters)
        await self._ran(statement, began)
        count = result.rowcount
        return Inserted(count, result.lastrowid if count and direct.has_id else None)

    async def _ran(self, statement: Executable, began: float) -> None:
        ended = time.perf_counter()
        if ended - began > SLOW_ON_LOOP:
            _held_the_loop(ended - began, statement, self.dialect)
        if ended - self._turned > TURN_EVERY:
            # many short statements in a row (a notice to every household, an export) would
            # hold the loop as long as they all take: let it turn, as aiosqlite did at every
            # statement (nobody else uses this connection meanwhile: they wait their turn)
            await asyncio.sleep(0)
            self._turned = time.perf_counter()

    def _buffered(self, statement: Executable, parameters: Any) -> Rows:
        result = self.sync_connection.execute(statement, parameters)
        if not result.returns_rows:
            return result
        # every row read here, on this thread; the loop gets them in a Result of the same
        # methods (all, first, scalars, mappings, iteration)
        return cast(Rows, result.freeze()())

    async def scalar(self, statement: Executable, parameters: Any = None) -> Any:
        """The first column of the first row."""
        return (await self.execute(statement, parameters)).scalar()

    async def scalars(self, statement: Executable, parameters: Any = None) -> ScalarResult[Any]:
        """The first column of every row."""
        return (await self.execute(statement, parameters)).scalars()

    async def stream(self, statement: Executable) -> InlineStream:
        """A result read a part at a time, off the loop (a whole table, copied)."""
        result = await self.off_loop_call(
            self.sync_connection.execution_options(stream_results=True).execute, statement
        )
        return InlineStream(self, result)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(sync connection, *args) off the loop (migrations, inspecting the schema)."""
        return await self.off_loop_call(fn, self.sync_connection, *args)


class SQLiteDialect(SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect, its savepoints issued as plain SQL (the Dialect's
    do_savepoint hooks): the default compiles a new SavepointClause for each one, 138 µs of
    CPU a SAVEPOINT and RELEASE against 26 — and a message in a batch takes two."""

    supports_statement_cache = True

    def _named(self, verb: str, name: str) -> str:
        return f"{verb} {self.identifier_preparer.quote(name)}"

    def do_savepoint(self, connection: sa.Connection, name: str) -> None:
        connection.exec_driver_sql(self._named("SAVEPOINT", name))

    def do_release_savepoint(self, connection: sa.Connection, name: str) -> None:
        connection.exec_driver_sql(self._named("RELEASE SAVEPOINT", name))

    def do_rollback_to_savepoint(self, connection: sa.Connection, name: str) -> None:
        connection.exec_driver_sql(self._named("ROLLBACK TO SAVEPOINT", name))


# sqlite+linli:///file.db (SQLAlchemy's documented registry for a dialect of one's own)
registry.register("sqlite.linli", __name__, "SQLiteDialect")


def _said_if_failed(checkpoint: Future[None]) -> None:
    # a checkpoint that failed (the disk full, say) leaves the pages in the log, where
    # readers find them: the next one copies them
    if not checkpoint.cancelled() and (exc := checkpoint.exception()) is not None:
        log.warning("checkpointing the SQLite write-ahead log failed: %s", exc)


class InlineEngine:
    """SQLite through SQLAlchemy's synchronous engine, with AsyncEngine's methods."""

    def __init__(self, url: str, on_connect: Callable[[Any], None]) -> None:
        # connections are used on the loop's thread and on the database's: sqlite3 allows
        # that when told (check_same_thread); each is used by one unit of work at a time. A
        # checkout never waits (max_overflow -1): a wait for a free connection would stop
        # the loop, and every transaction of the file takes turns anyway (storage.db)
        self.sync_engine = sa.create_engine(
            url.replace("sqlite:///", "sqlite+linli:///", 1),
            connect_args={"check_same_thread": False},
            pool_size=8,
            max_overflow=-1,
        )
        self._executor: ThreadPoolExecutor | None = None
        self._commits = 0  # since the last checkpoint was started
        self._checkpointed = time.monotonic()  # when it was started
        self.checkpoint: Future[None] | None = None  # the last one started
        self._direct: dict[tuple[int, tuple[str, ...]], _Direct] = {}  # see `insert`

        @event.listens_for(self.sync_engine, "connect")
        def connected(dbapi_connection: Any, _record: Any) -> None:
            on_connect(dbapi_connection)
            # answer "busy" at once; InlineConnection.begin waits off the loop instead
            dbapi_connection.execute("PRAGMA busy_timeout=0")
            # a COMMIT never checkpoints: _committed has it done off the loop
            dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
            # a huge transaction (an import) grows the log file; cut it back once copied
            dbapi_connection.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")

    @property
    def url(self) -> sa.URL:
        return self.sync_engine.url

    @property
    def dialect(self) -> Dialect:
        return self.sync_engine.dialect

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[InlineConnection]:
        """A connection from the pool (opened, with its PRAGMAs, when the pool has none)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-sqlite")
        sync = self.sync_engine.connect()
        try:
            yield InlineConnection(sync, self._executor, self._committed, self._direct)
        finally:
            sync.close()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[InlineConnection]:
        """A connection in a transaction: committed when the block ends normally, rolled back
        otherwise."""
        async with self.connect() as conn:
            transaction = await conn.begin()
            try:
                yield conn
            except BaseException:
                if transaction.is_active:
                    await transaction.rollback()
                raise
            if transaction.is_active:
                await transaction.commit()

    def _committed(self) -> None:
        # every CHECKPOINT_EVERY commits, or a quiet bot's first commit in five minutes (a
        # timer would run statements while idle)
        self._commits += 1
        quiet = time.monotonic() - self._checkpointed >= CHECKPOINT_AFTER
        if (self._commits < CHECKPOINT_EVERY and not quiet) or self._executor is None:
            return
        if self.checkpoint is not None and not self.checkpoint.done():
            return  # the next commit asks again
        self._commits, self._checkpointed = 0, time.monotonic()
        self.checkpoint = self._executor.submit(self._checkpoint)
        self.checkpoint.add_done_callback(_said_if_failed)

    def _checkpoint(self) -> None:
        """The write-ahead log's pages copied into the database file, synced (on the
        database's thread, a connection of its own). PASSIVE: it waits for nobody; pages
        a reader still needs are copied by the next one."""
        with self.sync_engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()

    async def dispose(self) -> None:
        """Close the pooled connections (new ones open on the next checkout)."""
        self.sync_engine.dispose()

    def shutdown(self) -> None:
        """Close the connections and stop the database's thread (started again if the
        engine is used after)."""
        if self._executor is not None:  # a checkpoint under way finishes first
            self._executor.shutdown(wait=True)
            self._executor = None
        self.sync_engine.dispose()  # the last connection closed checkpoints what is left


# what the repositories hold
Conn = AsyncConnection | InlineConnection
