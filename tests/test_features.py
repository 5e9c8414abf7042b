"""Feature manifests and idling: every command comes from one manifest, a shared verb goes to
the feature that owns the number, and an idle sweep or sender touches no database."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import bot.app as app_module
from bot.app import DUE, FEATURES, build_registry
from bot.scheduler import DueSweep, seconds_until
from bot.sender import Sender
from handlers.context import Context
from handlers.feature import Due
from handlers.registry import Command, Registry
from storage.outbox import PENDING
from storage.schema import outbox
from tests.fakes import Bot, incoming, until


def test_every_command_and_due_job_comes_from_a_feature_manifest(bot: Bot) -> None:
    registry = build_registry(bot.app.settings)
    declared = [c.name for f in FEATURES for c in f.commands]
    assert [c.name for c in registry.commands] == [*declared, "help"]
    # a due job and its next moment are declared together: none without the other
    assert [d.name for d in DUE] == [
        "report_due",
        "post_due_notices",
        "send_cutoff_summaries",
        "remind",
        "monthly_report",
        "monday_duty",
        "meal_welfare",
        "chase_orders",
        "close_due",
        "apply_retention",
    ]


def _registry(seen: list[Any]) -> Registry:
    async def ticket(_ctx: Context, args: str) -> None:
        seen.append(("H", args))

    async def order(_ctx: Context, number: int, rest: str) -> None:
        seen.append(("S", number, rest))

    registry = Registry(["小区助手"])
    registry.add(
        Command(
            name="acknowledge",
            keywords=("接单",),
            slash=("ack",),
            handler=ticket,
            summary="",
            usage="",
        )
    )
    registry.add_verbs("S", {"接单": order})
    return registry


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("接单 S3 已上门", ("S", 3, "已上门")),
        ("接单 s3", ("S", 3, "")),
        ("/ack S3", ("S", 3, "")),
        ("接单 ｓ３", ("S", 3, "")),  # full-width, as typed on a phone
        ("接单 H3", ("H", "H3")),
        ("接单 3", ("H", "3")),
        ("接单 S3x", ("H", "S3x")),  # not an S-number: the verb's own handler says how
        ("接单 J3", ("H", "J3")),  # no feature gave 接单 a meaning for J-numbers
    ],
)
async def test_a_shared_verb_goes_to_the_feature_that_owns_the_number(
    text: str, expected: tuple[Any, ...]
) -> None:
    seen: list[Any] = []
    match = _registry(seen).match(text)
    assert match is not None and match.command is not None
    handler = match.handler or match.command.handler
    await handler(cast(Context, None), match.args)  # neither handler looks at the context
    assert seen == [expected]


def test_a_verb_no_command_has_or_given_twice_fails_at_start() -> None:
    registry = _registry([])

    async def order(_ctx: Context, _number: int, _rest: str) -> None:
        return None

    with pytest.raises(ValueError, match="no command"):
        registry.add_verbs("S", {"派单": order})
    with pytest.raises(ValueError, match="twice"):
        registry.add_verbs("s", {"接单": order})


def test_the_sweep_sleeps_until_the_next_due_moment_and_at_most_a_resync() -> None:
    now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert seconds_until(now + timedelta(seconds=90), now, resync=300) == 90
    assert seconds_until(now + timedelta(hours=2), now, resync=300) == 300
    assert seconds_until(None, now, resync=300) == 300
    assert seconds_until(now - timedelta(seconds=5), now, resync=300) == 0  # late: at once


async def test_an_idle_sweep_touches_no_database_until_a_message_wakes_it(bot: Bot) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with DueSweep(bot.app, settle=0) as sweep:
            await sweep.sleeping.wait()
            statements.clear()
            for _ in range(100):  # the event loop turns; nothing is due
                await asyncio.sleep(0)
            assert statements == []
            looks = sweep.looks
            await bot.say("王辉", "上报 3栋 楼道飞线充电")  # sets H1's deadline
            # woken by the message, it looked again (perhaps before the message's answers
            # were delivered), and sleeps until the deadline
            await until(lambda: sweep.looks > looks and sweep.sleeping.is_set())
            async with bot.db.unit_of_work() as uow:
                report = await uow.reports.get(report_id=1)
            assert sweep.next_at == report.ack_due
            statements.clear()
            for _ in range(100):
                await asyncio.sleep(0)
            assert statements == []
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", count)


async def test_an_idle_sender_neither_beats_nor_looks_until_something_is_queued(bot: Bot) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    # beats every millisecond while it has anything to send (as every second in `linli run`)
    sender = Sender(
        bot.db, bot.clock, bot.app.adapters, heartbeat_seconds=0.001, idle_look_seconds=3600
    )
    running = asyncio.create_task(sender.run())
    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await until(lambda: sender.idle)  # its first look found the outbox empty
        # and the beat loop has seen it and rests (a beat begun before may still have been
        # running: with aiosqlite its statements take turns with the loop)
        await until(lambda: sender.resting)
        statements.clear()
        for _ in range(50):  # fifty heartbeat periods go by
            await asyncio.sleep(0.001)
        assert statements == []
        await bot.app.handle(incoming("王辉", "帮助", at=bot.clock.now(), private=True))
        sender.wake()  # as the app wakes its own sender
        await until(lambda: len(bot.adapter.sent) == 1)
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", count)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_a_send_ending_with_nothing_behind_it_is_recorded_without_a_look(bot: Bot) -> None:
    """The sender looks at the outbox when something is queued, not after every send: a send
    whose chat has nothing behind it is only marked sent. A chat with rows behind its send
    goes on as soon as the send ends (its heartbeat and idle look are an hour away here, so
    nothing but the send's end can move it)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    sender = Sender(
        bot.db, bot.clock, bot.app.adapters, heartbeat_seconds=3600, idle_look_seconds=3600
    )

    async def queue(n: int, chat: str) -> None:
        async with bot.db.unit_of_work() as uow:
            for i in range(n):
                await uow.outbox.enqueue(
                    platform="console",
                    chat_id=chat,
                    is_group=False,
                    text=f"第{i}条",
                    buttons=(),
                    photo=None,
                    mention=None,
                    person_id=None,
                    at=bot.clock.now(),
                )
        sender.wake()  # as the app wakes its own sender

    async def pending() -> int:
        async with bot.db.unit_of_work() as uow:
            found = await uow.conn.scalar(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.status == PENDING)
            )
        return int(found or 0)

    running = asyncio.create_task(sender.run())
    event.listen(bot.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await until(lambda: sender.idle)
        statements.clear()
        await queue(1, "p1")
        await until(lambda: len(bot.adapter.sent) == 1 and not sender._inflight)
        await until(lambda: any(s.startswith("UPDATE outbox SET status") for s in statements))
        looks = [s for s in statements if s.startswith("SELECT min(outbox.not_before)")]
        assert len(looks) == 1  # the look the queuing woke; the send's end only recorded
        assert await pending() == 0
        # 20 rows to one chat: a run takes 8 (CHAT_RUN) at a time; each run's end goes on
        await queue(20, "p2")
        await until(lambda: len(bot.adapter.sent) == 21)
        assert [m.text for m in bot.adapter.sent[1:]] == [f"第{i}条" for i in range(20)]
        await until(lambda: not sender._inflight)
        assert await pending() == 0
    finally:
        event.remove(bot.db.engine.sync_engine, "before_cursor_execute", count)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


class Broken(Exception):
    pass


async def test_a_failing_due_job_loses_no_other_jobs_work_and_is_raised(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The due jobs run in one transaction, a savepoint each: a job that fails is rolled back
    alone, those after it still run, what they did is committed, and the failure is raised."""
    await bot.say("王辉", "上报 3栋 楼道飞线充电")  # H1, unacknowledged
    await bot.flush()

    async def broken(ctx: Context) -> int:
        await ctx.uow.reports.add_event(
            report_id=1, kind="note", actor_id=None, at=ctx.now, note="never kept"
        )
        raise Broken

    async def never(ctx: Context) -> None:
        return None

    monkeypatch.setattr(app_module, "DUE", (Due(broken, never), *app_module.DUE))
    bot.clock.advance(timedelta(hours=2))  # past H1's deadline: the escalation falls due
    with pytest.raises(Broken):
        await bot.app.run_due()
    async with bot.db.unit_of_work() as uow:
        kinds = [e.kind for e in await uow.reports.events(report_id=1)]
        assert "note" not in kinds  # the broken job's write rolled back
        assert (await uow.reports.get(report_id=1)).level == 1  # the escalation kept
    said = await bot.flush()
    assert said  # and told
