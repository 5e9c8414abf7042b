"""Two `linli run` workers on one PostgreSQL database, in processes of their own against the
fake Bot API, on the real clock: a worker killed (kill -9) while a send of its hangs; the
other, idle all along (no beats, no looks but one a minute), delivers the row once the dead
worker's claim has run out — within its lease (30 s) and the idle look (60 s), which this
test outlives. And a deadline set by a worker that died: the other's due sweep, asleep
with nothing of its own due, sees it at its resync (5 minutes), which the last test
outlives."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import tomli_w

from bot.scheduler import RESYNC_SECONDS
from tests.fake_telegram import FakeBotApi
from tests.fakes import free_port, until
from tests.test_faults_telegram import GROUP, LINA, start_bot
from tests.test_telegram import SECRET, ZHANG, telegram_raw, webhook

pytestmark = pytest.mark.slow

LEASE, IDLE_LOOK = 30.0, 60.0  # bot.sender.Sender's defaults, as `linli run` uses them
RESYNC = RESYNC_SECONDS  # bot.scheduler's: how often a sleeping sweep looks again anyway


def worker_config(
    tmp_path: Path,
    fake: FakeBotApi,
    url: str,
    name: str = "worker",
    ack_minutes: int = 30,
    **telegram: Any,
) -> Path:
    # a hung send stays hung (300 s)
    raw = telegram_raw(base_url=fake.base_url, timeout_seconds=300, **telegram)
    raw["reports"]["ack_minutes"] = ack_minutes
    raw["ops"] = {"enabled": False}
    raw["storage"] = {"url": url}
    path = tmp_path / f"{name}.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


async def outbox(url: str, where: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url.replace("postgresql://", "postgres://"))
    try:
        return list(await conn.fetch(f"SELECT id, claimed_by, status FROM outbox WHERE {where}"))
    finally:
        await conn.close()


def pid_of(worker: str) -> int:
    """The process id in a worker's name (host:pid:random)."""
    return int(worker.split(":")[1])


def alerts_to_lina(fake: FakeBotApi) -> int:
    return sum("【隐患上报 H1】" in c.params["text"] for c in fake.to_chat(LINA))


async def kill_the_holder(
    fake: FakeBotApi, url: str, workers: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    """Kill -9 the worker whose send to 李娜 hangs, once the fake sees it hang up; return the
    other."""
    [held] = await outbox(url, "status = 'pending' AND claimed_by IS NOT NULL")
    holder = next(w for w in workers if w.pid == pid_of(held["claimed_by"]))
    holder.kill()  # SIGKILL: no clean-up; its heartbeat stops, its claim stays
    holder.wait()
    await until(lambda: fake.held() == 1 and fake.caller_gone(), timeout=10)
    fake.release()  # the dead worker's request is dropped unprocessed ("gave up")
    return next(w for w in workers if w is not holder)


async def post_report(port: int, text: str) -> None:
    """王大妈 writes `text` in the group; Telegram posts it to the worker at `port` alone
    (behind a load balancer, an update reaches one worker)."""
    update = {
        "update_id": 501,
        "message": {
            "message_id": 501,
            "date": int(time.time()),
            "chat": {"id": GROUP, "type": "supergroup", "title": "业主群"},
            "from": {"id": 9001, "is_bot": False, "first_name": "王大妈"},
            "text": text,
        },
    }
    hook = f"http://127.0.0.1:{port}/tg"
    async with aiohttp.ClientSession() as http, http.post(hook, json=update, headers=SECRET) as r:
        assert r.status == 200


async def delivered_once(fake: FakeBotApi, url: str, within: float) -> float:
    """Seconds until the alert reached 李娜; then that it came once and nothing is left."""
    started = time.monotonic()
    await until(lambda: alerts_to_lina(fake) > 0, timeout=within)
    took = time.monotonic() - started
    await asyncio.sleep(3)  # anything sent twice would have come by now
    assert alerts_to_lina(fake) == 1
    assert await outbox(url, "status = 'pending'") == []
    assert any("H1" in c.params["text"] for c in fake.to_chat(GROUP))  # the answer too
    return took


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()  # the real clock: the workers are processes of their own
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


async def test_a_worker_that_sees_a_held_row_takes_it_over_within_seconds(
    tmp_path: Path, postgres_url: str, fake: FakeBotApi, workers: list[subprocess.Popen[bytes]]
) -> None:
    """The second worker starts while the first holds a send: the row is due and held, so
    it keeps beating and looking, and frees the claim once the heartbeat is stale (6 s)."""
    config = worker_config(tmp_path, fake, postgres_url)
    workers.append(start_bot(config, tmp_path / "first.log"))
    fake.hang(chats={str(LINA)})  # 李娜's alert will hang in the first worker's hands
    fake.push_message(GROUP, 501, "王大妈", "上报 1栋 楼道飞线充电")
    await until(lambda: fake.held() == 1, timeout=60)
    workers.append(start_bot(config, tmp_path / "second.log"))
    await until(lambda: len(fake.sent("getUpdates")) > 3, timeout=60)
    await asyncio.sleep(3)  # past its start-up: its look finds only the held row
    other = await kill_the_holder(fake, postgres_url, workers)
    took = await delivered_once(fake, postgres_url, within=LEASE + 30)
    print(f"\na worker that saw the row held delivered it {took:.1f} s after the kill")
    assert other.poll() is None


async def test_an_idle_worker_delivers_what_a_killed_worker_held_within_its_idle_look(
    tmp_path: Path, postgres_url: str, fake: FakeBotApi, workers: list[subprocess.Popen[bytes]]
) -> None:
    """Two workers behind a load balancer (webhooks: an update reaches one of them) start on
    an empty outbox and go idle (no beats, a look a minute). One handles a report and dies
    holding its alert. Nothing wakes the other: its minute's look finds the row once the
    dead worker's lease has run out."""
    ports = [free_port(), free_port()]
    for n, port in enumerate(ports):
        config = worker_config(tmp_path, fake, postgres_url, f"w{n}", **webhook(port))
        workers.append(start_bot(config, tmp_path / f"w{n}.log"))
    await until(lambda: len(fake.sent("setWebhook")) == 2, timeout=60)
    await asyncio.sleep(3)  # both past start-up, idle
    fake.hang(chats={str(LINA)})
    await post_report(ports[0], "上报 1栋 楼道飞线充电")  # to the first worker alone
    await until(lambda: fake.held() == 1, timeout=60)
    other = await kill_the_holder(fake, postgres_url, workers)
    assert other is workers[1]
    took = await delivered_once(fake, postgres_url, within=LEASE + IDLE_LOOK + 30)
    print(f"\nan idle worker delivered it {took:.1f} s after the kill")
    assert took > 5  # by its idle look, not by a wake-up
    assert other.poll() is None


async def test_a_dead_workers_deadline_is_kept_by_the_others_resync(
    tmp_path: Path, postgres_url: str, fake: FakeBotApi, workers: list[subprocess.Popen[bytes]]
) -> None:
    """A worker files a report (to be taken within a minute) and dies at once. The other has
    nothing of its own due: its sweep sleeps until the resync, then finds the report overdue
    and takes it up the chain — once."""
    ports = [free_port(), free_port()]
    for n, port in enumerate(ports):
        config = worker_config(
            tmp_path, fake, postgres_url, f"w{n}", ack_minutes=1, **webhook(port)
        )
        workers.append(start_bot(config, tmp_path / f"w{n}.log"))
    await until(lambda: len(fake.sent("setWebhook")) == 2, timeout=60)
    await asyncio.sleep(3)  # both past their first sweep: nothing due, asleep until a resync
    await post_report(ports[0], "上报 1栋 楼道飞线充电")
    await until(lambda: alerts_to_lina(fake) == 1, timeout=60)
    workers[0].kill()  # its sweep would have taken H1 up the chain in a minute
    workers[0].wait()
    killed_at = time.monotonic()

    def escalated() -> list[str]:
        return [
            c.params["text"] for c in fake.to_chat(ZHANG) if "超时未接单 H1" in c.params["text"]
        ]

    await until(lambda: bool(escalated()), timeout=RESYNC + 60)
    took = time.monotonic() - killed_at
    await asyncio.sleep(3)
    assert len(escalated()) == 1  # to the community, once
    assert any("超时未接单" in c.params["text"] for c in fake.to_chat(LINA))  # and she is told
    print(
        f"\nthe other worker's resync took the dead worker's report up {took:.0f} s after the kill"
    )
    assert took > 60 - 5  # not before the deadline
    assert workers[1].poll() is None
