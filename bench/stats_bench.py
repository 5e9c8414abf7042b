"""The monthly statistics over a database of many reports."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.probes import LoopLag
from handlers.clock import ManualClock
from handlers.context import Context
from handlers.stats import Month, month_stats
from storage import Database
from tests.fakes import example_config

CATEGORIES = ["飞线充电", "楼道堆物", "电梯故障", "消防通道占用", "其他"]


def _fill(path: Path, n: int) -> None:
    """n reports over the twelve months before December 2026, straight through sqlite3."""
    rng = random.Random(3)
    start = datetime(2025, 12, 1)
    con = sqlite3.connect(path)
    rows = []
    for i in range(n):
        created = start + timedelta(seconds=rng.randrange(365 * 86400))
        acked = created + timedelta(minutes=rng.randrange(5, 90))
        resolved = acked + timedelta(hours=rng.randrange(1, 48))
        status = rng.choice(["resolved", "resolved", "resolved", "acknowledged", "open"])
        rows.append(
            (
                1,
                f"{1 + i % 8}栋",
                1,
                f"问题{i}",
                rng.choice(CATEGORIES),
                0,
                status,
                0,
                "console",
                "group",
                created.isoformat(sep=" "),
                acked.isoformat(sep=" ") if status != "open" else None,
                resolved.isoformat(sep=" ") if status == "resolved" else None,
            )
        )
        if len(rows) == 50_000:
            _insert(con, rows)
            rows = []
    _insert(con, rows)
    con.commit()
    con.close()


def _insert(con: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    con.executemany(
        "INSERT INTO reports (reporter_id, building, known_building, text, category, urgent,"
        " status, level, origin_platform, origin_chat, created_at, acknowledged_at, resolved_at,"
        " resolve_reminded) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
        rows,
    )


async def monthly(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stats.db"
        cfg = example_config(path)
        async with Database(cfg.storage.url) as db:
            from bot.seed import seed_directory

            await seed_directory(db, cfg, at=datetime(2025, 11, 1, tzinfo=UTC))
        t0 = time.perf_counter()
        await asyncio.to_thread(_fill, path, n)
        filled = time.perf_counter() - t0
        async with Database(cfg.storage.url) as db:
            settings = cfg.settings(platforms=("console",))
            clock = ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
            timings = []
            async with LoopLag() as lag:  # how long the query holds the event loop
                for _ in range(3):
                    async with db.unit_of_work() as uow:
                        t0 = time.perf_counter()
                        figures = await month_stats(
                            Context(uow=uow, clock=clock, settings=settings), Month(2026, 11)
                        )
                        timings.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)  # the probe's tick after the last query
    return {
        "reports_in_database": n,
        "reports_in_month": figures.total.received,
        "fill_seconds": round(filled, 1),
        "month_stats_ms": round(1000 * min(timings), 1),
        "loop_stall_max_ms": round(1000 * lag.worst, 1),
        "loop_stall_on_cpu_ms": round(1000 * lag.worst_on_cpu, 1),
    }
