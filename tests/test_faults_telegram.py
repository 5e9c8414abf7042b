"""Faults around the Telegram bot: the Bot API failing or hanging, the database disk full or
read-only. Real adapter (python-telegram-bot over HTTP), real SQLite file, fake Bot API."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from handlers.clock import ManualClock
from storage import Database
from storage.outbox import PENDING, SENT
from tests.fake_telegram import FakeBotApi
from tests.fakes import until
from tests.test_telegram import CHENGANG, GROUP, LINA, Telegram, running

# (building, text): different buildings and kinds, so none is merged into another
REPORTS = [
    "上报 3栋 楼道飞线充电",
    "上报 5栋 楼道堆物",
    "上报 4栋 消防通道被堵",
    "上报 6栋 楼道飞线充电",
    "上报 2栋 楼道堆物",
    "上报 7栋 消防通道被堵",
]
WORKER = {"3栋": LINA, "4栋": LINA, "2栋": LINA, "5栋": CHENGANG, "6栋": CHENGANG, "7栋": CHENGANG}


def push_report(tg: Telegram, i: int) -> int:
    """Resident i writes report i in the group; returns the update id."""
    return tg.fake.push_message(GROUP, 500 + i, f"居民{i}", REPORTS[i])


async def report_count(tg: Telegram) -> int:
    """Read beside the bot (its own transactions begin by asking for the write lock)."""
    path = tg.app.db.engine.url.database
    assert path is not None
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])


def numbers(texts: list[str], pattern: str) -> list[int]:
    return [int(n) for t in texts for n in re.findall(pattern, t)]


def assert_each_delivered_once_in_order(fake: FakeBotApi, count: int) -> None:
    """Every report's alert reached its worker once, every group answer once, and each
    chat got its messages in the order they were queued."""
    for worker in (LINA, CHENGANG):
        alerts = numbers(
            [c.params["text"] for c in fake.delivered() if c.params["chat_id"] == worker],
            r"【隐患上报 H(\d+)】",
        )
        expected = [n + 1 for n in range(count) if WORKER[REPORTS[n].split()[1]] == worker]
        assert alerts == expected
    answers = numbers(
        [c.params["text"] for c in fake.delivered() if c.params["chat_id"] == GROUP],
        r"已收到隐患上报 H(\d+)",
    )
    assert answers == list(range(1, count + 1))


@pytest.mark.parametrize("fault", ["500", "hang"])
async def test_bot_api_down_for_a_minute_loses_nothing_and_keeps_order(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock, fault: str
) -> None:
    async with running(tmp_path, fake, clock, timeout_seconds=0.3) as tg:
        for i in range(3):  # handled, their messages still queued when the fault begins
            push_report(tg, i)
        await until(lambda: len(tg.handled) == 3)
        assert await tg.outbox(PENDING) == 6
        if fault == "500":
            fake.down = True
        else:
            fake.hang()
        for i in range(3, 6):  # written during the fault: Telegram keeps them
            push_report(tg, i)
        for _ in range(3):  # a minute of simulated time, the sender trying all along
            clock.advance(timedelta(seconds=20))
            await tg.app.sender.drain()
        assert fake.delivered() == [] and len(tg.handled) == 3
        assert await tg.outbox(PENDING) == 6 and await tg.outbox(SENT) == 0
        fake.down = False
        fake.release()
        await until(lambda: len(tg.handled) == 6)
        for _ in range(30):  # past the backoff, then until the queue is empty
            clock.advance(timedelta(seconds=30))
            await tg.app.sender.drain()
            if await tg.outbox(PENDING) == 0:
                break
        assert await tg.outbox(PENDING) == 0 and await report_count(tg) == 6
        assert_each_delivered_once_in_order(fake, 6)


# --- the database's disk full or read-only ---------------------------------------------------


@contextlib.contextmanager
def small_disk(where: Path, size: str = "8m") -> Iterator[Path]:
    """A real filesystem of its own (tmpfs), so it can be filled and made read-only."""
    where.mkdir()
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "linli-test", str(where)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"mounting a small tmpfs needs root (CAP_SYS_ADMIN): {exc}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem has no space left."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        for chunk in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * chunk)
    return filler


def empty_wal(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0 and os.path.getsize(f"{db}-wal") == 0


@contextlib.asynccontextmanager
async def read_only(db: Database) -> AsyncIterator[None]:
    """Every connection of the bot's pool refuses writes ("attempt to write a readonly
    database"), as SQLite does for a read-only file. (The kernel refuses to remount the
    filesystem read-only while the database is open for writing: "mount point is busy".)"""
    refusing = True

    @sa.event.listens_for(db.engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if refusing:
            dbapi_connection.execute("PRAGMA query_only=ON")  # aiosqlite runs it in its thread

    await db.engine.dispose()  # the idle connections reopen with it
    try:
        yield
    finally:
        refusing = False
        await db.engine.dispose()


def stored_failures(caplog: pytest.LogCaptureFixture) -> int:
    return sum(
        1
        for r in caplog.records
        if r.levelno >= logging.ERROR and "could not be stored" in r.getMessage()
    )


async def test_disk_full_or_read_only_database_keeps_the_message_until_it_can_write(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        async with running(disk, fake, clock) as tg:
            await tg.said(GROUP, 500, "居民0", REPORTS[0])
            empty_wal(disk / "tg.db")  # so the next write has to grow it

            for fault, i in (("full", 1), ("read-only", 2)):
                caplog.clear()
                async with contextlib.AsyncExitStack() as stack:
                    if fault == "full":
                        stack.callback(fill(disk).unlink)  # space comes back on leaving
                    else:
                        await stack.enter_async_context(read_only(tg.app.db))
                    update = push_report(tg, i)
                    await until(lambda: stored_failures(caplog) >= 2)  # logged, tried again
                    assert fake.confirmed <= update, f"{fault}: the update was acknowledged"
                    assert await report_count(tg) == i
                    assert tg.adapter.healthy, f"{fault}: the bot stopped polling"
                # stored, then acknowledged (awaited here, so the loop variable is current)
                await until(lambda: fake.confirmed > update)  # noqa: B023
                assert await report_count(tg) == i + 1
                await tg.app.sender.drain()
                empty_wal(disk / "tg.db")
            assert_each_delivered_once_in_order(fake, 3)
