"""A soak of the WeChat adapter against the Node puppet-service peer, in real time.

It runs longer than every timeout of the adapter (a unary call's 10 s deadline, the
watchdog, the gateway lease), with residents writing every couple of seconds, a gateway
restart and a lost WeChat login in the middle. It measures the fraction of time the bot is
connected while the gateway is up, how long it takes to reconnect, and whether every message
said while the gateway was up is handled exactly once; the admins must hear of each outage
exactly once when it starts and once when it ends."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.adapters.wechat import CALL_TIMEOUT, Link
from handlers.clock import SystemClock
from tests.fake_wechat import BOT_ID, Peer
from tests.fakes import until
from tests.test_wechat import GUO, PEOPLE, WANGHUI, peer, running

pytestmark = pytest.mark.slow
__all__ = ["peer"]  # the fixture, shared with test_wechat

WATCHDOG = 12.0  # seconds of silence before the gateway is pinged
LEASE_TTL = 15.0
TALK_EVERY = 2.0  # a resident writes this often
SETTLE = 3.0  # after the gateway is back, residents wait this long before writing again
SOAK_SECONDS = 75.0  # longer than every deadline above and CALL_TIMEOUT


@dataclass
class Soak:
    """What the soak saw, sampled every 50 ms."""

    start: float
    gateway_up: bool = True  # the peer's process is serving and logged in
    samples: list[tuple[float, bool, Link]] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # texts said while the gateway was up
    back_at: list[float] = field(default_factory=list)  # when the gateway came back
    online_at: list[float] = field(default_factory=list)  # when the bot was online again
    notices: list[tuple[float, str]] = field(default_factory=list)

    def connected_fraction(self) -> float:
        up = [s for s in self.samples if s[1]]
        online = [s for s in up if s[2] in (Link.ONLINE, Link.LOGGED_OUT)]
        return len(online) / max(1, len(up))


async def test_soak_connected_through_a_restart_and_a_lost_login(
    tmp_path: Path, peer: Peer
) -> None:
    clock = SystemClock()
    loop = asyncio.get_running_loop()
    async with running(
        tmp_path,
        peer,
        clock,
        lease_ttl=LEASE_TTL,
        watchdog_seconds=WATCHDOG,
        reconnect_max_seconds=30.0,
    ) as wx:
        await wx.adapter.wait_online(15)
        sender = asyncio.create_task(wx.app.sender.run())
        soak = Soak(start=loop.time())
        stop = asyncio.Event()
        counter = itertools.count()

        def now() -> float:
            return loop.time() - soak.start

        async def sample() -> None:
            seen = 0
            last = wx.adapter.link
            while not stop.is_set():
                link = wx.adapter.link
                soak.samples.append((now(), soak.gateway_up, link))
                if link is Link.ONLINE and last is not Link.ONLINE:
                    soak.online_at.append(now())
                last = link
                to_admin = [d.text for d in wx.console.sent if d.chat_id == "朱东"]
                soak.notices += [(now(), t) for t in to_admin[seen:]]
                seen = len(to_admin)
                await asyncio.sleep(0.05)

        quiet_until = 0.0

        async def talk() -> None:
            residents = itertools.cycle([WANGHUI, GUO])
            while not stop.is_set():
                await asyncio.sleep(TALK_EVERY)
                if stop.is_set() or not soak.gateway_up or now() < quiet_until:
                    continue
                text = f"你好 {next(counter)}"
                await wx.peer.say(next(residents), BOT_ID, text)
                soak.said.append(text)

        tasks = [asyncio.create_task(sample()), asyncio.create_task(talk())]
        earlier: list[dict[str, object]] = []
        try:
            await asyncio.sleep(25)  # past CALL_TIMEOUT twice over, and the watchdog
            soak.gateway_up = False
            earlier = await wx.peer.sent()  # the gateway's record dies with it
            await wx.peer.kill()  # the gateway crashes …
            await asyncio.sleep(2)
            await wx.peer.start()  # … and is restarted on the same port
            soak.back_at.append(now())
            quiet_until = now() + SETTLE
            soak.gateway_up = True
            await asyncio.sleep(17)
            soak.gateway_up = False
            await wx.peer.logout()  # WeChat logs the bot's account out …
            await asyncio.sleep(3)
            await wx.peer.login()  # … and it is scanned in again
            soak.back_at.append(now())
            quiet_until = now() + SETTLE
            soak.gateway_up = True
            await asyncio.sleep(max(0.0, SOAK_SECONDS - now()))
            await asyncio.sleep(TALK_EVERY + 1)  # the last message's answer
        finally:
            stop.set()
            for task in tasks:
                await task
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        with contextlib.suppress(AssertionError):  # the last answers, if any are on the way
            await until(
                lambda: sum(m.text.startswith("你好") for m in wx.handled) >= len(soak.said)
            )
        await wx.app.sender.drain()

        handled = Counter(m.text for m in wx.handled if m.text.startswith("你好"))
        lost = [t for t in soak.said if handled[t] == 0]
        twice = [t for t, n in handled.items() if n > 1]
        reconnects = [
            min((t for t in soak.online_at if t >= back), default=float("inf")) - back
            for back in soak.back_at
        ]
        down = [(t, x) for t, x in soak.notices if "掉线" in x]
        back = [(t, x) for t, x in soak.notices if "已恢复在线" in x]
        print(
            f"\nsoak: {now():.0f} s, connected {soak.connected_fraction():.1%} of the gateway's "
            f"up time, reconnects {[round(r, 2) for r in reconnects]} s, "
            f"said {len(soak.said)}, handled {sum(handled.values())}, lost {len(lost)}, "
            f"twice {len(twice)}; notices: {len(down)} 掉线, {len(back)} 恢复 "
            f"{[round(t - b, 1) for (t, _), b in zip(back, soak.back_at, strict=False)]} s "
            "after each recovery"
        )
        assert now() > max(CALL_TIMEOUT, WATCHDOG, LEASE_TTL) * 2
        assert soak.connected_fraction() >= 0.99
        assert all(r <= 3.0 for r in reconnects), reconnects
        assert len(soak.said) >= 20
        assert lost == [] and twice == []
        answered = earlier + await wx.peer.sent()
        for person in (WANGHUI, GUO):
            asked = sum(1 for m in wx.handled if m.sender_id == person)
            assert sum(1 for m in answered if m["to"] == person) == asked, PEOPLE[person]
        # one 掉线 and one 恢复 per outage, each 恢复 within 5 s of the gateway's return
        assert len(down) == 2 and len(back) == 2, soak.notices
        for (t, _), returned in zip(back, soak.back_at, strict=True):
            assert 0 <= t - returned <= 5.0
