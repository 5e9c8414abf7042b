"""Several bot workers on one database: every outbox row once, every occurrence once, every
escalation once; a killed worker's claims taken over after the lease."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from bot.adapters.base import Outbound
from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from storage.db import MIGRATIONS
from storage.outbox import PENDING
from tests.fakes import Bot, Said, incoming

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


@contextlib.asynccontextmanager
async def workers(cfg: Config, clock: ManualClock, n: int) -> AsyncIterator[list[Bot]]:
    """`n` bots, each with its own engine and connection pool, on one database."""
    async with contextlib.AsyncExitStack() as stack:
        bots = []
        for _ in range(n):
            db = await stack.enter_async_context(Database(cfg.storage.url))
            bot = Bot(cfg, clock, db)
            await bot.app.start()
            bots.append(bot)
        yield bots


async def pending(bot: Bot) -> int:
    async with bot.db.unit_of_work() as uow:
        return await uow.outbox.count(status=PENDING)


@pytest.mark.parametrize("n", [2, 4])
async def test_every_outbox_row_is_sent_once(cfg: Config, clock: ManualClock, n: int) -> None:
    async with workers(cfg, clock, n) as bots:
        async with bots[0].db.unit_of_work() as uow:
            for i in range(300):
                await uow.outbox.enqueue(
                    platform="console",
                    chat_id=f"chat{i % 40}",
                    is_group=False,
                    text=f"alert {i}",
                    buttons=[("接单", f"接单 H{i}")],
                    photo=None,
                    mention=None,
                    person_id=None,
                    at=clock.now(),
                )
        shared: list[Outbound] = []  # every worker's sends, in the order they happened
        for b in bots:
            b.adapter.sent = shared
        # the work is shared: while worker 0 is held inside its first send, worker 1
        # delivers the other chats' messages (not the held chat's: its head is claimed)
        entered, release = asyncio.Event(), asyncio.Event()
        first_send = bots[0].adapter.send

        held: list[Outbound] = []

        async def held_send(message: Outbound) -> None:
            held.append(message)
            entered.set()
            await release.wait()
            await first_send(message)

        bots[0].adapter.send = held_send  # type: ignore[method-assign]
        worker0 = asyncio.create_task(bots[0].app.sender.deliver_due())
        await entered.wait()
        assert await bots[1].app.sender.drain() > 0
        assert shared and all(d.chat_id != held[0].chat_id for d in shared)
        bots[0].adapter.send = first_send  # type: ignore[method-assign]
        release.set()
        await worker0
        # then all of them at once until the outbox is empty
        while await pending(bots[0]):
            await asyncio.gather(*(b.app.sender.drain() for b in bots))
        sent = Counter(int(d.text.removeprefix("alert ")) for d in shared)
        assert len(sent) == 300 and set(sent.values()) == {1}
        for chat in range(40):  # and each chat's messages went out in order
            ids = [int(d.text.removeprefix("alert ")) for d in shared if d.chat_id == f"chat{chat}"]
            assert ids == sorted(ids)


async def test_every_occurrence_and_escalation_once(cfg: Config, clock: ManualClock) -> None:
    async with workers(cfg, clock, 4) as bots:
        await bots[0].dm("朱东", "通知 每天 10:00 只发一次")
        await bots[1].say("王辉", "上报 3栋 楼道飞线充电")
        clock.advance(timedelta(hours=1))  # 10:00: the notice, and H1's deadline has passed
        await asyncio.gather(*(b.app.run_due() for b in bots))
        async with bots[0].db.unit_of_work() as uow:
            events = [e.kind for e in await uow.reports.events(report_id=1)]
            notices = await uow.notices.occurrences(notice_id=1)
        assert events.count("escalated") == 1
        assert len(notices) == 1
        await bots[2].flush()
        to_zhang = [d for d in bots[2].adapter.sent if d.chat_id == "张正芳"]
        assert len([d for d in to_zhang if "超时未接单 H1" in d.text]) == 1
        assert [d.text for d in bots[2].adapter.sent if d.is_group][-1].endswith("只发一次")


async def test_a_killed_workers_claims_are_taken_over_after_the_lease(
    cfg: Config, clock: ManualClock
) -> None:
    async with workers(cfg, clock, 2) as (dead, alive):
        await dead.app.handle(incoming("王辉", "上报 3栋 楼道飞线充电", at=clock.now()))
        async with dead.db.unit_of_work() as uow:
            heads = await uow.outbox.due(now=clock.now(), platforms=["console"], limit=10)
            got = await uow.outbox.claim(
                ids=[h.id for h in heads],
                worker="killed",
                now=clock.now(),
                until=clock.now() + timedelta(seconds=60),
            )
        assert len(got) == 2  # then the worker is killed before sending
        assert await alive.flush() == []
        clock.advance(timedelta(seconds=59))
        assert await alive.flush() == []
        clock.advance(timedelta(seconds=2))
        said = await alive.flush()
        assert {s.where for s in said} == {"群", "李娜"}
        assert await pending(alive) == 0


async def test_a_message_received_by_two_workers_is_handled_once(
    cfg: Config, clock: ManualClock
) -> None:
    async with workers(cfg, clock, 2) as (a, b):
        msg = incoming("王辉", "上报 3栋 楼道飞线充电", at=clock.now(), message_id="tg-1")
        handled = await asyncio.gather(a.app.handle(msg), b.app.handle(msg))
        assert sorted(handled) == [False, True]
        async with a.db.unit_of_work() as uow:
            assert len(await uow.reports.active_of_reporter(person_id=1)) == 1


# --- workers started at the same instant on an empty database ----------------------------------

START_WORKER = """
import asyncio, sys, time
from pathlib import Path
from bot.app import App
from handlers.clock import SystemClock
from storage import Database
from tests.fakes import example_config

async def main(url: str, at: float) -> None:
    cfg = example_config(Path("unused.db"))
    cfg = cfg.model_copy(update={"storage": cfg.storage.model_copy(update={"url": url})})
    time.sleep(max(0.0, at - time.time()))  # every worker starts at this instant
    async with Database(url) as db:
        await App(cfg, db, SystemClock(), {}, platforms=("console",)).start()

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
"""


@pytest.mark.slow
async def test_workers_started_at_the_same_instant_on_an_empty_database(
    cfg: Config, tmp_path: Path
) -> None:
    """Each migrates and seeds at start: one does it under a lock, the others wait and go on."""
    n = 4
    at = time.time() + 4.0  # after every interpreter has imported the bot
    logs = [tmp_path / f"worker{i}.log" for i in range(n)]
    procs = []
    for log in logs:
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", START_WORKER, cfg.storage.url, str(at)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=Path(__file__).parent.parent,
                )
            )
    codes = [p.wait(timeout=180) for p in procs]
    assert codes == [0] * n, "\n".join(log.read_text() for log in logs)
    async with Database(cfg.storage.url) as db, db.unit_of_work() as uow:
        version = await uow.conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        named = await uow.conn.scalar(sa.text("SELECT count(*) FROM people"))
    assert [version] == ScriptDirectory(str(MIGRATIONS)).get_heads()  # the newest
    assert named == len(cfg.people)  # seeded once, not once per worker


async def test_many_workers_merging_into_the_same_group_never_stall(
    cfg: Config, clock: ManualClock
) -> None:
    """Group answers queue up while four workers deliver: each worker merges only rows
    nobody holds and frees at once what it claimed and did not send, so the group's queue
    empties without waiting for any lease (the clock never moves here)."""
    async with workers(cfg, clock, 4) as bots:
        shared: list[Outbound] = []
        for b in bots:
            b.adapter.sent = shared

        async def enqueue(start: int, n: int) -> None:
            for i in range(start, start + n):
                async with bots[i % 4].db.unit_of_work() as uow:
                    await uow.outbox.enqueue(
                        platform="console",
                        chat_id=f"group{i % 2}",
                        is_group=True,
                        text=f"已收到隐患上报 H{i}",
                        buttons=[],
                        photo=None,
                        mention=None,
                        person_id=None,
                        at=clock.now(),
                    )

        async def keep_delivering() -> None:
            for _ in range(40):  # rounds of every worker at once, rows arriving meanwhile
                await asyncio.gather(*(b.app.sender.drain() for b in bots))

        await asyncio.gather(enqueue(0, 400), keep_delivering())
        for _ in range(5):
            await asyncio.gather(*(b.app.sender.drain() for b in bots))
        assert await pending(bots[0]) == 0, "rows left held by a live worker"
        numbers = [int(n) for d in shared for p in d.parts for n in re.findall(r"H(\d+)", p.text)]
        assert sorted(numbers) == list(range(400))  # each answer once
        for group in (0, 1):  # in order within each group
            mine = [
                int(n)
                for d in shared
                if d.chat_id == f"group{group}"
                for p in d.parts
                for n in re.findall(r"H(\d+)", p.text)
            ]
            assert mine == sorted(mine)


async def test_a_dead_workers_group_heads_are_taken_over_within_seconds(
    cfg: Config, clock: ManualClock
) -> None:
    """A worker dies in the middle of its sends (its claims stay in the database); the
    live worker frees them once the dead one's heartbeat is a few seconds old, not after
    the claims' lease."""
    async with workers(cfg, clock, 2) as (dead, alive):
        for b in (dead, alive):
            await b.app.sender.heartbeat()
        for text in ("上报 3栋 楼道飞线充电", "上报 5栋 楼道堆物"):
            await dead.app.handle(incoming("王辉", text, at=clock.now()))
        entered, never = asyncio.Event(), asyncio.Event()

        async def hangs(message: Outbound) -> None:
            entered.set()
            await never.wait()

        dead.adapter.send = hangs  # type: ignore[method-assign]
        sending = asyncio.create_task(dead.app.sender.deliver_due())
        await entered.wait()
        await asyncio.sleep(0)  # every chat's head claimed and in flight
        sending.cancel()  # killed: nothing of it runs again, its claims stay
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        async with alive.db.unit_of_work() as uow:
            held = await uow.outbox.claimants(now=clock.now())
        assert held == [dead.app.sender.worker]
        assert await alive.flush() == []  # the group's head and the alerts' are held
        waited = timedelta()
        said: list[Said] = []
        while not said and waited < timedelta(seconds=30):
            clock.advance(timedelta(seconds=1))
            waited += timedelta(seconds=1)
            await alive.app.sender.heartbeat()
            said = await alive.flush()
        assert waited <= timedelta(seconds=10), f"sends resumed only after {waited}"
        assert {s.where for s in said} >= {"群", "李娜"}
        assert await pending(alive) == 0
        async with alive.db.unit_of_work() as uow:  # the dead worker is forgotten
            assert await uow.heartbeats.live(since=clock.now() - timedelta(days=1)) == [
                alive.app.sender.worker
            ]
