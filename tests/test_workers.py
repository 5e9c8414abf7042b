"""Several bot workers on one database: every outbox row once, every occurrence once, every
escalation once; a killed worker's claims taken over after the lease."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from storage.outbox import PENDING, Delivery
from tests.fakes import Bot, incoming

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
        shared: list[Delivery] = []  # every worker's sends, in the order they happened
        for b in bots:
            b.adapter.sent = shared
        # the work is shared: while worker 0 is held inside its first send, worker 1
        # delivers the other chats' messages (not the held chat's: its head is claimed)
        entered, release = asyncio.Event(), asyncio.Event()
        first_send = bots[0].adapter.send

        held: list[Delivery] = []

        async def held_send(delivery: Delivery) -> None:
            held.append(delivery)
            entered.set()
            await release.wait()
            await first_send(delivery)

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
        sent = Counter(d.id for d in shared)
        assert len(sent) == 300 and set(sent.values()) == {1}
        for chat in range(40):  # and each chat's messages went out in order
            ids = [d.id for d in shared if d.chat_id == f"chat{chat}"]
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
