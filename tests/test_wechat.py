"""The real WeChat adapter over gRPC against a Node puppet-service peer (wechaty-puppet-mock)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.wechat import Link, WechatAdapter
from bot.app import App
from handlers.chat import Incoming
from handlers.clock import Clock, ManualClock
from storage import Database
from storage.outbox import PENDING, SENT
from tests.fake_wechat import BOT_ID, OTHER_ROOM, ROOM, Peer
from tests.fakes import RecordingAdapter, config_from, example_raw, read_only, until

TOKEN = "peer-token"
WANGHUI, LINA, ZHANG, GUO = "wxid_wanghui", "wxid_lina", "wxid_zhang", "wxid_guo"
PEOPLE = {WANGHUI: "王辉", LINA: "李娜", ZHANG: "张正芳", GUO: "郭先德"}


@dataclass
class Wechat:
    peer: Peer
    app: App
    adapter: WechatAdapter
    console: RecordingAdapter
    clock: Clock
    handled: list[Incoming] = field(default_factory=list)

    async def say(self, who: str, to: str, text: str, **kw: Any) -> None:
        n = len(self.handled)
        await self.peer.say(who, to, text, **kw)
        await until(lambda: len(self.handled) > n)
        await self.app.sender.drain()

    async def sent_to(self, chat: str) -> list[str]:
        await asyncio.sleep(0)  # let the peer's own bookkeeping run
        return [m["text"] for m in await self.peer.sent() if m["to"] == chat]

    async def outbox(self, status: str) -> int:
        async with self.app.db.unit_of_work() as uow:
            return await uow.outbox.count(status=status)


def wechat_config(tmp_path: Path, peer: Peer, token: str, **wechat: Any) -> Any:
    raw = example_raw()
    ids = {name: wxid for wxid, name in PEOPLE.items()}
    for person in raw["people"]:
        if person["name"] in ids:
            person["accounts"] = [f"wechat:{ids[person['name']]}"]
    raw["wechat"] = {
        "enabled": True,
        "endpoint": peer.endpoint,
        "token": token,
        "rooms": ["香樟雅苑业主群"],
        "room_per_minute": 30,
        "private_per_minute": 30,
        "overall_per_minute": 120,
        **wechat,
    }
    return config_from(raw, tmp_path / "wx.db")


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    peer: Peer,
    clock: Clock,
    token: str = TOKEN,
    *,
    lease_ttl: float | None = None,
    **wechat: Any,
) -> AsyncIterator[Wechat]:
    cfg = wechat_config(tmp_path, peer, token, **wechat)
    async with Database(cfg.storage.url) as db:
        console = RecordingAdapter()
        adapters: dict[str, Any] = {"console": console}
        app = App(cfg, db, clock, adapters, platforms=("wechat", "console"))
        await app.start()
        handled: list[Incoming] = []

        async def handle(msg: Incoming) -> bool:
            try:
                return await app.handle(msg)
            finally:
                handled.append(msg)

        async def problem(text: str) -> None:
            await app.alert_admins(text, avoid="wechat")

        async def online() -> None:
            await app.platform_back("wechat")

        lease = None
        if lease_ttl is not None:
            from bot.lease import Lease

            lease = Lease(db, clock, "wechat:soak", ttl=lease_ttl)
        adapter = WechatAdapter(
            cfg.wechat,
            handle,
            on_problem=problem,
            on_online=online,
            reconnect_base=0.05,
            retry_delay=0.05,
            lease=lease,
            dead_letter=app.dead_letter,
        )
        adapters["wechat"] = adapter
        async with adapter:
            yield Wechat(peer, app, adapter, console, clock, handled)


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    p = Peer(TOKEN, PEOPLE)
    await p.start()
    yield p
    await p.kill()


@pytest.fixture
async def wx(tmp_path: Path, peer: Peer, clock: ManualClock) -> AsyncIterator[Wechat]:
    async with running(tmp_path, peer, clock) as w:
        await w.adapter.wait_online(15)
        yield w


async def test_room_report_reaches_the_worker_privately(wx: Wechat) -> None:
    await wx.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
    [alert] = await wx.sent_to(LINA)
    assert "【隐患上报 H1】" in alert and "王辉" in alert
    assert "回复「接单 H1」或「办结 H1」" in alert  # no buttons on WeChat: typed actions
    [answer] = await wx.sent_to(ROOM)
    assert answer.startswith("@王辉\u2005") and "H1" in answer  # @-mentions the reporter
    assert wx.handled[0].sender_key == f"wechat:{WANGHUI}"


async def test_a_message_the_database_refuses_is_kept_until_it_can_write(
    wx: Wechat, caplog: pytest.LogCaptureFixture
) -> None:
    """The gateway pushes each message once and keeps no copy: the adapter holds on to it."""

    def refused() -> int:
        return sum(1 for r in caplog.records if "could not be stored" in r.getMessage())

    async with read_only(wx.app.db):
        await wx.peer.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
        await until(lambda: refused() >= 2)  # logged, tried again, not dropped
        assert await wx.sent_to(LINA) == []
    await until(lambda: len(wx.handled) == refused() + 1)  # every try is counted: one went in
    await wx.app.sender.drain()
    [alert] = await wx.sent_to(LINA)
    assert "【隐患上报 H1】" in alert


async def test_worker_types_the_action_privately(wx: Wechat) -> None:
    await wx.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
    await wx.say(LINA, BOT_ID, "接单 H1")
    assert "已接单 H1" in (await wx.sent_to(LINA))[-1]
    assert "李娜接单" in (await wx.sent_to(WANGHUI))[-1]
    async with wx.app.db.unit_of_work() as uow:
        assert (await uow.reports.get(report_id=1)).status == "acknowledged"


async def test_mention_of_the_bot_and_rooms_not_served(wx: Wechat) -> None:
    await wx.say(WANGHUI, ROOM, "@小区助手\u2005上报 4栋 楼道堆物", mention=[BOT_ID])
    assert wx.handled[-1].mentioned and wx.handled[-1].text == "上报 4栋 楼道堆物"
    assert len(await wx.sent_to(LINA)) == 1
    await wx.peer.say(WANGHUI, OTHER_ROOM, "上报 5栋 楼道堆物")
    await wx.say(WANGHUI, ROOM, "大家好")  # chatter, handled as nothing
    assert [m.text for m in wx.handled] == ["上报 4栋 楼道堆物", "大家好"]
    assert await wx.sent_to(OTHER_ROOM) == []


async def test_own_echoes_are_ignored(wx: Wechat) -> None:
    await wx.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
    sent = await wx.peer.sent()
    assert len(sent) == 2  # the alert and the room answer, each echoed back by the gateway
    await wx.say(GUO, ROOM, "帮助")  # a later message: by now every echo has come back
    assert all(m.sender_id != BOT_ID for m in wx.handled)
    assert len(wx.handled) == 2
    async with wx.app.db.unit_of_work() as uow:
        assert len(await uow.reports.active_of_assignee(person_id=3)) == 1


async def test_gateway_restart_loses_no_queued_alert(wx: Wechat) -> None:
    await wx.peer.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
    await until(lambda: len(wx.handled) == 1)
    await wx.peer.kill()  # the gateway dies with the answers still in the outbox
    await until(lambda: wx.adapter.link is Link.DOWN)
    async with wx.app.db.unit_of_work() as uow:
        for i in range(5):
            await uow.outbox.enqueue(
                platform="wechat",
                chat_id=LINA,
                is_group=False,
                text=f"提醒 {i}",
                buttons=[],
                photo=None,
                mention=None,
                person_id=None,
                at=wx.clock.now(),
            )
    await wx.app.sender.drain()
    assert await wx.outbox(PENDING) == 7
    assert await wx.outbox(SENT) == 1  # only the admins' notice, through another platform
    [notice] = [d.text for d in wx.console.sent if d.chat_id == "朱东"]
    assert "微信已掉线" in notice and "连不上微信网关" in notice
    await wx.peer.start()  # the same gateway comes back on the same port
    await wx.adapter.wait_online(20)
    await wx.app.sender.drain()  # at once: the backoff of the outage no longer applies
    assert await wx.outbox(PENDING) == 0
    to_lina = await wx.sent_to(LINA)
    assert "【隐患上报 H1】" in to_lina[0] and to_lina[1:] == [f"提醒 {i}" for i in range(5)]
    assert len(await wx.sent_to(ROOM)) == 1


async def test_lost_login_keeps_sends_queued_and_tells_admins(wx: Wechat) -> None:
    await wx.peer.logout()
    await until(lambda: wx.adapter.link is Link.LOGGED_OUT)
    await wx.app.sender.drain()
    assert any("掉线" in d.text for d in wx.console.sent if d.chat_id == "朱东")
    async with wx.app.db.unit_of_work() as uow:
        await uow.outbox.enqueue(
            platform="wechat",
            chat_id=LINA,
            is_group=False,
            text="排队的提醒",
            buttons=[],
            photo=None,
            mention=None,
            person_id=None,
            at=wx.clock.now(),
        )
    await wx.app.sender.drain()
    assert await wx.outbox(PENDING) == 1
    await wx.peer.login()
    await wx.adapter.wait_online(15)
    await wx.app.sender.drain()  # at once, with no clock moved
    assert await wx.sent_to(LINA) == ["排队的提醒"]
    notices = [d.text for d in wx.console.sent if d.chat_id == "朱东"]
    assert len(notices) == 2 and "已恢复在线" in notices[1]


async def test_wrong_token_fails_clearly(
    tmp_path: Path, peer: Peer, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.adapters.wechat")
    async with running(tmp_path, peer, clock, token="wrong-token") as wx:
        await until(lambda: wx.adapter.link is Link.UNAUTHENTICATED)
        assert 'Invalid Wechaty TOKEN "wrong-token"' in wx.adapter.last_error
        await wx.app.sender.drain()
        [notice] = [d for d in wx.console.sent if d.chat_id == "朱东"]
        assert "令牌" in notice.text
    assert any("refuses our token" in r.getMessage() for r in caplog.records)


async def test_one_worker_holds_the_gateway_and_another_takes_over(
    tmp_path: Path, peer: Peer, clock: ManualClock
) -> None:
    from bot.lease import Lease
    from handlers.clock import SystemClock

    cfg = wechat_config(tmp_path, peer, TOKEN)
    async with Database(cfg.storage.url) as db:
        app = App(cfg, db, clock, {}, platforms=("wechat",))
        await app.start()

        def worker(name: str) -> WechatAdapter:
            lease = Lease(db, SystemClock(), "wechat:test", ttl=1.0, holder=name)
            return WechatAdapter(cfg.wechat, app.handle, reconnect_base=0.05, lease=lease)

        first, second = worker("first"), worker("second")
        await first.start()
        await first.wait_online(15)
        await second.start()
        deadline = asyncio.get_running_loop().time() + 5
        while second.link is not Link.STANDBY:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        await asyncio.sleep(1.5)  # longer than the lease: the first keeps renewing it
        assert first.link is Link.ONLINE and second.link is Link.STANDBY
        assert first._task is not None
        first._task.cancel()  # the first worker dies without letting go
        with contextlib.suppress(asyncio.CancelledError):
            await first._task
        await second.wait_online(15)  # the lease runs out and the second takes over
        await second.stop()


async def test_a_merged_room_answer_mentions_each_resident(wx: Wechat) -> None:
    """Two answers queued for the room go out as one message that @-mentions both."""
    await wx.peer.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
    await wx.peer.say(GUO, ROOM, "上报 5栋 楼道堆物")
    await until(lambda: len(wx.handled) == 2)
    await wx.app.sender.drain()
    [answer] = [m for m in await wx.peer.sent() if m["to"] == ROOM]
    assert answer["text"].startswith("@王辉\u2005") and "\n\n@郭先德\u2005" in answer["text"]
    assert sorted(answer["mentions"]) == sorted([WANGHUI, GUO])


async def test_an_action_the_text_explains_is_not_written_twice(wx: Wechat) -> None:
    await wx.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")
    await wx.say(LINA, BOT_ID, "接单 H1")
    ack = (await wx.sent_to(LINA))[-1]
    assert ack.count("办结 H1") == 1 and "回复「办结 H1 处理说明」" in ack
    await wx.say(LINA, BOT_ID, "办结 H1 已清理")
    [*_, rating] = await wx.sent_to(WANGHUI)
    assert rating.count("回复") == 1 and "满意 H1" not in rating


async def test_a_message_the_gateway_cannot_give_is_set_aside_and_the_link_stays(
    wx: Wechat,
) -> None:
    await wx.peer.bogus()

    async def set_aside() -> list[str]:
        async with wx.app.db.unit_of_work() as uow:
            return [d.ref for d in await uow.dead_letters.listed()]

    for _ in range(500):  # the event comes back through the stream
        if await set_aside():
            break
        await asyncio.sleep(0.01)
    assert await set_aside() == ["no-such-message"]
    await wx.say(WANGHUI, ROOM, "上报 3栋 楼道飞线充电")  # the next message is handled
    assert wx.adapter.link is Link.ONLINE and wx.adapter.outage is None  # never dropped
    assert len(await wx.sent_to(LINA)) == 1


async def test_a_command_after_a_leading_mention_of_anyone_is_found(wx: Wechat) -> None:
    """`@所有人` (or a neighbour's name) in front does not hide the command behind it."""
    await wx.say(WANGHUI, ROOM, "@所有人\u2005上报 3栋 电梯坏了")
    assert not wx.handled[-1].mentioned  # @所有人 is not a mention of the bot
    [alert] = await wx.sent_to(LINA)
    assert "【隐患上报 H1】" in alert and "电梯故障" in alert
