"""Faults around the Telegram bot: the Bot API failing or hanging, the database disk full or
read-only. Real adapter (python-telegram-bot over HTTP), real SQLite file, fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import tomli_w

from handlers.clock import ManualClock
from storage.outbox import PENDING, SENT
from tests.fake_telegram import FakeBotApi
from tests.fakes import free_port, read_only, until
from tests.test_telegram import (
    CHENGANG,
    GROUP,
    LINA,
    SECRET,
    Telegram,
    group_update,
    running,
    telegram_raw,
    webhook,
)

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


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read beside the bot (its own transactions begin by asking for the write lock)."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def count(db: Path, table: str, where: str = "1") -> int:
    return int(query(db, f"SELECT count(*) FROM {table} WHERE {where}")[0][0])


async def report_count(tg: Telegram) -> int:
    path = tg.app.db.engine.url.database
    assert path is not None
    return count(Path(path), "reports")


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
        # once the Bot API answers again, what waited for it goes out as fast as the per-chat
        # pacing lets it (a few seconds), not when the backoff of its failed tries (8 s and
        # more after three) would have let it
        # (a call that hung may still land: that chat waits out its landing window first)
        for _ in range(5 if fault == "500" else 60):
            await tg.app.sender.drain()
            if await tg.outbox(PENDING) == 0:
                break
            clock.advance(timedelta(seconds=1))
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


def stored_failures(caplog: pytest.LogCaptureFixture) -> int:
    return sum(
        1
        for r in caplog.records
        if r.levelno >= logging.ERROR and "could not be stored" in r.getMessage()
    )


@pytest.mark.parametrize("batch", [False, True], ids=["one_by_one", "batched"])
async def test_disk_full_or_read_only_database_keeps_the_message_until_it_can_write(
    tmp_path: Path,
    fake: FakeBotApi,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    batch: bool,
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        async with running(disk, fake, clock, batch=batch) as tg:
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


async def test_webhook_answers_500_while_the_database_refuses_so_telegram_resends(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    port = free_port()
    async with running(tmp_path, fake, clock, **webhook(port)) as tg:
        url, update = f"http://127.0.0.1:{port}/tg", group_update(1, REPORTS[0], clock)
        async with aiohttp.ClientSession() as http:
            async with (
                read_only(tg.app.db),
                http.post(url, json=update, headers=SECRET) as refused,
            ):
                assert refused.status == 500  # not acknowledged: Telegram delivers it again
            assert await report_count(tg) == 0
            for _ in range(2):  # the redelivery, and a second one (Telegram may repeat)
                async with http.post(url, json=update, headers=SECRET) as stored:
                    assert stored.status == 200
        assert await report_count(tg) == 1
        await tg.app.sender.drain()
        assert_each_delivered_once_in_order(fake, 1)


# --- kill -9 in the middle of a burst ----------------------------------------------------------

BURST = 1000


def kill_config(tmp_path: Path, fake: FakeBotApi) -> Path:
    """The demo community on Telegram through the fake, as a file for `linli run`."""
    raw = telegram_raw(
        base_url=fake.base_url,
        # the limits are tested elsewhere; here they would only make the test long
        group_per_minute=100_000,
        private_per_3s=100_000,
        overall_per_second=100_000,
    )
    raw["reports"]["duplicate_window_hours"] = 0  # every report its own, to count them
    raw["ops"] = {"enabled": False}
    raw["storage"] = {"url": f"sqlite:///{tmp_path / 'kill.db'}"}
    path = tmp_path / "kill.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def start_bot(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "-v", "run", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parent.parent,
        )


async def test_kill_9_in_a_burst_of_1000_reports_loses_nothing_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    fake = FakeBotApi()  # the real clock: the bot runs in a process of its own
    await fake.start()
    config, log, db = kill_config(tmp_path, fake), tmp_path / "bot.log", tmp_path / "kill.db"
    buildings = [f"{n}栋" for n in range(1, 9)]
    for i in range(BURST):
        fake.push_message(
            GROUP, 10_000 + i, f"居民{i}", f"上报 {buildings[i % 8]} 楼道飞线充电 第{i}号"
        )
    bot = start_bot(config, log)
    try:
        # mid-burst: some updates stored and confirmed, some alerts out, much still to do
        await until(lambda: fake.confirmed > 300 and len(fake.delivered()) > 100, timeout=120)
        bot.kill()  # SIGKILL: no clean-up of any kind
        bot.wait()
        consumed = fake.confirmed - 1
        sent_before = len(fake.delivered())
        assert consumed < BURST and sent_before < 2 * BURST, "the kill came after the burst"
        # what was being sent at the kill: the only messages that may go out twice
        in_flight = query(
            db, "SELECT text FROM outbox WHERE status='pending' AND claimed_by IS NOT NULL"
        )
        stored_before = count(db, "reports")
        assert stored_before >= consumed  # every confirmed update was stored first

        bot = start_bot(config, log)
        await until(
            lambda: (
                fake.confirmed > BURST
                and count(db, "reports") == BURST
                and count(db, "outbox", "status='pending'") == 0
            ),
            timeout=240,
        )
        bot.terminate()
        assert bot.wait(timeout=30) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
        await fake.stop()

    texts = [t for (t,) in query(db, "SELECT text FROM reports")]
    assert sorted(texts) == sorted(f"楼道飞线充电 第{i}号" for i in range(BURST))  # each once
    assert count(db, "inbound", "platform='telegram'") == BURST
    alerts = Counter(
        numbers(
            [c.params["text"] for c in fake.delivered() if c.params["chat_id"] in (LINA, CHENGANG)],
            r"【隐患上报 H(\d+)】",
        )
    )
    assert set(alerts) == set(range(1, BURST + 1))  # every alert delivered
    answers = Counter(
        numbers(
            [c.params["text"] for c in fake.delivered() if c.params["chat_id"] == GROUP],
            r"已收到隐患上报 H(\d+)",
        )
    )
    assert set(answers) == set(range(1, BURST + 1))  # every group answer delivered
    repeats = [n for counts in (alerts, answers) for n, k in counts.items() for _ in range(k - 1)]
    twice = {f"H{n}" for n in repeats}
    repeatable = {f"H{n}" for (t,) in in_flight for n in re.findall(r"H(\d+)", t)}
    assert twice <= repeatable, f"sent twice though not in flight at the kill: {twice}"
    assert len(repeats) <= len(in_flight)
    print(  # the figures, for the closing note (pytest -s)
        f"kill -9 after {consumed} of {BURST} updates confirmed and {sent_before} messages"
        f" delivered; {len(in_flight)} in flight; repeated after restart: {sorted(twice)}"
    )


# --- sends that hang: nothing merged posted twice, no retry while a call may land ------------


async def test_hung_sends_are_not_retried_while_they_may_land_and_no_merged_answer_repeats(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    async with running(tmp_path, fake, clock, timeout_seconds=0.3) as tg:
        for i in range(6):
            push_report(tg, i)
        await until(lambda: len(tg.handled) == 6)
        assert await tg.outbox(PENDING) == 12  # 6 group answers (merged: one message), 6 alerts
        # Telegram gets the sends but answers none in time; it processes them later all
        # the same, once the hang ends (the worst case: every one of them lands)
        fake.hang(land_late=True)
        await tg.app.sender.drain()  # one merged answer, one alert to each worker: no answer
        hung = [c for c in fake.calls if c.method == "sendMessage"]
        assert hung == [] and fake.held() == 3
        for _ in range(5):  # 50 s: within the landing window, nothing is sent again
            clock.advance(timedelta(seconds=10))
            await tg.app.sender.drain()
        assert fake.held() == 3, "a send was retried while the first one might still land"
        fake.release()
        await until(lambda: len(fake.delivered()) == 3)  # the three land, late
        for _ in range(40):  # past the window: what got no answer is sent again
            clock.advance(timedelta(seconds=15))
            await tg.app.sender.drain()
            if await tg.outbox(PENDING) == 0:
                break
        assert await tg.outbox(PENDING) == 0
    group = [c.params["text"] for c in fake.delivered() if c.params["chat_id"] == GROUP]
    merged = [t for t in group if len(numbers([t], r"已收到隐患上报 H(\d+)")) > 1]
    assert len(merged) == 1 and group.count(merged[0]) == 1  # the merged answer: once
    # its answers, which may or may not have landed, went again one by one: each report's
    # answer at most twice (the window README describes), none merged into another message
    answers = Counter(numbers(group, r"已收到隐患上报 H(\d+)"))
    assert set(answers) == set(range(1, 7)) and max(answers.values()) <= 2
    assert all(len(numbers([t], r"已收到隐患上报 H(\d+)")) == 1 for t in group if t not in merged)
    for worker in (LINA, CHENGANG):  # alerts: each at least once, at most twice, in order
        alerts = numbers(
            [c.params["text"] for c in fake.delivered() if c.params["chat_id"] == worker],
            r"【隐患上报 H(\d+)】",
        )
        expected = [n + 1 for n in range(6) if WORKER[REPORTS[n].split()[1]] == worker]
        assert sorted(set(alerts)) == expected and len(alerts) <= len(expected) + 1
        assert alerts[1:] == expected  # the first (landed late) again, then the rest in order


async def test_a_hung_chat_does_not_hold_up_the_others(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    async with running(tmp_path, fake, clock, timeout_seconds=20) as tg:
        for i in range(6):
            push_report(tg, i)
        await until(lambda: len(tg.handled) == 6)
        fake.hang(chats={str(GROUP)})  # the group's send hangs (up to the 20 s time-out)
        drain = asyncio.create_task(tg.app.sender.drain())
        try:
            # every alert reaches its worker while the group's call is still hanging
            await until(
                lambda: len([c for c in fake.delivered() if c.params["chat_id"] != GROUP]) == 6,
                timeout=15,
            )
            assert fake.held() == 1 and not drain.done()
        finally:
            fake.release()
            await drain
        await tg.app.sender.drain()
        assert await tg.outbox(PENDING) == 0
        assert_each_delivered_once_in_order(fake, 6)


async def test_a_burst_of_reports_at_30_a_second_gets_no_429(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    """Reports arrive faster than a group may be answered (Telegram: about one message a
    second per chat, groups included, and 20 a minute per group; 30 a second overall)."""
    fake.enforce_limits = True
    async with running(tmp_path, fake, clock) as tg:
        for i in range(300):  # 300 reports in 10 s, delivering as they come
            fake.push_message(GROUP, 500 + i, f"居民{i}", f"上报 {1 + i % 8}栋 问题{i}")
            if i % 10 == 9:
                await until(lambda: len(tg.handled) == i + 1)  # noqa: B023
                await tg.app.sender.drain()
                clock.advance(timedelta(seconds=1 / 3))
        while await tg.outbox(PENDING):
            await tg.app.sender.drain()
            ready = tg.app.sender.next_ready
            if ready is not None and ready > tg.clock.now():
                tg.clock.advance(ready - tg.clock.now())
    sends = fake.sent()
    refused = [c for c in sends if "_result" not in c.params]
    assert refused == [], f"{len(refused)} × 429"
    answered = "\n".join(c.params["text"] for c in fake.delivered() if c.params["chat_id"] == GROUP)
    assert sorted(numbers([answered], r"已收到隐患上报 H(\d+)")) == list(range(1, 301))
    alerts = [c for c in fake.delivered() if c.params["chat_id"] != GROUP]
    assert len(alerts) == 300
