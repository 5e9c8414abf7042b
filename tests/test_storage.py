"""Storage: migrations on a fresh file, WAL mode, units of work that roll back."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

from storage import Database, NotFound
from storage import conn as conn_module
from storage.conn import BUSY_TIMEOUT_MS, InlineEngine, off_loop
from storage.db import MIGRATIONS, WAL_SWITCH_SECONDS
from storage.errors import is_storage_failure

AT = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


async def test_migrations_create_the_schema_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    async with Database(url) as db:
        await db.migrate()  # a second time changes nothing
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            mode = await conn.scalar(sa.text("PRAGMA journal_mode"))
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert {"people", "reports", "report_events", "outbox", "inbound"} <= set(tables)
    assert mode == "wal" and version == head_revision()


def head_revision() -> str:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


async def test_an_old_database_is_upgraded_with_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def to_0001(sync_conn: sa.Connection) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "0001")

    async with db.engine.begin() as conn:
        await conn.run_sync(to_0001)
        await conn.execute(
            sa.text(
                "INSERT INTO people (id, name, elderly, lives_alone, created_at) "
                "VALUES (1, '王辉', 0, 0, '2026-11-26 01:00:00')"
            )
        )
        await conn.execute(
            sa.text(
                "INSERT INTO reports (id, reporter_id, building, known_building, text, category,"
                " urgent, status, level, origin_platform, origin_chat, created_at) VALUES (1, 1,"
                " '3栋', 1, '飞线', '飞线充电', 0, 'open', 0, 'console', 'group',"
                " '2026-11-26 01:00:00')"
            )
        )
    await db.migrate()
    async with db.unit_of_work() as uow:
        report = await uow.reports.get(report_id=1)
    await db.close()
    assert report.text == "飞线" and report.resolve_reminded is False and report.created_at == AT


async def test_unit_of_work_rolls_back_on_error(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'b.db'}") as db:
        with pytest.raises(RuntimeError):
            async with db.unit_of_work() as uow:
                await uow.people.register(
                    platform="telegram", native_id="1", display_name="甲", at=AT
                )
                raise RuntimeError("crash mid-message")
        async with db.unit_of_work() as uow:
            assert await uow.people.by_account(platform="telegram", native_id="1") is None
            with pytest.raises(NotFound):
                await uow.people.get(person_id=1)


async def test_times_come_back_aware_and_equal(tmp_path: Path) -> None:
    async with Database(f"sqlite:///{tmp_path / 'c.db'}") as db:
        async with db.unit_of_work() as uow:
            person = await uow.people.register(
                platform="console", native_id="x", display_name="x", at=AT
            )
            await uow.outbox.enqueue(
                platform="console",
                chat_id="x",
                is_group=False,
                text="hi",
                buttons=[("a", "b"), ("满意", "满意 H1", True)],
                photo=None,
                mention=None,
                person_id=person.id,
                at=AT,
            )
        async with db.unit_of_work() as uow:
            [row] = await uow.outbox.due(now=AT, platforms=["console"], limit=5)
            assert row.created_at == AT and row.created_at.tzinfo is not None
            # a question's answer keeps saying so (Button.choice); others read as before
            assert row.buttons == (("a", "b", False), ("满意", "满意 H1", True))
            assert await uow.outbox.next_due_at(platforms=["console"]) == AT


async def test_sqlite_runs_short_statements_on_the_loop_and_long_ones_off_it(
    tmp_path: Path,
) -> None:
    """SQLite through SQLAlchemy's synchronous API (storage.conn): a message's short
    statements on the loop's own thread, a statement marked off_loop on the database's
    thread (the loop turns meanwhile), the connection set up as before (WAL, foreign keys,
    synchronous NORMAL; busy answered at once: BEGIN waits off the loop instead)."""
    async with Database(f"sqlite:///{tmp_path / 'a.db'}") as db:

        @sa.event.listens_for(db.engine.sync_engine, "connect")
        def thread_id(dbapi_connection: Any, _record: Any) -> None:
            # a SQL function answering with the thread SQLite calls it on
            dbapi_connection.create_function("thread_id", 0, threading.get_ident)

        await db.engine.dispose()  # connections made from now on have the function
        turns = 0

        def turned() -> None:
            nonlocal turns
            turns += 1

        async with db.unit_of_work() as uow:
            assert await uow.inbound.remember(platform="console", message_id="1", at=AT)
            on = await uow.conn.scalar(sa.text("SELECT thread_id()"))
            asyncio.get_running_loop().call_soon(turned)
            off = await uow.conn.scalar(off_loop(sa.text("SELECT thread_id()")))
            pragmas = [
                await uow.conn.scalar(sa.text(f"PRAGMA {name}"))
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            ]
    assert db.engine.dialect.driver == "pysqlite"
    assert pragmas == ["wal", 0, 1, 1]  # synchronous NORMAL is 1
    assert on == threading.get_ident()
    assert isinstance(off, int) and off != threading.get_ident()
    assert turns == 1  # the loop ran while the off-loop statement did


async def test_a_commit_stays_on_the_loop_and_the_log_is_checkpointed_off_it(
    tmp_path: Path,
) -> None:
    """A COMMIT runs on the loop's thread and never checkpoints (wal_autocheckpoint 0); every
    CHECKPOINT_EVERY commits the engine checkpoints the write-ahead log on the database's
    thread: the rows reach the database file, and the log stops growing."""
    path = tmp_path / "a.db"
    wal = tmp_path / "a.db-wal"
    async with Database(f"sqlite:///{path}") as db:
        seen: list[tuple[int, str]] = []

        @sa.event.listens_for(db.engine.sync_engine, "connect")
        def traced(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.set_trace_callback(
                lambda sql: seen.append((threading.get_ident(), sql))
            )

        await db.engine.dispose()
        every = conn_module.CHECKPOINT_EVERY
        ids = iter(range(10 * every))

        async def commits(n: int) -> None:
            for _ in range(n):
                async with db.unit_of_work() as uow:
                    key = str(next(ids))
                    await uow.inbound.remember(platform="console", message_id=key, at=AT)

        engine = db.engine
        assert isinstance(engine, InlineEngine)

        async def until_checkpoint() -> int:
            """Commits until the engine starts a checkpoint (awaited): how many it took."""
            before = engine.checkpoint
            for n in range(1, every + 1):
                await commits(1)
                if engine.checkpoint is not before and engine.checkpoint is not None:
                    await asyncio.wrap_future(engine.checkpoint)
                    return n
            raise AssertionError(f"no checkpoint in {every} commits")

        await until_checkpoint()  # the count began with the migrations' commits
        seen.clear()
        size = path.stat().st_size
        assert await until_checkpoint() == every
        assert path.stat().st_size > size  # the log's pages copied into the file
        after_one = wal.stat().st_size
        assert [await until_checkpoint() for _ in range(5)] == [every] * 5
        # without checkpoints the log would hold six times as many transactions
        assert wal.stat().st_size <= 2 * after_one
        async with db.unit_of_work() as uow:
            autocheckpoint = await uow.conn.scalar(sa.text("PRAGMA wal_autocheckpoint"))
            size_limit = await uow.conn.scalar(sa.text("PRAGMA journal_size_limit"))
        loop = threading.get_ident()
        commits_seen = [thread for thread, sql in seen if sql == "COMMIT"]
        checkpoints = [t for t, sql in seen if sql == "PRAGMA wal_checkpoint(PASSIVE)"]
        assert len(commits_seen) >= 6 * every and set(commits_seen) == {loop}
        assert len(checkpoints) == 6 and loop not in checkpoints
        # a quiet bot: its first commit five minutes after the last checkpoint starts one
        engine._checkpointed -= conn_module.CHECKPOINT_AFTER
        assert await until_checkpoint() == 1
    assert autocheckpoint == 0
    assert size_limit == conn_module.WAL_KEPT_BYTES


async def test_a_write_lock_held_by_another_process_is_waited_for_off_the_loop(
    tmp_path: Path,
) -> None:
    """Another process (here a plain sqlite3 connection) holds the write lock for 0.5 s:
    the unit of work waits for it in SQLite's busy handler on the database's thread, the
    loop turning all the while, and then goes on."""
    path = tmp_path / "a.db"
    async with Database(f"sqlite:///{path}") as db:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0.01)

        async def release() -> None:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(other.execute, "COMMIT")

        running = asyncio.create_task(ticker())
        releasing = asyncio.create_task(release())
        started = time.monotonic()
        async with db.unit_of_work() as uow:
            waited = time.monotonic() - started
            assert await uow.inbound.remember(platform="console", message_id="1", at=AT)
        stop = True
        await asyncio.gather(running, releasing)
        other.close()
        async with db.unit_of_work() as uow:
            assert not await uow.inbound.remember(platform="console", message_id="1", at=AT)
    assert waited >= 0.45
    assert ticks >= 20  # 10 ms a tick: the loop was not held while the lock was waited for


async def slow_sql(db: Database, seconds: float) -> None:
    """Connections from now on have a SQL function slow() that takes `seconds`."""

    def sleep() -> int:
        time.sleep(seconds)
        return 1

    @sa.event.listens_for(db.engine.sync_engine, "connect")
    def slow(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("slow", 0, sleep)

    await db.engine.dispose()


@pytest.mark.slow
async def test_a_write_lock_held_past_the_busy_timeout_is_a_storage_failure(
    tmp_path: Path,
) -> None:
    """Soak, real time: another process holds the write lock longer than the busy timeout
    (10 s). The unit of work gives up with the database refusing — what the adapters wait
    out and hand over again — the loop turning all the while; once the lock is gone the
    same database takes the write."""
    path = tmp_path / "a.db"
    async with Database(f"sqlite:///{path}") as db:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        running = asyncio.create_task(ticker())
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError) as refused:
            async with db.unit_of_work() as uow:
                await uow.inbound.remember(platform="console", message_id="1", at=AT)
        waited = time.monotonic() - started
        running.cancel()
        await asyncio.to_thread(other.execute, "COMMIT")
        other.close()
        async with db.unit_of_work() as uow:
            assert await uow.inbound.remember(platform="console", message_id="1", at=AT)
    assert is_storage_failure(refused.value)
    assert waited >= BUSY_TIMEOUT_MS / 1000 * 0.95
    assert ticks >= 0.5 * waited / 0.01  # the loop was not held while the lock was waited for


async def test_a_unit_of_work_cancelled_during_an_off_loop_statement_waits_for_it(
    tmp_path: Path,
) -> None:
    """Cancelled (the bot stopping) while a statement runs on the database's thread: the
    rollback on the way out waits for that statement (the connection is in use there) with
    the loop turning meanwhile, then the work is undone and the database goes on as before."""
    async with Database(f"sqlite:///{tmp_path / 'a.db'}") as db:
        await slow_sql(db, 0.3)
        started = asyncio.Event()

        async def work() -> None:
            async with db.unit_of_work() as uow:
                await uow.inbound.remember(platform="console", message_id="x", at=AT)
                started.set()
                await uow.conn.scalar(off_loop(sa.text("SELECT slow()")))

        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(work())
        await started.wait()
        await asyncio.sleep(0.05)
        ticking = asyncio.create_task(ticker())
        task.cancel()
        cancelled = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await task
        ticking.cancel()
        assert time.monotonic() - cancelled >= 0.2  # the statement ended first
        assert ticks >= 10  # waited for on the loop, not in a rollback blocking it
        async with db.unit_of_work() as uow:  # rolled back: not remembered
            assert await uow.inbound.remember(platform="console", message_id="x", at=AT)


async def test_many_short_statements_in_a_row_let_the_loop_turn(tmp_path: Path) -> None:
    """A unit of work running short statements back to back for 100 ms (a notice to every
    household, say) gives the loop a turn every few milliseconds, as aiosqlite did at every
    statement; with them on the loop's thread it would not turn once until the commit."""
    async with Database(f"sqlite:///{tmp_path / 'a.db'}") as db:
        ticks = 0
        on = True

        def tick() -> None:
            nonlocal ticks
            if on:
                ticks += 1
                asyncio.get_running_loop().call_soon(tick)

        async with db.unit_of_work() as uow:
            asyncio.get_running_loop().call_soon(tick)
            until = time.perf_counter() + 0.1
            while time.perf_counter() < until:
                await uow.conn.scalar(sa.text("SELECT 1"))
            on = False
        assert ticks >= 5  # every 5 ms: about 20 turns; before the commit, none without it


async def test_a_slow_statement_left_on_the_loop_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A statement on the loop's thread that takes over 20 ms is logged with its SQL (to be
    marked off_loop), once an hour at most; a short one is not."""
    async with Database(f"sqlite:///{tmp_path / 'a.db'}") as db:
        await slow_sql(db, 0.03)
        with caplog.at_level("WARNING", logger="storage.conn"):
            async with db.unit_of_work() as uow:
                for _ in range(3):
                    assert await uow.conn.scalar(sa.text("SELECT slow()")) == 1
                assert await uow.conn.scalar(sa.text("SELECT 1 + 1")) == 2
                said = [r.getMessage() for r in caplog.records if r.name == "storage.conn"]
                assert len(said) == 1 and "SELECT slow()" in said[0] and "off_loop" in said[0]
                # an hour on, it is said again
                for sql in list(conn_module._SAID):
                    conn_module._SAID[sql] -= conn_module.SAY_AGAIN
                assert await uow.conn.scalar(sa.text("SELECT slow()")) == 1
    said = [r.getMessage() for r in caplog.records if r.name == "storage.conn"]
    assert len(said) == 2 and "SELECT slow()" in said[1]


async def test_two_databases_on_one_file_take_turns_in_one_process(tmp_path: Path) -> None:
    """A transaction that yields to the loop while it holds SQLite's write lock, and another
    Database on the same file beginning one meanwhile: the second waits its turn on the loop,
    in arrival order (not in SQLite's busy handler, which polls and is not fair)."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    order: list[str] = []
    holding = asyncio.Event()
    async with Database(url) as a, Database(url) as b:

        async def first() -> None:
            async with a.unit_of_work() as uow:
                await uow.inbound.remember(platform="console", message_id="a", at=AT)
                holding.set()
                for _ in range(20):  # give the loop away many times while holding the lock
                    await asyncio.sleep(0)
                order.append("first")

        async def second() -> None:
            await holding.wait()
            async with b.unit_of_work() as uow:
                await uow.inbound.remember(platform="console", message_id="b", at=AT)
                order.append("second")

        await asyncio.gather(first(), second())
        async with a.unit_of_work() as uow:
            assert not await uow.inbound.remember(platform="console", message_id="b", at=AT)
    assert order == ["first", "second"]


def _a_reader_holding(path: Path) -> sqlite3.Connection:
    """Another connection reading a file still in rollback-journal mode: its shared lock
    keeps a switch to WAL mode from taking the file."""
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("CREATE TABLE t (x)")
    setup.close()
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t").fetchall()
    return reader


@pytest.mark.slow
async def test_a_new_file_held_by_a_reader_is_switched_to_wal_once_it_lets_go(
    tmp_path: Path,
) -> None:
    """Soak, real time: the switch to WAL mode is refused while the reader holds the file,
    retried, and made once it lets go (here after 2 s of the 10 s the switch is retried)."""
    path = tmp_path / "a.db"
    reader = _a_reader_holding(path)
    threading.Timer(2.0, reader.execute, ["COMMIT"]).start()
    started = time.monotonic()
    async with Database(f"sqlite:///{path}") as db, db.engine.connect() as conn:
        mode = await conn.scalar(sa.text("PRAGMA journal_mode"))
    reader.close()
    assert mode == "wal" and time.monotonic() - started >= 1.9


@pytest.mark.slow
async def test_a_new_file_held_past_the_switch_deadline_fails_to_open_saying_so(
    tmp_path: Path,
) -> None:
    """Soak, real time: a reader that holds a new file longer than WAL_SWITCH_SECONDS (10 s)
    makes the database fail to open with SQLite's "locked", not hang."""
    path = tmp_path / "a.db"
    reader = _a_reader_holding(path)
    started = time.monotonic()
    try:
        with pytest.raises((sqlite3.OperationalError, sa.exc.OperationalError), match="locked"):
            async with Database(f"sqlite:///{path}"):
                pass
        waited = time.monotonic() - started
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert WAL_SWITCH_SECONDS <= waited < WAL_SWITCH_SECONDS + 5
