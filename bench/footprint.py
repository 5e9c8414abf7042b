"""The due sweep's start-up, memory and lateness with many notices; an idle `linli run`'s memory."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from bot.app import App
from bot.scheduler import DueSweep
from handlers.clock import SystemClock
from storage import Database
from tests.fake_telegram import FakeBotApi
from tests.fakes import ROOT, RecordingAdapter, config_from, example_raw


def rss_mb(pid: int | None = None) -> float:
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return round(kb / 1024, 1)


async def add_daily(app: App, n: int, now: datetime) -> None:
    """n daily notices spread over the day (none due during the run)."""
    async with app.db.unit_of_work() as uow:
        for i in range(n):
            minute, hour = i % 60, (i // 60) % 24
            await uow.notices.add(
                text=f"通知{i}",
                schedule=f"每天 {hour:02d}:{minute:02d}",
                cron=f"{minute} {hour} * * *",
                run_at=None,
                pin=False,
                rotate=False,
                targets=[],
                next_run_at=now + timedelta(hours=1 + i % 20),
                created_by=None,
                at=now,
            )


async def lateness(app: App, sweep: DueSweep, probes: int, spread: float) -> list[float]:
    """Add `probes` one-off notices due over the next `spread` seconds, while the sweep
    sleeps for everything else; return how late each was claimed (seconds)."""
    start = datetime.now(UTC) + timedelta(seconds=2)
    due = [start + timedelta(seconds=spread * i / probes) for i in range(probes)]
    async with app.db.unit_of_work() as uow:
        ids = [
            (
                await uow.notices.add(
                    text=f"演练{i}",
                    schedule=at.isoformat(),
                    cron=None,
                    run_at=at,
                    pin=False,
                    rotate=False,
                    targets=[],
                    next_run_at=at,
                    created_by=None,
                    at=datetime.now(UTC),
                )
            ).id
            for i, at in enumerate(due)
        ]
    sweep.wake(True)  # as a handler that changed the notices does
    await asyncio.sleep(spread + 4)
    async with app.db.unit_of_work() as uow:
        rows = await uow.notices.claim_times(notice_ids=ids)
    late = [(at - scheduled).total_seconds() for scheduled, at in rows]
    return late + [float("inf")] * (probes - len(late))  # never claimed: infinitely late


async def scheduler(n: int, probes: int = 200, spread: float = 20.0) -> dict[str, Any]:
    """n notices in the database: how long the sweep's first look takes, the memory, and
    how late occurrences fire among them."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_from(example_raw(), Path(tmp) / "sched.db")
        async with Database(cfg.storage.url) as db:
            app = App(
                cfg, db, SystemClock(), {"console": RecordingAdapter()}, platforms=("console",)
            )
            await app.start()
            await add_daily(app, n, datetime.now(UTC))
            before = rss_mb()
            t0 = time.perf_counter()
            async with DueSweep(app) as sweep:
                await sweep.sleeping.wait()  # its first look done
                started = time.perf_counter() - t0
                after = rss_mb()
                late = sorted(await lateness(app, sweep, probes, spread))
    return {
        "notices": n,
        "startup_seconds": round(started, 2),
        "rss_mb": after,
        "rss_added_mb": round(after - before, 1),
        "probes": probes,
        "late_p50_ms": round(1000 * late[len(late) // 2]),
        "late_p99_ms": round(1000 * late[int(len(late) * 0.99) - 1]),
        "late_max_ms": round(1000 * late[-1]),
    }


async def idle() -> dict[str, Any]:
    """`linli run` (Telegram polling a local fake Bot API) left idle for a few seconds."""
    fake = FakeBotApi()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        raw = example_raw()
        raw["storage"] = {"url": f"sqlite:///{Path(tmp) / 'idle.db'}"}
        raw["telegram"] = {"enabled": True, "token": "123:IDLE", "base_url": fake.base_url}
        raw["ops"] = {"port": 0}
        config = Path(tmp) / "idle.toml"
        config.write_text(tomli_w.dumps(raw), encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(6)
        rss = rss_mb(proc.pid)
        proc.terminate()
        await proc.wait()
    await fake.stop()
    return {"rss_mb": rss}


async def scheduler_alone(n: int) -> dict[str, Any]:
    """scheduler(n) in a process of its own, so its memory is not what earlier benchmarks
    left behind."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.footprint", str(n), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the scheduler benchmark failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scheduler(int(sys.argv[1])))))
