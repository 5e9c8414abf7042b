"""The outbox and the Sender: nothing lost when a platform fails, retried with backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bot.adapters.base import DeliveryFailed
from bot.backoff import SEND, Backoff
from bot.pacing import Limits, Pacer
from storage.outbox import DEAD, PENDING, SENT
from tests.fakes import Bot

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


async def counts(bot: Bot) -> dict[str, int]:
    async with bot.db.unit_of_work() as uow:
        return {s: await uow.outbox.count(status=s) for s in (PENDING, SENT, DEAD)}


async def test_outage_loses_nothing_and_retries_with_backoff(bot: Bot) -> None:
    bot.adapter.fail_with = DeliveryFailed("HTTP 502")
    assert await bot.say("王辉", "上报 3栋 楼道飞线充电") == []
    assert await counts(bot) == {PENDING: 2, SENT: 0, DEAD: 0}
    # the first failure blocks its chat; the next try waits for the backoff (2 s and jitter)
    calls = bot.adapter.calls
    assert await bot.tick(timedelta(seconds=1)) == []
    assert bot.adapter.calls == calls
    bot.adapter.fail_with = None
    said = await bot.tick(timedelta(seconds=3))
    assert {s.where for s in said} == {"李娜", "群"}
    assert await counts(bot) == {PENDING: 0, SENT: 2, DEAD: 0}


async def test_retry_after_is_honoured(bot: Bot) -> None:
    bot.adapter.fail_with = DeliveryFailed("429", retry_after=30)
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    bot.adapter.fail_with = None
    assert await bot.tick(timedelta(seconds=29)) == []
    assert len(await bot.tick(timedelta(seconds=1))) == 2


async def test_permanent_failure_is_not_retried(bot: Bot) -> None:
    bot.adapter.fail_with = DeliveryFailed("403 blocked", permanent=True)
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    bot.adapter.fail_with = None
    assert await bot.tick(timedelta(minutes=10)) == []  # before any escalation is due
    assert (await counts(bot))[DEAD] == 2


async def test_order_per_chat_is_kept_after_a_failure(bot: Bot) -> None:
    bot.adapter.fail_with = DeliveryFailed("timeout")
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("王辉", "上报 4栋 楼道堆物")
    bot.adapter.fail_with = None
    said = await bot.tick(timedelta(minutes=5))
    # both answers had queued up for the group: they go out as one message, in order
    [group] = [s.text for s in said if s.where == "群"]
    assert group.index("H1") < group.index("H2")


async def test_a_crashing_adapter_does_not_stop_other_chats(bot: Bot) -> None:
    class Boom(Exception):
        pass

    original = bot.adapter.send

    async def flaky(message: object) -> None:
        if getattr(message, "is_group", False):
            raise Boom("bug")
        await original(message)  # type: ignore[arg-type]

    bot.adapter.send = flaky  # type: ignore[method-assign]
    said = await bot.say("王辉", "上报 3栋 楼道飞线充电")
    assert [s.where for s in said] == ["李娜"]
    assert (await counts(bot))[PENDING] == 1


def test_one_backoff_rule_doubles_to_its_cap_and_jitter_only_shortens() -> None:
    steady = Backoff(first=0.5, cap=30.0)
    assert [steady.delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    rng = random.Random(1)
    for failures in range(1, 12):
        base = min(300.0, 2.0 * 2 ** (failures - 1))
        assert 0.75 * base <= SEND.delay(failures, rng) <= base  # the outbox's: 2 s, ≤ 5 min
    waits = {round(Backoff(10, 60, jitter=0.5).delay(3, rng), 3) for _ in range(20)}
    assert len(waits) > 1 and all(20 <= w <= 40 for w in waits)  # spread, never over


def test_a_send_counts_from_its_end_and_one_in_flight_holds_its_place() -> None:
    pacer = Pacer(Limits(private=3, private_window=3.0))
    t0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    slots = [pacer.take("c", False) for _ in range(3)]
    assert pacer.ready_at("c", False, t0) > t0  # three in flight: no fourth
    for i, slot in enumerate(slots):
        pacer.settle(slot, t0 + timedelta(seconds=0.5 * i))  # answered 0, 0.5 and 1 s on
    assert pacer.ready_at("c", False, t0 + timedelta(seconds=1)) == t0 + timedelta(seconds=3)
    pacer.cancel(pacer.take("c", False))  # taken and not sent: no place held
    assert pacer.ready_at("c", False, t0 + timedelta(seconds=3)) == t0 + timedelta(seconds=3)
