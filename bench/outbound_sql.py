"""Statements and transactions per delivered outbox row while the outbox drains, counted
with SQLAlchemy's cursor and begin events (the reports are all stored first, the adapter
stops polling, so only the sender's work is counted): for one report (its group answer and
its worker alert) and for the 200-report burst of bench/outbound.py `burst`."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from typing import Any

from sqlalchemy import event

from bench.outbound import SHANGHAI, _world
from handlers.clock import ManualClock
from tests.fake_telegram import FakeBotApi


async def counted(reports: int) -> dict[str, Any]:
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))
    fake = FakeBotApi(now=clock.now, enforce_limits=True)
    await fake.start()
    counts = {"statements": 0, "transactions": 0}
    on = [False]  # counting the sender only, not this script's look at the backlog
    with tempfile.TemporaryDirectory() as tmp:
        db, app, adapter = await _world(tmp, fake, clock)
        for i in range(reports):
            fake.push_message(-1001, 5000 + i, f"居民{i}", f"上报 {1 + i % 4}栋 问题{i}")
        while True:
            async with db.unit_of_work() as uow:
                if await uow.outbox.count(status="pending") >= 2 * reports:
                    break
            await asyncio.sleep(0.05)
        await adapter.stop()  # every update confirmed: no more polling while counting
        engine = db.engine.sync_engine

        def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not statement.startswith("BEGIN"):  # a transaction's own BEGIN is not counted
                counts["statements"] += on[0]

        def on_begin(*_args: Any) -> None:
            counts["transactions"] += on[0]

        await adapter.start()
        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "begin", on_begin)
        while True:
            async with db.unit_of_work() as uow:
                if not await uow.outbox.count(status="pending"):
                    break
            on[0] = True
            await app.sender.drain()
            on[0] = False
            ready = app.sender.next_ready
            if ready is not None and ready > clock.now():
                clock.advance(ready - clock.now())
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)
        async with db.unit_of_work() as uow:
            delivered = await uow.outbox.count(status="sent")
        await adapter.stop()
        await db.close()
    await fake.stop()
    group = fake.to_chat(-1001)
    return {
        "rows_delivered": delivered,
        "statements": counts["statements"],
        "transactions": counts["transactions"],
        "statements_per_row": round(counts["statements"] / delivered, 2),
        "transactions_per_row": round(counts["transactions"] / delivered, 2),
        "group_messages": len([c for c in group if "_result" in c.params]),
        "answers_429": len([c for c in fake.sent() if "_result" not in c.params]),
    }


async def main() -> dict[str, Any]:
    return {"one_report": await counted(1), "burst_200_reports": await counted(200)}


if __name__ == "__main__":
    for key, value in asyncio.run(main()).items():
        print(f"{key:18} " + "  ".join(f"{k}={v}" for k, v in value.items()))
