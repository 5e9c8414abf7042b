"""When the sender looks at the outbox again: a row queued or left behind is never left for
the heartbeat's or the idle look's timer. Each test sets both an hour away, so only a send's
end or a wake can move a row (found by a review of the change that stopped looking after
every send)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.adapters.base import Outbound
from bot.sender import Sender
from storage.outbox import OutboxRepository
from tests.fakes import Bot, until


async def queue(bot: Bot, *texts: str) -> None:
    """Rows to private chats, the chat being each text's part before '-'."""
    async with bot.db.unit_of_work() as uow:
        for text in texts:
            await uow.outbox.enqueue(
                platform="console",
                chat_id=text.split("-")[0],
                is_group=False,
                text=text,
                buttons=(),
                photo=None,
                mention=None,
                person_id=None,
                at=bot.clock.now(),
            )


def held(bot: Bot, gate: asyncio.Event, text: str) -> None:
    """The adapter holds the message `text` until `gate` is set."""
    send: Callable[[Outbound], Awaitable[Any]] = bot.adapter.send

    async def slow(message: Outbound) -> Any:
        if message.text == text:
            await gate.wait()
        return await send(message)

    bot.adapter.send = slow  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def running(bot: Bot, **kw: Any) -> AsyncIterator[Sender]:
    sender = Sender(
        bot.db, bot.clock, bot.app.adapters, heartbeat_seconds=3600, idle_look_seconds=3600, **kw
    )
    task = asyncio.create_task(sender.run())
    try:
        await until(lambda: sender.idle)
        yield sender
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def texts(bot: Bot) -> list[str]:
    return [m.text for m in bot.adapter.sent]


async def test_a_row_queued_while_every_send_slot_is_taken_goes_when_one_frees(
    bot: Bot,
) -> None:
    gate = asyncio.Event()
    held(bot, gate, "a-0")
    async with running(bot, concurrency=1) as sender:
        await queue(bot, "a-0")
        sender.wake()
        await until(lambda: ("console", "a") in sender._inflight)
        await queue(bot, "b-0")
        sender.wake()  # the only slot is taken: b waits for a's end
        await until(lambda: not sender._wake.is_set())  # the look ran, and started nothing
        gate.set()
        await until(lambda: texts(bot) == ["a-0", "b-0"])


async def test_a_chat_left_for_want_of_room_goes_after_a_wake_while_full(bot: Bot) -> None:
    gate = asyncio.Event()
    held(bot, gate, "a-0")
    async with running(bot, concurrency=1) as sender:
        await queue(bot, "a-0", "b-0")
        sender.wake()  # a goes, b is left for want of room
        await until(lambda: ("console", "a") in sender._inflight)
        await queue(bot, "c-0")
        sender.wake()
        await until(lambda: not sender._wake.is_set())
        gate.set()
        await until(lambda: sorted(texts(bot)) == ["a-0", "b-0", "c-0"])


async def test_a_send_ending_during_a_look_still_lets_its_chat_go_on(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a's first send ends while the look that its second row woke is reading the due rows
    (before that look knows the chat has a row behind the send)."""
    gate = asyncio.Event()
    held(bot, gate, "a-0")
    due = OutboxRepository.due
    armed = False

    async def slow_due(self: OutboxRepository, **kw: Any) -> Any:
        nonlocal armed
        if armed:
            armed = False
            gate.set()  # a-0's send ends meanwhile
            await until(lambda: bot.adapter.sent != [])
            await asyncio.sleep(0)  # and its done-callback runs
        return await due(self, **kw)

    monkeypatch.setattr(OutboxRepository, "due", slow_due)
    async with running(bot) as sender:
        await queue(bot, "a-0")
        sender.wake()
        await until(lambda: ("console", "a") in sender._inflight)
        armed = True
        await queue(bot, "a-1")
        sender.wake()
        await until(lambda: texts(bot) == ["a-0", "a-1"])
