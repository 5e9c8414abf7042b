"""The event loop keeps turning while long queries run: SQLite works on aiosqlite's thread,
and the statistics and exports do their heavy Python work off the loop. (The real figure —
the worst stall over a million reports — is measured by bench/stats_bench.py.)"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.seed import seed_directory
from handlers.clock import ManualClock
from handlers.context import Context
from handlers.stats import Month, export_reports, month_stats
from storage import Database
from storage.schema import reports
from tests.conftest import SHANGHAI
from tests.fakes import example_config

REPORTS = 4000
NOVEMBER = Month(2026, 11)


class Ticker:
    """A callback the loop runs at every turn it gets: how many turns, and the longest time
    between two (a stall: nothing else could run)."""

    def __init__(self) -> None:
        self.ticks = 0
        self.worst = 0.0
        self._last = 0.0
        self._on = False

    def __enter__(self) -> Ticker:
        self._on, self._last = True, time.perf_counter()
        asyncio.get_running_loop().call_soon(self._tick)
        return self

    def __exit__(self, *exc: object) -> None:
        self._on = False
        self.worst = max(self.worst, time.perf_counter() - self._last)

    def _tick(self) -> None:
        if not self._on:
            return
        now = time.perf_counter()
        self.worst, self._last = max(self.worst, now - self._last), now
        self.ticks += 1
        asyncio.get_running_loop().call_soon(self._tick)


def november(n: int, reporter: int) -> list[dict[str, Any]]:
    """n reports filed over November 2026, some acknowledged and resolved."""
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=SHANGHAI)
    rows = []
    for i in range(n):
        created = start + timedelta(seconds=rng.randrange(29 * 86400))
        status = rng.choice(["resolved", "resolved", "acknowledged", "open"])
        acked = created + timedelta(minutes=rng.randrange(5, 90))
        rows.append(
            {
                "reporter_id": reporter,
                "building": f"{1 + i % 8}栋",
                "known_building": True,
                "text": f"问题{i}",
                "category": rng.choice(["飞线充电", "楼道堆物", "电梯故障", "其他"]),
                "urgent": False,
                "status": status,
                "level": 0,
                "origin_platform": "console",
                "origin_chat": "group",
                "created_at": created,
                "acknowledged_at": acked if status != "open" else None,
                "resolved_at": acked + timedelta(hours=3) if status == "resolved" else None,
                "resolve_reminded": False,
            }
        )
    return rows


async def test_the_loop_keeps_turning_while_the_monthly_statistics_and_export_run(
    tmp_path: Path,
) -> None:
    cfg = example_config(tmp_path / "stats.db")
    clock = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    settings = cfg.settings(platforms=("console",))
    async with Database(cfg.storage.url) as db:
        await seed_directory(db, cfg, at=clock.now())
        async with db.unit_of_work() as uow:
            [reporter] = [p for p in await uow.people.with_role(role="admin")][:1]
            await uow.conn.execute(reports.insert(), november(REPORTS, reporter.id))

        async with db.unit_of_work() as uow:
            ctx = Context(uow=uow, clock=clock, settings=settings)
            with Ticker() as stats:
                figures = await month_stats(ctx, NOVEMBER)
        assert figures.total.received == REPORTS
        # the loop ran between and during its statements (with SQLite on the loop's own
        # thread it ran not once until the statistics were done), and never stalled long
        assert stats.ticks >= 5
        assert stats.worst < 0.2, f"the loop stalled {stats.worst * 1000:.0f} ms"

        async with db.unit_of_work() as uow:
            ctx = Context(uow=uow, clock=clock, settings=settings)
            with Ticker() as export:
                rows = await export_reports(ctx, NOVEMBER, tmp_path / "reports.xlsx")
        assert rows == REPORTS
        # a turn at least for each report's history; its worst stall is printed, not
        # asserted: Python's cyclic garbage collector, run by whichever thread allocates,
        # stops the loop too (a full collection here: 0.2-0.5 s on a loaded machine)
        assert export.ticks >= REPORTS
    print(
        f"loop stalls: monthly statistics over {REPORTS} reports, worst {stats.worst * 1000:.1f}"
        f" ms ({stats.ticks} turns); their export, worst {export.worst * 1000:.1f} ms"
    )
