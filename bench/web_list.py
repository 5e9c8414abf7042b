"""The workbench's report list over a database of many reports: whole HTTP requests to the
real server (session, query, template), as the office's browser makes them."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot.app import App
from bot.config import WebConfig
from bot.web.server import WebServer
from handlers.clock import ManualClock
from storage import Database
from tests.fakes import RecordingAdapter, example_config

CATEGORIES = ["飞线充电", "楼道堆物", "电梯故障", "消防通道占用", "其他"]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
QUERIES = {
    "all, newest first": "/reports",
    "page 1000": "/reports?page=1000",
    "not resolved, by deadline": "/reports?status=active&sort=due&dir=asc",
    "overdue": "/reports?status=active&overdue=1",
    "a grid and a month": "/reports?grid=1&month=2026-10",
    "building + category": "/reports?building=3栋&category=楼道堆物",
    "text search": "/reports?q=问题9999",
}


def _fill(path: Path, n: int) -> None:
    """n reports over the year before NOW, straight through sqlite3."""
    rng = random.Random(5)
    start = NOW.astimezone(UTC).replace(tzinfo=None) - timedelta(days=365)
    con = sqlite3.connect(path)
    rows = []
    for i in range(n):
        created = start + timedelta(seconds=rng.randrange(365 * 86400))
        status = rng.choice(["resolved"] * 8 + ["acknowledged", "open"])
        acked = created + timedelta(minutes=rng.randrange(5, 90))
        resolved = acked + timedelta(hours=rng.randrange(1, 48))
        rows.append(
            (
                1,
                f"{1 + i % 8}栋",
                1,
                f"问题{i} 楼道里有情况",
                rng.choice(CATEGORIES),
                int(rng.random() < 0.02),
                status,
                3,  # 李娜
                0,
                "console",
                "group",
                created.isoformat(sep=" "),
                (created + timedelta(minutes=30)).isoformat(sep=" "),
                acked.isoformat(sep=" ") if status != "open" else None,
                (acked + timedelta(hours=24)).isoformat(sep=" ") if status != "open" else None,
                resolved.isoformat(sep=" ") if status == "resolved" else None,
            )
        )
    con.executemany(
        "INSERT INTO reports (reporter_id, building, known_building, text, category, urgent,"
        " status, assignee_id, level, origin_platform, origin_chat, created_at, ack_due,"
        " acknowledged_at, resolve_due, resolved_at, resolve_reminded)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
        rows,
    )
    con.commit()
    con.close()


async def report_list(n: int, repeat: int = 15) -> dict[str, Any]:
    """Median and worst milliseconds of each kind of list request over n reports."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "web.db"
        cfg = example_config(path)
        clock = ManualClock(NOW)
        async with Database(cfg.storage.url) as db:
            app = App(cfg, db, clock, {"console": RecordingAdapter()}, platforms=("console",))
            await app.start()
            await asyncio.to_thread(_fill, path, n)
            async with WebServer(app, WebConfig(port=0, secret="bench")) as server:
                async with db.unit_of_work() as uow:
                    admin = await uow.people.find_by_name(name="朱东")
                assert admin is not None
                cookie = server.sessions.dump(server.sessions.new(admin.id))
                results: dict[str, Any] = {"reports": n}
                async with aiohttp.ClientSession(
                    cookies={"linli_session": cookie}, cookie_jar=aiohttp.CookieJar(unsafe=True)
                ) as http:
                    for label, path_qs in QUERIES.items():
                        timings = []
                        for _ in range(repeat):
                            t0 = time.perf_counter()
                            async with http.get(server.url + path_qs) as r:
                                body = await r.text()
                                assert r.status == 200 and "共" in body, (r.status, body[:300])
                            timings.append(1000 * (time.perf_counter() - t0))
                        results[label] = f"{statistics.median(timings):.0f}/{max(timings):.0f} ms"
    return results


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    for key, value in asyncio.run(report_list(n)).items():
        print(f"{key:28} {value}")
