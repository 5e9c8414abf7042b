"""The cost of the hot path, in one process: a SQL statement through each SQLite driver, and
the CPU of handling a group report from a new resident.

- `statement`: an INSERT and a SELECT by key, N times each in one transaction, through
  SQLAlchemy's asyncio API on aiosqlite (a hop to aiosqlite's thread and back per call, three
  or four calls a statement) and through SQLAlchemy's synchronous API on sqlite3 (what
  storage/conn.py runs on the loop's thread). CPU microseconds a statement (the process's:
  aiosqlite's thread included).
- `transaction`: a unit of work of one INSERT (BEGIN IMMEDIATE, the statement, COMMIT),
  2,000 of them one after the other on a SQLite file, as the sender and a paced bot run
  them: CPU and wall microseconds a transaction (the checkpoints of the log included).
- `insert`: an outbox row (the statement a message runs most), 1,000 times in a transaction,
  through `Connection.execute` and through `storage.conn.insert` (its SQL compiled once,
  run by `exec_driver_sql`), interleaved in rounds in the one process, the best round of
  each; and a savepoint (SAVEPOINT and RELEASE, as the commit in which it is run has them).
  CPU microseconds each.
- `reports`: 1,000 `/report` messages from 1,000 new residents (duplicate merging off: each
  its own report, group answer and alert), handed to `App.handle_batch` 100 at a time, as
  the Telegram adapter hands over a getUpdates answer; the process's CPU a message, the
  sends not included (the outbox rows are committed; a RecordingAdapter takes them).

    .venv/bin/python -m bench.hot_path            # all four
    .venv/bin/python -m bench.hot_path reports    # the handler's only
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import App
from handlers.clock import ManualClock
from storage import Database
from storage.conn import InlineConnection, insert
from storage.outbox import _ENQUEUE
from tests.fakes import RecordingAdapter, config_from, example_raw, incoming, outbox_row

_META = sa.MetaData()
_ROWS = sa.Table(
    "t", _META, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String)
)
_INSERT = sa.insert(_ROWS)
_SELECT = sa.select(_ROWS.c.v).where(_ROWS.c.id == sa.bindparam("i"))


async def statement(n: int = 5000) -> dict[str, float]:
    """CPU µs a statement: aiosqlite (SQLAlchemy asyncio) against sqlite3 (SQLAlchemy sync)."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp}/a.db")
        async with engine.begin() as conn:
            await conn.run_sync(_META.create_all)
        async with engine.connect() as conn, conn.begin():
            c0 = time.process_time()
            for i in range(n):
                await conn.execute(_INSERT, {"v": "x"})
                (await conn.execute(_SELECT, {"i": i})).first()
            aio = time.process_time() - c0
        await engine.dispose()
        sync = sa.create_engine(f"sqlite:///{tmp}/s.db")
        _META.create_all(sync)
        with sync.connect() as plain, plain.begin():
            c0 = time.process_time()
            for i in range(n):
                plain.execute(_INSERT, {"v": "x"})
                plain.execute(_SELECT, {"i": i}).first()
            inline = time.process_time() - c0
        sync.dispose()
    return {
        "aiosqlite_us": round(1e6 * aio / (2 * n), 1),
        "sqlite3_sync_us": round(1e6 * inline / (2 * n), 1),
    }


async def transaction(n: int = 2000) -> dict[str, float]:
    """CPU and wall µs a one-INSERT unit of work."""
    at = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(f"sqlite:///{Path(tmp) / 'bench.db'}") as db:
            c0, t0 = time.process_time(), time.perf_counter()
            for i in range(n):
                async with db.unit_of_work() as uow:
                    await uow.inbound.remember(platform="console", message_id=str(i), at=at)
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    return {"cpu_us": round(1e6 * cpu / n, 1), "wall_us": round(1e6 * wall / n, 1)}


async def direct(n: int = 1000, rounds: int = 7) -> dict[str, float]:
    """CPU µs an outbox INSERT and a savepoint: SQLAlchemy's way against storage.conn's."""
    at = datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    row = outbox_row(at)
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(best.get(name, seconds), seconds)

    async def execute(conn: InlineConnection) -> None:
        await conn.execute(_ENQUEUE, row)

    async def direct(conn: InlineConnection) -> None:
        await insert(conn, _ENQUEUE, row)

    async def savepoint(conn: InlineConnection) -> None:
        await (await conn.begin_nested()).commit()

    ways = {"insert_execute_us": execute, "insert_direct_us": direct, "savepoint_us": savepoint}
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(f"sqlite:///{Path(tmp) / 'bench.db'}") as db:
            for _ in range(rounds):
                for name, way in ways.items():
                    # each way in a transaction of its own, rolled back: the same file
                    async with db.engine.connect() as conn:
                        assert isinstance(conn, InlineConnection)
                        transaction = await conn.begin()
                        c0 = time.process_time()
                        for _ in range(n):
                            await way(conn)
                        keep(name, time.process_time() - c0)
                        await transaction.rollback()
    # the best round of each: the least disturbed by the rest of the machine
    return {name: round(1e6 * seconds / n, 1) for name, seconds in best.items()}


async def reports(n: int = 1000, batch: int = 100) -> dict[str, float]:
    """CPU ms a report from a new resident, handled in batches (sends not included)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw: dict[str, Any] = example_raw()
        raw.setdefault("reports", {})["duplicate_window_hours"] = 0
        cfg = config_from(raw, Path(tmp) / "bench.db")
        clock = ManualClock(datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        async with Database(cfg.storage.url) as db:
            app = App(cfg, db, clock, {"console": RecordingAdapter()}, platforms=("console",))
            await app.start()
            messages = [
                incoming(
                    f"新居民{i}", f"/report {1 + i % 8}栋 楼道飞线充电 第{i}号", at=clock.now()
                )
                for i in range(n)
            ]
            c0, t0 = time.process_time(), time.perf_counter()
            for i in range(0, n, batch):
                await app.handle_batch(messages[i : i + batch])
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    return {
        "messages": n,
        "cpu_ms_per_message": round(1000 * cpu / n, 3),
        "messages_per_second": round(n / wall, 1),
    }


async def main(argv: list[str]) -> None:
    which = argv or ["statement", "transaction", "insert", "reports"]
    if "statement" in which:
        print("statement", await statement(), flush=True)
    if "transaction" in which:
        print("transaction", await transaction(), flush=True)
    if "insert" in which:
        print("insert   ", await direct(), flush=True)
    if "reports" in which:
        print("reports  ", await reports(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
