"""Many `linli run` workers on one database: 1, 2 and 4 workers in Telegram webhook mode
behind a round-robin proxy, a fake Bot API (limits off), 1,000 group reports posted as
Telegram would (several at once); prints when the last message was delivered, and what was
lost or sent twice. With --kill, one worker holding the group's head row is killed (-9)
mid-run: how long until the sends it held go out again.

    .venv/bin/python -m bench.workers                    # 1, 2, 4 workers on PostgreSQL
    .venv/bin/python -m bench.workers --workers 2 --kill
    .venv/bin/python -m bench.workers --workers 1 --sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import tomli_w
from aiohttp import web

from tests.fake_telegram import FakeBotApi
from tests.fakes import free_port
from tests.test_telegram import CHENGANG, GROUP, LINA, telegram_raw

ROOT = Path(__file__).parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
SECRET = "s3cret"
BUILDINGS = [f"{n}栋" for n in range(1, 9)]
IN_FLIGHT = 16  # updates Telegram posts at once (its max_connections defaults to 40)


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    name = f"linli_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def worker_config(tmp: Path, fake: FakeBotApi, url: str, i: int) -> tuple[Path, int, int]:
    """Worker i's config file; returns it with its webhook and ops ports."""
    hook, ops = free_port(), free_port()
    raw = telegram_raw(
        base_url=fake.base_url,
        group_per_minute=100_000,  # limits off: this measures the workers, not Telegram
        private_per_3s=100_000,
        overall_per_second=100_000,
        mode="webhook",
        webhook_port=hook,
        webhook_path="/tg",
        webhook_url="https://bot.example.org/tg",
        webhook_secret=SECRET,
    )
    raw["reports"]["duplicate_window_hours"] = 0  # every report its own, to count them
    raw["ops"] = {"enabled": True, "port": ops}
    raw["storage"] = {"url": url}
    path = tmp / f"worker{i}.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path, hook, ops


class Proxy:
    """Round robin over the workers' webhook ports, passing a request to the next worker
    when one does not answer (as nginx's proxy_next_upstream does)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._next = itertools.cycle(range(len(ports)))
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Proxy:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_post("/tg", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._http is not None
        await self._runner.cleanup()
        await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        for _ in range(len(self.ports)):
            port = self.ports[next(self._next)]
            try:
                async with self._http.post(
                    f"http://127.0.0.1:{port}/tg", data=body, headers=headers
                ) as answer:
                    return web.Response(status=answer.status, body=await answer.read())
            except (aiohttp.ClientError, TimeoutError):
                continue  # that worker is down: the next one
        return web.Response(status=502)


def update(i: int) -> dict[str, Any]:
    """Resident i reports in the group (the buildings alternate between two workers)."""
    return {
        "update_id": 1 + i,
        "message": {
            "message_id": 1 + i,
            "date": int(time.time()),
            "chat": {"id": GROUP, "type": "supergroup", "title": "业主群"},
            "from": {"id": 10_000 + i, "is_bot": False, "first_name": f"居民{i}"},
            "text": f"上报 {BUILDINGS[i % 8]} 楼道飞线充电 第{i}号",
        },
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU a live process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU used so far by every PostgreSQL process on this machine."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if stat.read_text().split(" ", 2)[1] == "(postgres)":
                total += cpu_seconds(int(stat.parent.name))
    return total


def numbers(texts: list[str], pattern: str) -> Counter[int]:
    return Counter(int(n) for t in texts for n in re.findall(pattern, t))


async def healthy(ops_ports: list[int], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        for port in ops_ports:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker on ops port {port} never became healthy")
                await asyncio.sleep(0.2)


async def post_all(proxy: Proxy, n: int) -> None:
    sem = asyncio.Semaphore(IN_FLIGHT)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def one(http: aiohttp.ClientSession, i: int) -> None:
        async with sem:
            while True:  # Telegram redelivers until it gets a 200
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.post(
                        f"http://127.0.0.1:{proxy.port}/tg", json=update(i), headers=headers
                    ) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.2)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(one(http, i) for i in range(n)))


async def holder_of_group_head(url: str) -> str | None:
    """The worker holding the group's head row right now, if any."""
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        value = await conn.fetchval(
            "SELECT claimed_by FROM outbox WHERE status='pending' AND chat_id=$1"
            " AND claimed_by IS NOT NULL ORDER BY id LIMIT 1",
            str(GROUP),
        )
        return str(value) if value else None
    finally:
        await conn.close()


async def run(workers: int, reports: int, *, sqlite: bool, kill: bool) -> dict[str, Any]:
    fake = FakeBotApi()  # the real clock: the workers are processes of their own
    await fake.start()
    procs: list[subprocess.Popen[bytes]] = []
    result: dict[str, Any] = {"workers": workers, "reports": reports}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        async with contextlib.AsyncExitStack() as stack:
            if sqlite:
                url = f"sqlite:///{tmp / 'bench.db'}"
            else:
                url = await stack.enter_async_context(fresh_postgres())
            configs = [worker_config(tmp, fake, url, i) for i in range(workers)]
            logs = [tmp / f"worker{i}.log" for i in range(workers)]
            started = time.monotonic()
            for (path, _, _), log in zip(configs, logs, strict=True):  # all at the same instant
                with log.open("wb") as out:
                    procs.append(
                        subprocess.Popen(
                            [sys.executable, "-m", "bot.cli", "run", "--config", str(path)],
                            stdout=out,
                            stderr=subprocess.STDOUT,
                            cwd=ROOT,
                        )
                    )
            try:
                await healthy([ops for _, _, ops in configs])
                result["start_s"] = round(time.monotonic() - started, 1)
                died = [i for i, p in enumerate(procs) if p.poll() is not None]
                result["died_at_start"] = len(died)
                proxy = await stack.enter_async_context(Proxy([h for _, h, _ in configs]))
                cpu0 = {p.pid: cpu_seconds(p.pid) for p in procs}
                bench0, pg0 = time.process_time(), postgres_cpu_seconds()
                t0 = time.time()
                posting = asyncio.create_task(post_all(proxy, reports))
                killed_at: float | None = None
                if kill:
                    fake.delay = 0.2  # Telegram answering in 200 ms: claims held that long
                    while len(fake.delivered()) < reports // 10:  # reports still arriving
                        await asyncio.sleep(0.01)
                    holder, give_up = None, time.monotonic() + 60
                    while holder is None:  # the worker sending to the group right now
                        holder = await holder_of_group_head(url)
                        if holder is None and time.monotonic() > give_up:
                            raise RuntimeError("no worker held the group's head to kill")
                    pid = int(holder.split(":")[1])
                    victim = next(p for p in procs if p.pid == pid)
                    victim.send_signal(signal.SIGKILL)
                    killed_at = time.time()
                    result["killed_holding"] = holder
                    fake.delay = 0.0
                await posting
                result["posted_s"] = round(time.time() - t0, 2)
                deadline = time.monotonic() + 300
                while True:
                    delivered = fake.delivered()
                    alerts = numbers(
                        [
                            c.params["text"]
                            for c in delivered
                            if c.params["chat_id"] in (LINA, CHENGANG)
                        ],
                        r"【隐患上报 H(\d+)】",
                    )
                    answers = numbers(
                        [c.params["text"] for c in delivered if c.params["chat_id"] == GROUP],
                        r"已收到隐患上报 H(\d+)",
                    )
                    if len(alerts) >= reports and len(answers) >= reports:
                        break
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.05)
                wall = time.time() - t0
                workers_cpu = sum(
                    cpu_seconds(p.pid) - cpu0[p.pid] for p in procs if p.poll() is None
                )
                result["cpu_s"] = {  # over the run: what the 2 cores were spent on
                    "wall": round(wall, 1),
                    "workers": round(workers_cpu, 1),
                    "postgres": round(postgres_cpu_seconds() - pg0, 1),
                    "bench_fake_proxy": round(time.process_time() - bench0, 1),
                }
                last = max(c.at.timestamp() for c in delivered)
                result["last_delivery_s"] = round(last - t0, 2)
                result["lost"] = (reports - len(alerts)) + (reports - len(answers))
                result["duplicated"] = sum(k - 1 for k in alerts.values()) + sum(
                    k - 1 for k in answers.values()
                )
                result["group_messages"] = sum(1 for c in delivered if c.params["chat_id"] == GROUP)
                if killed_at is not None:
                    after = sorted(
                        c.at.timestamp()
                        for c in delivered
                        if c.params["chat_id"] == GROUP and c.at.timestamp() > killed_at
                    )
                    result["group_resumed_after_kill_s"] = (
                        round(after[0] - killed_at, 2) if after else None
                    )
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.terminate()
                for p in procs:
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                if any(p.returncode not in (0, -signal.SIGKILL) for p in procs):
                    result["log_tail"] = logs[0].read_text(errors="replace")[-2000:]
    await fake.stop()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--sqlite", action="store_true", help="one SQLite file (1 worker)")
    parser.add_argument("--kill", action="store_true", help="kill -9 the group head's holder")
    args = parser.parse_args()
    for n in args.workers:
        out = await run(n, args.reports, sqlite=args.sqlite, kill=args.kill)
        print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
