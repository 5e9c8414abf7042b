"""Inbound: messages handled per second, and latency from Incoming to committed outbox rows,
for a realistic mix (70% reports, 20% meal sign-ups, 10% RSVPs) on SQLite; and the cost of
python-telegram-bot's own dispatch of the same number of updates to a no-op handler."""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import App
from handlers.clock import ManualClock
from storage import Database
from tests.fakes import RecordingAdapter, example_config, incoming

SHANGHAI = ZoneInfo("Asia/Shanghai")


def mix(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(sender, text) for n messages: 70% reports, 20% meal sign-ups, 10% RSVPs."""
    out = []
    for i in range(n):
        who = f"居民{i % 500}"
        r = rng.random()
        if r < 0.7:
            out.append((who, f"上报 {1 + i % 8}栋 问题{i}"))  # 其他: never merged as duplicates
        elif r < 0.9:
            out.append((who, "报餐 明天 午餐"))
        else:
            out.append((who, "报名 E1"))
    return out


async def setup(path: Path) -> tuple[Database, App, ManualClock]:
    cfg = example_config(path)
    clock = ManualClock(datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI))
    db = Database(cfg.storage.url)
    await db.migrate()
    app = App(cfg, db, clock, {"console": RecordingAdapter()}, platforms=("console",))
    await app.start()
    await app.handle(
        incoming(
            "朱东", "发起活动 招聘会 12月10日 9:00 广场 限100000人", at=clock.now(), private=True
        )
    )
    return db, app, clock


async def throughput(n: int, batch: int = 1) -> dict[str, Any]:
    """n messages of the mix, one at a time, or `batch` at a time in one transaction (as the
    Telegram adapter hands over a getUpdates answer); a message's latency is until its
    transaction commits."""
    with tempfile.TemporaryDirectory() as tmp:
        db, app, clock = await setup(Path(tmp) / "bench.db")
        messages = mix(n, random.Random(1))
        latencies = []
        start = time.perf_counter()
        for i in range(0, n, batch):
            chunk = [incoming(who, text, at=clock.now()) for who, text in messages[i : i + batch]]
            t0 = time.perf_counter()
            if batch == 1:
                await app.handle(chunk[0])
            else:
                await app.handle_batch(chunk)
            latencies += [time.perf_counter() - t0] * len(chunk)
        elapsed = time.perf_counter() - start
        await db.close()
    latencies.sort()
    return {
        "messages": n,
        "batch": batch,
        "seconds": round(elapsed, 2),
        "per_second": round(n / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[int(0.99 * len(latencies))], 2),
    }


async def offered(rate: float, seconds: float) -> dict[str, Any]:
    """Messages arrive at `rate` a second, each handled as it comes (one at a time, as the
    adapters deliver them); latency includes waiting behind the previous ones."""
    with tempfile.TemporaryDirectory() as tmp:
        db, app, clock = await setup(Path(tmp) / "offered.db")
        messages = mix(int(rate * seconds), random.Random(2))
        lock = asyncio.Lock()
        latencies: list[float] = []

        async def arrive(i: int, who: str, text: str, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            async with lock:
                await app.handle(incoming(who, text, at=clock.now()))
            latencies.append(time.perf_counter() - at)

        begin = time.perf_counter() + 0.2
        await asyncio.gather(
            *(arrive(i, w, t, begin + i / rate) for i, (w, t) in enumerate(messages))
        )
        await db.close()
    latencies.sort()
    return {
        "offered_per_second": rate,
        "messages": len(messages),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[int(0.99 * len(latencies))], 2),
    }


async def ptb_dispatch(n: int) -> dict[str, Any]:
    """python-telegram-bot's Application dispatching n updates to a no-op handler."""
    from telegram import Update
    from telegram.ext import Application, MessageHandler, filters

    from tests.fake_telegram import FakeBotApi

    fake = FakeBotApi()  # initialize() asks getMe: of a local fake, not of Telegram
    await fake.start()
    app = Application.builder().token("123:BENCH").base_url(fake.base_url).updater(None).build()
    await app.initialize()

    async def noop(update: Update, context: Any) -> None:
        return None

    app.add_handler(MessageHandler(filters.ALL, noop))
    bot = app.bot
    updates = [
        Update.de_json(
            {
                "update_id": i,
                "message": {
                    "message_id": i,
                    "date": 0,
                    "chat": {"id": -1, "type": "supergroup", "title": "g"},
                    "from": {"id": 7, "is_bot": False, "first_name": "x"},
                    "text": f"上报 3栋 {i}",
                },
            },
            bot,
        )
        for i in range(n)
    ]
    start = time.perf_counter()
    for update in updates:
        await app.process_update(update)
    elapsed = time.perf_counter() - start
    await app.shutdown()
    await fake.stop()
    return {"updates": n, "seconds": round(elapsed, 3), "per_second": round(n / elapsed, 1)}


async def statements(senders: int = 500) -> dict[str, Any]:
    """SQL statements per handled message, counted at the driver, for the same mix: a
    sender's second message (the first registered them), and the messages after that."""
    from sqlalchemy import event

    with tempfile.TemporaryDirectory() as tmp:
        db, app, clock = await setup(Path(tmp) / "statements.db")
        count = 0

        def counted(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(db.engine.sync_engine, "before_cursor_execute", counted)
        second: list[int] = []
        later: dict[str, list[int]] = {"上报": [], "报餐": [], "报名": []}
        cpu = 0.0
        for i, (who, text) in enumerate(mix(4 * senders, random.Random(3))):
            before, started = count, time.process_time()
            await app.handle(incoming(who, text, at=clock.now()))
            if i >= 2 * senders:
                cpu += time.process_time() - started
                later[text[:2]].append(count - before)
            elif i >= senders:
                second.append(count - before)
        event.remove(db.engine.sync_engine, "before_cursor_execute", counted)
        await db.close()
    every = [c for counts in later.values() for c in counts]
    out: dict[str, Any] = {
        "second_message": round(sum(second) / len(second), 2),
        "later_messages": len(every),
        "per_message": round(sum(every) / len(every), 2),
        "cpu_ms_per_message": round(1000 * cpu / len(every), 2),
    }
    for kind, counts in later.items():
        out[kind] = round(sum(counts) / len(counts), 2)
    return out


if __name__ == "__main__":
    import json
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps(asyncio.run(statements()), ensure_ascii=False))
    print(json.dumps(asyncio.run(throughput(size)), ensure_ascii=False))
