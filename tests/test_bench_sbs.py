"""The side-by-side benchmark and the probes it reads (bot/probes.py, bench/sidebyside.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bench import sidebyside
from bot.probes import LoopLag, StatementCount
from storage import Database


async def test_the_loop_probe_sees_a_statement_that_holds_the_loop() -> None:
    async with LoopLag() as lag:
        await asyncio.sleep(0.02)
        quiet = lag.worst
        time.sleep(0.08)  # a blocking call on the loop's thread, as an inline query is
        await asyncio.sleep(0.02)
    assert lag.ticks > 2
    assert quiet < 0.08
    assert lag.worst >= 0.08 - lag.interval
    assert lag.over_20ms >= 1
    assert max(lag.figures()["per_second_worst_ms"].values()) >= 75
    assert lag.worst_on_cpu < 0.05  # time.sleep holds the loop, but not on the CPU


async def test_the_loop_probe_tells_a_busy_loop_on_the_cpu() -> None:
    async with LoopLag() as lag:
        await asyncio.sleep(0.02)
        end = time.thread_time() + 0.06
        while time.thread_time() < end:  # a callback computing for 60 ms of CPU
            pass
        await asyncio.sleep(0.02)
    assert lag.worst_on_cpu >= 0.06 - lag.interval


async def test_the_statement_counter_counts_every_engines_statements(tmp_path: Path) -> None:
    count = StatementCount()
    count.start()
    try:
        async with Database(f"sqlite:///{tmp_path / 'count.db'}") as db:
            before = count.figures()
            async with db.unit_of_work() as uow:
                await uow.outbox.count(status="pending")
                await uow.outbox.count(status="sent")
            after = count.figures()
    finally:
        count.stop()
    assert after["statements"] - before["statements"] >= 2
    assert after["commits"] - before["commits"] == 1


@pytest.mark.slow
async def test_the_side_by_side_bench_runs_both_bots_end_to_end() -> None:
    out = await sidebyside.sitting([20], rounds=1, idle_seconds=2)
    runs = [r for r in out["runs"] if r["bot"] in ("plain", "linli")]
    assert [(r["bot"], r["offered"]) for r in runs] == [
        ("plain", "all at once"),
        ("linli", "all at once"),
        ("plain", sidebyside.PACE),
        ("linli", sidebyside.PACE),
    ]
    for run in runs:
        assert run["delivered"] == 20, run
        assert run["reports_per_s"] > 0 and run["cpu_ms_per_report"] > 0
        assert run["alert_p99_ms"] >= run["alert_p50_ms"] > 0
    for run in runs:  # the loop probe of both
        assert run["loop_stall_max_ms"] is not None
        assert run["loop_stall_on_cpu_ms"] <= run["loop_stall_max_ms"]
    for run in runs[1::2]:  # the statement counter of linli
        assert run["statements_per_report"] > 1
        assert any("INSERT INTO reports" in k for k in run["statements_by_kind"])
    assert out["idle"]["seconds"] > 1
    assert out["idle"]["statements_per_s"] >= 0
    assert "linli/plain" in sidebyside.table(out)
