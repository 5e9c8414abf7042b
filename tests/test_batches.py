"""The messages of one getUpdates answer in one transaction, each in a savepoint of its own:
a message that fails is set aside alone, and a crash before the commit loses nothing (the
updates are fetched again). Storage and App on SQLite and PostgreSQL; the Telegram adapter
against the fake Bot API on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from handlers import texts
from handlers.clock import ManualClock
from handlers.context import Context
from handlers.registry import Command
from storage import Database
from storage.schema import dead_letters, inbound, reports
from tests.fake_telegram import FakeBotApi
from tests.fakes import Bot, incoming, until
from tests.test_telegram import CHENGANG, GROUP, LINA, running

BOTH_BACKENDS = True  # the storage and App tests run on SQLite and on PostgreSQL

REPORTS = [  # different buildings and kinds: none is merged into another
    ("3栋", "上报 3栋 楼道飞线充电"),
    ("5栋", "上报 5栋 楼道堆物"),
    ("4栋", "上报 4栋 消防通道被堵"),
    ("6栋", "上报 6栋 楼道飞线充电"),
    ("2栋", "上报 2栋 楼道堆物"),
]
WORKER = {"3栋": LINA, "4栋": LINA, "2栋": LINA, "5栋": CHENGANG, "6栋": CHENGANG}


@contextlib.contextmanager
def transactions(db: Database) -> Iterator[Counter[str]]:
    """Counts the transactions ("begin") and savepoints begun on `db` in the block."""
    seen: Counter[str] = Counter()

    def began(*_: Any) -> None:
        seen["begin"] += 1

    def savepoint(*_: Any) -> None:
        seen["savepoint"] += 1

    engine = db.engine.sync_engine
    sa.event.listen(engine, "begin", began)
    sa.event.listen(engine, "savepoint", savepoint)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "begin", began)
        sa.event.remove(engine, "savepoint", savepoint)


async def test_units_of_work_in_a_batch_are_savepoints_of_one_transaction(bot: Bot) -> None:
    db, at = bot.db, bot.clock.now()
    with transactions(db) as seen:
        async with db.batch():
            async with db.unit_of_work() as uow:
                assert await uow.inbound.remember(platform="t", message_id="1", at=at)
            with pytest.raises(ZeroDivisionError):
                async with db.unit_of_work() as uow:
                    assert await uow.inbound.remember(platform="t", message_id="2", at=at)
                    raise ZeroDivisionError  # this unit of work alone is rolled back
            async with db.unit_of_work() as uow:
                assert await uow.inbound.remember(platform="t", message_id="3", at=at)
                assert not await uow.inbound.remember(platform="t", message_id="1", at=at)
    assert seen == {"begin": 1, "savepoint": 3}
    # a batch that fails keeps nothing of it
    with pytest.raises(RuntimeError):
        async with db.batch():
            async with db.unit_of_work() as uow:
                assert await uow.inbound.remember(platform="t", message_id="4", at=at)
            raise RuntimeError("the database refused")
    async with db.unit_of_work() as uow:
        kept = await uow.conn.scalars(
            sa.select(inbound.c.message_id).where(inbound.c.platform == "t")
        )
        assert sorted(kept) == ["1", "3"]


async def test_a_change_of_the_directory_in_a_batch_is_committed_at_once(bot: Bot) -> None:
    """The next message's view of the directory (kept process-wide, by version) must never
    be one a rolled-back batch could undo."""
    db, at = bot.db, bot.clock.now()
    with transactions(db) as seen:
        async with db.batch():
            async with db.unit_of_work() as uow:
                await uow.directory.changed()  # an admin's change: the version bumped
            async with db.unit_of_work() as uow:  # a transaction of its own from here
                assert await uow.inbound.remember(platform="t", message_id="1", at=at)
            async with db.unit_of_work() as uow:
                assert await uow.inbound.remember(platform="t", message_id="2", at=at)
    assert seen == {"begin": 2, "savepoint": 3}


async def test_another_task_has_a_transaction_of_its_own_during_a_batch(bot: Bot) -> None:
    """The sender, say, while a batch is being handled: not inside the batch (it would see,
    and commit or lose, the batch's work), but in a transaction of its own."""
    db, at = bot.db, bot.clock.now()
    inside = asyncio.Event()
    done: list[str] = []

    async def other() -> None:
        await inside.wait()
        async with db.unit_of_work() as uow:
            await uow.inbound.remember(platform="t", message_id="other", at=at)
        done.append("other")

    task = asyncio.create_task(other())
    with transactions(db) as seen:
        async with db.batch():
            async with db.unit_of_work() as uow:
                await uow.inbound.remember(platform="t", message_id="batch", at=at)
            inside.set()
            for _ in range(5):
                await asyncio.sleep(0)
            done.append("batch")
        await task
    assert seen["begin"] == 2 and seen["savepoint"] == 1
    if db.engine.dialect.name == "sqlite":
        assert done == ["batch", "other"]  # its turn on the file came after the batch's
    async with db.unit_of_work() as uow:
        kept = await uow.conn.scalars(
            sa.select(inbound.c.message_id).where(inbound.c.platform == "t")
        )
        assert sorted(kept) == ["batch", "other"]


async def test_a_batch_on_sqlite_lets_a_waiting_task_go_first_between_units_of_work(
    bot: Bot, backend: str
) -> None:
    """Fairness to the sender: a batch holds SQLite's file for one message at a time while
    someone else waits, committing what it has done, and then goes on."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no turns on a file: the other task does not wait")
    db, at = bot.db, bot.clock.now()
    db.give_way_after = 0  # at once (20 ms in `linli run`: see the test below)
    order: list[str] = []
    waiting = asyncio.Event()

    async def other() -> None:
        waiting.set()
        async with db.unit_of_work() as uow:
            # it sees what the batch did before it
            assert not await uow.inbound.remember(platform="t", message_id="1", at=at)
            order.append("other")

    with transactions(db) as seen:
        async with db.batch():
            async with db.unit_of_work() as uow:
                await uow.inbound.remember(platform="t", message_id="1", at=at)
                order.append("1")
            task = asyncio.create_task(other())
            await waiting.wait()  # waiting for the file now
            async with db.unit_of_work() as uow:
                await uow.inbound.remember(platform="t", message_id="2", at=at)
                order.append("2")
            async with db.unit_of_work() as uow:  # nobody waits: the same transaction
                await uow.inbound.remember(platform="t", message_id="3", at=at)
                order.append("3")
        await task
    assert order == ["1", "other", "2", "3"]
    assert seen == {"begin": 3, "savepoint": 3}  # the batch's two and the other's


async def test_a_batch_keeps_the_file_for_its_slice_while_another_task_waits(
    bot: Bot, backend: str
) -> None:
    """Within its slice (`give_way_after`) a batch does not give way: the waiting task goes
    when the slice is over or the batch ends — here the batch's three messages are one
    transaction, and the other task's comes after."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no turns on a file: the other task does not wait")
    db, at = bot.db, bot.clock.now()
    db.give_way_after = 3600  # longer than the test
    order: list[str] = []
    waiting = asyncio.Event()

    async def other() -> None:
        waiting.set()
        async with db.unit_of_work() as uow:
            await uow.inbound.remember(platform="t", message_id="other", at=at)
            order.append("other")

    with transactions(db) as seen:
        async with db.batch():
            task = asyncio.create_task(other())
            await waiting.wait()  # waiting for the file
            for n in "123":
                async with db.unit_of_work() as uow:
                    await uow.inbound.remember(platform="t", message_id=n, at=at)
                    order.append(n)
        await task
    assert order == ["1", "2", "3", "other"]
    assert seen == {"begin": 2, "savepoint": 3}  # the batch's one and the other's


def fragile_command(broken: list[bool]) -> Command:
    """A feature with a bug (while `broken` holds True): it writes, then fails."""

    async def fragile(ctx: Context, args: str) -> None:
        await ctx.reply(f"好的：{args}")
        if broken[0]:
            raise ZeroDivisionError("division by zero")

    return Command("fragile", ("试试",), (), fragile, "", "试试 …")


async def test_a_message_failing_in_its_handler_is_set_aside_and_the_rest_of_the_batch_kept(
    bot: Bot,
) -> None:
    bot.app.registry.add(fragile_command([True]))
    at = bot.clock.now()
    batch = [incoming(f"居民{i}", text, at=at) for i, (_, text) in enumerate(REPORTS)]
    batch.insert(2, incoming("王辉", "试试 第一次", at=at))
    with transactions(bot.db) as seen:
        await bot.app.handle_batch(batch)
    assert seen["begin"] == 1 and seen["savepoint"] >= len(batch)  # one commit for six
    said = await bot.flush()
    async with bot.db.unit_of_work() as uow:
        filed = await uow.conn.scalars(sa.select(reports.c.building).order_by(reports.c.id))
        assert list(filed) == [b for b, _ in REPORTS]
        [letter] = (await uow.conn.execute(sa.select(dead_letters))).all()
    assert letter.stage == "handler" and letter.ref == batch[2].message_id
    assert "ZeroDivisionError" in letter.reason
    # what the failing handler said before failing is gone with it; the resident is told
    out = "\n".join(s.text for s in said)
    assert texts.APOLOGY in out and "好的：第一次" not in out
    assert out.count("已收到隐患上报") == len(REPORTS)


# --- the Telegram adapter: one getUpdates answer, one transaction -----------------------------


def count(db: Path, table: str) -> int:
    """Read beside the bot: only what is committed."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def alerts(fake: FakeBotApi, worker: int) -> list[str]:
    return [
        c.params["text"].split("】")[0]
        for c in fake.delivered()
        if c.params["chat_id"] == worker and "隐患上报" in c.params["text"]
    ]


async def test_a_getupdates_answer_is_one_transaction_and_a_bad_message_is_set_aside_alone(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    async with running(tmp_path, fake, clock, batch=True) as tg:
        tg.app.registry.add(fragile_command([True]))
        polls: list[str] = []

        def began(*_: Any) -> None:
            task = asyncio.current_task()
            polls.append(task.get_name() if task else "")

        sa.event.listen(tg.app.db.engine.sync_engine, "begin", began)
        ids = [
            tg.fake.push_message(GROUP, 500 + i, f"居民{i}", t) for i, (_, t) in enumerate(REPORTS)
        ]
        ids.append(tg.fake.push_message(GROUP, 201, "王辉", "试试 第一次"))
        ids += [tg.fake.push_message(GROUP, 510, "居民10", "上报 7栋 消防通道被堵")]
        await until(lambda: fake.confirmed > max(ids))  # stored, then confirmed
        await tg.app.sender.drain()
        assert polls.count("telegram-poll") == 1  # seven messages, one transaction
        db = Path(tg.app.db.engine.url.database or "")
        assert count(db, "reports") == len(REPORTS) + 1
        assert count(db, "dead_letters") == 1
        assert count(db, "inbound") == len(ids)
        for worker in (LINA, CHENGANG):
            expected = [
                f"【隐患上报 H{n + 1}" for n, (b, _) in enumerate(REPORTS) if WORKER[b] == worker
            ]
            assert alerts(fake, worker)[: len(expected)] == expected
        group = [c.params["text"] for c in fake.to_chat(GROUP)]
        assert texts.APOLOGY in "\n".join(group) and "好的：第一次" not in "\n".join(group)


async def test_a_crash_before_the_batch_commits_loses_nothing(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    reached, release = asyncio.Event(), asyncio.Event()

    async def hold(ctx: Context, args: str) -> None:  # the bot stops while this one runs
        reached.set()
        await release.wait()
        await ctx.reply("等到了")

    holding = Command("hold", ("稍等",), (), hold, "", "稍等")
    async with running(tmp_path, fake, clock, batch=True) as tg:
        tg.app.registry.add(holding)
        db = Path(tg.app.db.engine.url.database or "")
        first = [
            tg.fake.push_message(GROUP, 500 + i, f"居民{i}", t)
            for i, (_, t) in enumerate(REPORTS[:3])
        ]
        tg.fake.push_message(GROUP, 201, "王辉", "稍等 一下")
        last = [
            tg.fake.push_message(GROUP, 503 + i, f"居民{3 + i}", t)
            for i, (_, t) in enumerate(REPORTS[3:])
        ]
        await until(reached.is_set)
        # three reports handled in the open transaction: nothing of it is committed
        assert count(db, "reports") == 0 and count(db, "inbound") == 0
    # stopped mid-batch (the poller cancelled, the transaction rolled back): not confirmed
    assert fake.confirmed <= min(first)
    assert count(db, "reports") == 0 and count(db, "inbound") == 0 and count(db, "outbox") == 0

    release.set()
    async with running(tmp_path, fake, clock, batch=True) as tg:
        tg.app.registry.add(holding)
        await until(lambda: fake.confirmed > max(last))  # the same updates, fetched again
        await tg.app.sender.drain()
        assert count(db, "reports") == len(REPORTS)  # each once
        for worker in (LINA, CHENGANG):
            expected = [
                f"【隐患上报 H{n + 1}" for n, (b, _) in enumerate(REPORTS) if WORKER[b] == worker
            ]
            assert alerts(fake, worker) == expected


async def test_the_loop_turns_between_the_messages_of_a_batch(bot: Bot) -> None:
    """On SQLite a message's statements run on the loop's thread without giving it away: a
    batch lets the loop turn before each message, so sends, polls and the sweep go on during
    a burst instead of waiting for the whole getUpdates answer."""
    turns = 0
    on = True

    def tick() -> None:
        nonlocal turns
        if on:
            turns += 1
            asyncio.get_running_loop().call_soon(tick)

    seen: list[int] = []

    async def note(ctx: Context, args: str) -> None:  # how far the loop had turned
        seen.append(turns)

    bot.app.registry.add(Command("note", ("记一下",), (), note, "", "记一下"))
    at = bot.clock.now()
    batch = [incoming(f"居民{i}", f"记一下 {i}", at=at) for i in range(20)]
    asyncio.get_running_loop().call_soon(tick)
    await bot.app.handle_batch(batch)
    on = False
    assert len(seen) == len(batch)
    assert all(later > earlier for earlier, later in itertools.pairwise(seen)), seen
