"""Outbound through the real Telegram adapter against a fake Bot API that enforces
Telegram's limits; the pacing runs on a hand-moved clock, so the figures are exact."""

from __future__ import annotations

import asyncio
import math
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.adapters.telegram import MenuEntry, TelegramAdapter
from bot.app import App
from handlers.clock import ManualClock
from storage import Database
from tests.fake_telegram import FakeBotApi
from tests.fakes import config_from, example_raw

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _world(
    tmp: str, fake: FakeBotApi, clock: ManualClock
) -> tuple[Database, App, TelegramAdapter]:
    raw = example_raw()
    for i, person in enumerate(raw["people"]):  # everyone reachable on Telegram
        person["accounts"] = [f"telegram:{100 + i}"]
    raw["telegram"] = {"enabled": True, "token": "123:BENCH", "base_url": fake.base_url}
    raw["groups"] = [{"name": "业主群", "platform": "telegram", "chat_id": "-1001"}]  # served
    cfg = config_from(raw, Path(tmp) / "out.db")
    db = Database(cfg.storage.url)
    await db.migrate()
    adapters: dict[str, Any] = {}
    app = App(cfg, db, clock, adapters, platforms=("telegram",))
    await app.start()
    adapter = TelegramAdapter(
        cfg.telegram, app.handle, menu=[MenuEntry("help", "帮助", "help")], poll_timeout=1
    )
    adapters["telegram"] = adapter
    await adapter.start()
    return db, app, adapter


async def _drain(app: App, clock: ManualClock) -> None:
    while True:
        async with app.db.unit_of_work() as uow:
            if not await uow.outbox.count(status="pending"):
                return
        await app.sender.drain()
        ready = app.sender.next_ready
        if ready is not None and ready > clock.now():
            clock.advance(ready - clock.now())


async def paced() -> dict[str, Any]:
    """600 alerts to 30 private chats and 200 notices to 10 groups."""
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))
    fake = FakeBotApi(now=clock.now, enforce_limits=True)
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        db, app, adapter = await _world(tmp, fake, clock)
        async with db.unit_of_work() as uow:
            for i in range(600):
                await uow.outbox.enqueue(
                    platform="telegram",
                    chat_id=str(1000 + i % 30),
                    is_group=False,
                    text=f"alert {i}",
                    buttons=[("接单", f"接单 H{i}")],
                    photo=None,
                    mention=None,
                    person_id=None,
                    at=clock.now(),
                )
            for i in range(200):
                await uow.outbox.enqueue(
                    platform="telegram",
                    chat_id=str(-100 - i % 10),
                    is_group=True,
                    text=f"notice {i}",
                    buttons=[("报名", f"报名 E{i}")],
                    photo=None,
                    mention=None,
                    person_id=None,
                    at=clock.now(),
                )
        start = clock.now()
        await _drain(app, clock)
        took = (clock.now() - start).total_seconds()
        await adapter.stop()
        await db.close()
    await fake.stop()
    sends = [c for c in fake.calls if c.method == "sendMessage"]
    refused = [c for c in sends if "_result" not in c.params]
    minimum = (math.ceil(800 / 30) - 1) * 1.0  # the overall limit of 30 a second binds
    return {
        "messages": 800,
        "simulated_seconds": round(took, 2),
        "theoretical_minimum_seconds": minimum,
        "over_minimum_percent": round(100 * (took - minimum) / minimum, 1),
        "answers_429": len(refused),
    }


async def burst() -> dict[str, Any]:
    """200 reports into one group: every worker alert, and how many group messages."""
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))
    fake = FakeBotApi(now=clock.now, enforce_limits=True)
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        db, app, adapter = await _world(tmp, fake, clock)
        for i in range(200):
            fake.push_message(-1001, 5000 + i, f"居民{i}", f"上报 {1 + i % 4}栋 问题{i}")
        while True:
            async with db.unit_of_work() as uow:
                if (
                    len(
                        await uow.reports.received_between(
                            start=datetime(2000, 1, 1, tzinfo=SHANGHAI),
                            end=datetime(2100, 1, 1, tzinfo=SHANGHAI),
                        )
                    )
                    >= 200
                ):
                    break
            await asyncio.sleep(0.05)
        start = clock.now()
        await _drain(app, clock)
        took = (clock.now() - start).total_seconds()
        await adapter.stop()
        await db.close()
    await fake.stop()
    alerts = [
        c for c in fake.sent() if str(c.params["chat_id"]) != "-1001" and "_result" in c.params
    ]
    group = [c for c in fake.to_chat(-1001) if "_result" in c.params]
    return {
        "reports": 200,
        "alerts_delivered": len(alerts),
        "simulated_seconds_to_last_alert": round(took, 1),
        "group_messages": len(group),
    }
