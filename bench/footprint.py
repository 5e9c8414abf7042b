"""Scheduler start-up and memory with many notices; resident memory of an idle `linli run`."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from bot.app import App
from bot.scheduler import Scheduler
from handlers.clock import SystemClock
from storage import Database
from tests.fake_telegram import FakeBotApi
from tests.fakes import ROOT, RecordingAdapter, config_from, example_raw


def rss_mb(pid: int | None = None) -> float:
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return round(kb / 1024, 1)


async def scheduler(n: int) -> dict[str, Any]:
    """n notices in the database: how long to rebuild the jobs, and the memory they take."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config_from(example_raw(), Path(tmp) / "sched.db")
        async with Database(cfg.storage.url) as db:
            app = App(
                cfg, db, SystemClock(), {"console": RecordingAdapter()}, platforms=("console",)
            )
            await app.start()
            now = datetime.now(UTC)
            async with db.unit_of_work() as uow:
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
            before = rss_mb()
            t0 = time.perf_counter()
            async with Scheduler(app) as sched:
                started = time.perf_counter() - t0
                jobs = len(sched.notice_jobs())
                after = rss_mb()
    return {
        "notices": n,
        "jobs": jobs,
        "startup_seconds": round(started, 2),
        "rss_mb": after,
        "rss_added_mb": round(after - before, 1),
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
