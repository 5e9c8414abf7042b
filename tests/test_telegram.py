"""The real Telegram adapter, python-telegram-bot over HTTP, against a fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update

from bot.adapters.base import split_text
from bot.adapters.telegram import CHOICE, MenuEntry, TelegramAdapter, _plain_text
from bot.app import App
from handlers.chat import Incoming
from handlers.clock import ManualClock
from storage import Database
from storage.outbox import DEAD, PENDING, SENT
from tests.fake_telegram import BOT_USERNAME, FakeBotApi
from tests.fakes import config_from, example_raw, free_port, until

GROUP = -1001
LINA, CHENGANG, WANGHUI, ZHANG, ZHUDONG = 101, 102, 201, 301, 401
ACCOUNTS = {"李娜": LINA, "陈刚": CHENGANG, "王辉": WANGHUI, "张正芳": ZHANG, "朱东": ZHUDONG}


@dataclass
class Telegram:
    fake: FakeBotApi
    app: App
    adapter: TelegramAdapter
    clock: ManualClock
    handled: list[str] = field(default_factory=list)

    async def said(self, chat: int, user: int, name: str, text: str, **kw: Any) -> None:
        """A user writes; returns once the bot has handled it and delivered what it can."""
        self.fake.push_message(chat, user, name, text, **kw)
        n = len(self.handled)
        await until(lambda: len(self.handled) > n)
        await self.app.sender.drain()

    async def outbox(self, status: str) -> int:
        async with self.app.db.unit_of_work() as uow:
            return await uow.outbox.count(status=status)


def telegram_raw(**telegram: Any) -> dict[str, Any]:
    """The demo community on Telegram: staff with the accounts above, `telegram` settings."""
    raw = example_raw()
    for person in raw["people"]:
        if person["name"] in ACCOUNTS:
            person["accounts"] = [f"telegram:{ACCOUNTS[person['name']]}"]
        if person["name"] == "朱东":
            person["roles"] = ["branch", "admin"]
    raw["community"]["bot_names"] = ["小区助手", BOT_USERNAME]
    # the group the bot serves (a chat not configured gets one polite line and no routing)
    raw["groups"] = [{"name": "业主群", "platform": "telegram", "chat_id": str(GROUP)}]
    raw["telegram"] = {"enabled": True, "token": "123:TEST", **telegram}
    raw["ops"] = {"port": 0}  # any free port
    return raw


def telegram_config(tmp_path: Path, chats: dict[str, Any] | None = None, **telegram: Any) -> Any:
    raw = telegram_raw(**telegram)
    if chats is not None:
        raw["chats"] = chats
    return config_from(raw, tmp_path / "tg.db")


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path,
    fake: FakeBotApi,
    clock: ManualClock,
    chats: dict[str, Any] | None = None,
    *,
    batch: bool = False,
    **telegram: Any,
) -> AsyncIterator[Telegram]:
    """The bot on Telegram through the fake; with `batch`, the messages of a getUpdates
    answer handled in one transaction (as `linli run` does)."""
    cfg = telegram_config(tmp_path, chats, base_url=fake.base_url, **telegram)
    async with Database(cfg.storage.url) as db:
        adapters: dict[str, Any] = {}
        app = App(cfg, db, clock, adapters, platforms=("telegram",))
        await app.start()
        handled: list[str] = []

        async def handle(msg: Incoming) -> bool:
            try:
                return await app.handle(msg)
            finally:
                handled.append(msg.message_id)

        async def handle_batch(msgs: Sequence[Incoming]) -> list[bool]:
            try:
                return await app.handle_batch(msgs)
            finally:
                handled.extend(m.message_id for m in msgs)

        async def back() -> None:
            await app.platform_back("telegram")

        menu = [MenuEntry(*m) for m in app.menu()]
        adapter = TelegramAdapter(
            cfg.telegram,
            handle,
            menu=menu,
            poll_timeout=1,
            retry_delay=0.05,
            intake=app,
            on_online=back,
            handle_batch=handle_batch if batch else None,
        )
        adapters["telegram"] = adapter
        async with adapter:
            yield Telegram(fake, app, adapter, clock, handled)


@pytest.fixture
async def tg(tmp_path: Path, fake: FakeBotApi, clock: ManualClock) -> AsyncIterator[Telegram]:
    async with running(tmp_path, fake, clock) as t:
        yield t


async def test_report_in_group_reaches_the_worker_with_buttons(tg: Telegram) -> None:
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    [answer] = tg.fake.to_chat(GROUP)
    assert "H1" in answer.params["text"] and "李娜" in answer.params["text"]
    [alert] = tg.fake.to_chat(LINA)
    assert "楼道飞线充电" in alert.params["text"]
    assert alert.params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "接单 H1", "callback_data": "接单 H1"},
                {"text": "办结 H1", "callback_data": "办结 H1"},
            ]
        ]
    }


async def test_commands_with_the_bot_username_and_mentions(tg: Telegram) -> None:
    await tg.said(GROUP, WANGHUI, "王辉", f"/report@{BOT_USERNAME} 4栋 楼道堆物")
    await tg.said(GROUP, WANGHUI, "王辉", f"@{BOT_USERNAME} 上报 5栋 楼道堆物")
    assert len(tg.fake.to_chat(LINA)) == 1 and len(tg.fake.to_chat(CHENGANG)) == 1
    await tg.said(GROUP, WANGHUI, "王辉", "大家晚上好")
    assert len(tg.fake.to_chat(GROUP)) == 2  # chatter: no answer


async def test_pressing_a_button_acts_and_edits_the_message(tg: Telegram) -> None:
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    [alert] = tg.fake.to_chat(LINA)
    tg.fake.push_button(alert, LINA, "李娜", "接单 H1")
    await until(lambda: bool(tg.fake.sent("editMessageText")))
    assert tg.fake.sent("answerCallbackQuery")
    [edit] = tg.fake.sent("editMessageText")
    assert edit.params["text"].endswith("✅ 接单 H1")
    assert edit.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "办结 H1", "callback_data": "办结 H1"}]]
    }
    await tg.app.sender.drain()
    assert "李娜接单" in tg.fake.to_chat(WANGHUI)[0].params["text"]


async def test_pressing_one_answer_of_a_question_takes_all_its_answers_away(
    tg: Telegram,
) -> None:
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    await tg.said(LINA, LINA, "李娜", "办结 H1 已清理")
    [ask] = [c for c in tg.fake.to_chat(WANGHUI) if c.params.get("reply_markup")]
    data = [b["callback_data"] for b in ask.params["reply_markup"]["inline_keyboard"][0]]
    # the answers of one question are marked so in their callback data, not by their words
    assert data == [CHOICE + a for a in ("满意 H1", "基本满意 H1", "不满意 H1")]
    async with tg.app.db.unit_of_work() as uow:
        wanghui = await uow.people.by_account(platform="telegram", native_id=str(WANGHUI))
        assert wanghui is not None and await uow.reports.awaiting_rating(person_id=wanghui.id)
    tg.fake.push_button(ask, WANGHUI, "王辉", data[1])
    await until(lambda: bool(tg.fake.sent("editMessageText")))
    [edit] = tg.fake.sent("editMessageText")
    assert edit.params["text"].endswith("✅ 基本满意 H1") and "reply_markup" not in edit.params
    async with tg.app.db.unit_of_work() as uow:  # handed on as typed: 基本满意 H1, rated
        assert await uow.reports.awaiting_rating(person_id=wanghui.id) is None


async def test_photo_is_forwarded_by_file_id(tg: Telegram) -> None:
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道堆物", photo="AgADphoto1")
    [alert] = tg.fake.to_chat(LINA, "sendPhoto")
    assert alert.params["photo"] == "AgADphoto1" and "楼道堆物" in alert.params["caption"]
    assert alert.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "接单 H1"


async def test_retry_after_is_honoured(tg: Telegram) -> None:
    # the alert's send (the group's answer goes out beside it, in either order)
    tg.fake.retry_after_next, tg.fake.retry_after_chat = 7, str(LINA)
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    assert len(tg.fake.to_chat(LINA)) == 1 and "_result" not in tg.fake.to_chat(LINA)[0].params
    tg.clock.advance(timedelta(seconds=6))
    await tg.app.sender.drain()
    assert len(tg.fake.to_chat(LINA)) == 1
    tg.clock.advance(timedelta(seconds=1))
    await tg.app.sender.drain()
    assert "_result" in tg.fake.to_chat(LINA)[-1].params
    assert await tg.outbox(PENDING) == 0


async def test_outage_loses_nothing_and_keeps_order_per_chat(tg: Telegram) -> None:
    tg.fake.outage = True
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    await tg.said(GROUP, WANGHUI, "王辉", "上报 4栋 楼道堆物")
    assert await tg.outbox(PENDING) == 4 and await tg.outbox(SENT) == 0
    for _ in range(3):  # still down: backoff grows, nothing is dropped
        tg.clock.advance(timedelta(seconds=10))
        await tg.app.sender.drain()
    assert await tg.outbox(PENDING) == 4
    tg.fake.outage = False
    tg.clock.advance(timedelta(seconds=20))
    await tg.app.sender.drain()
    assert await tg.outbox(SENT) == 4
    delivered = [c.params["text"] for c in tg.fake.to_chat(LINA) if "_result" in c.params]
    assert "H1" in delivered[0] and "H2" in delivered[1]


async def test_blocked_worker_is_recorded_reported_and_shown(tg: Telegram) -> None:
    tg.fake.blocked.add(str(LINA))
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    assert await tg.outbox(DEAD) == 1
    await tg.app.sender.drain()
    notice = tg.fake.to_chat(ZHUDONG)
    assert (
        notice and "李娜" in notice[-1].params["text"] and "无法私信" in notice[-1].params["text"]
    )
    await tg.said(GROUP, WANGHUI, "王辉", "上报 4栋 楼道堆物")
    # who cannot be reached is the admins' business, told privately, never the group's
    assert all("无法" not in c.params["text"] for c in tg.fake.to_chat(GROUP))
    assert "【提醒未送达】隐患上报 H2" in tg.fake.to_chat(ZHUDONG)[-1].params["text"]
    await tg.said(ZHUDONG, ZHUDONG, "朱东", "/who")
    assert "李娜" in tg.fake.to_chat(ZHUDONG)[-1].params["text"]
    tg.clock.advance(timedelta(hours=1))
    await tg.app.sender.drain()
    recent = tg.clock.now() - timedelta(minutes=59)
    assert [c for c in tg.fake.to_chat(LINA) if c.at > recent] == []  # never retried
    tg.fake.blocked.clear()
    await tg.said(LINA, LINA, "李娜", "/start")  # she opens the chat: reachable again
    await tg.said(ZHUDONG, ZHUDONG, "朱东", "/who")
    still = tg.fake.to_chat(ZHUDONG)[-1].params["text"]
    assert "李娜" not in still and "吴经理（物业）：没有已启用平台的账号" in still


async def test_burst_to_one_group_is_paced_within_its_limit(tg: Telegram) -> None:
    tg.fake.enforce_limits = True
    async with tg.app.db.unit_of_work() as uow:
        for i in range(200):
            await uow.outbox.enqueue(
                platform="telegram",
                chat_id=str(GROUP),
                is_group=True,
                text=f"通知 {i}",
                buttons=[("报名", f"报名 E{i}")],
                photo=None,
                mention=None,
                person_id=None,
                at=tg.clock.now(),
            )
    start = tg.clock.now()
    while await tg.outbox(PENDING):
        await tg.app.sender.drain()
        ready = tg.app.sender.next_ready
        if ready is not None and ready > tg.clock.now():
            tg.clock.advance(ready - tg.clock.now())
    calls = tg.fake.to_chat(GROUP)
    assert len(calls) == 200 and all("_result" in c.params for c in calls)  # no 429 at all
    times = [c.at for c in calls]
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= timedelta(seconds=60)
    for i in range(len(times) - 3):  # and about one a second, in bursts of 3 at most
        assert times[i + 3] - times[i] >= timedelta(seconds=3)
    # the theoretical minimum: 10 windows of 20, the last starting after 9 minutes, each
    # window's 20 sent 3 every 3 seconds (the last 2 of them 18 s into it)
    assert tg.clock.now() - start == timedelta(minutes=9, seconds=18)
    assert [c.params["text"] for c in calls] == [f"通知 {i}" for i in range(200)]


async def test_burst_of_reports_delivers_every_alert_and_merges_group_answers(
    tg: Telegram,
) -> None:
    tg.fake.enforce_limits = True
    for i in range(200):
        tg.fake.push_message(GROUP, 5000 + i, f"居民{i}", f"上报 {1 + i % 4}栋 问题{i}")
    await until(lambda: len(tg.handled) == 200, timeout=60)
    while await tg.outbox(PENDING):
        await tg.app.sender.drain()
        ready = tg.app.sender.next_ready
        if ready is not None and ready > tg.clock.now():
            tg.clock.advance(ready - tg.clock.now())
    alerts = [c for c in tg.fake.to_chat(LINA) if "_result" in c.params]
    assert len(alerts) == 200
    group = [c for c in tg.fake.to_chat(GROUP) if "_result" in c.params]
    assert len(group) < 20
    answered = "\n".join(c.params["text"] for c in group)
    assert all(f"H{i}（" in answered for i in range(1, 201))
    assert all(c.params.get("_result") for c in tg.fake.calls if c.method == "sendMessage")


async def paced_drain(tg: Telegram) -> None:
    """Deliver everything, moving the clock to whenever the pacing lets the next send go
    (or on by a second: a send refused waits for its retry)."""
    while await tg.outbox(PENDING):
        await tg.app.sender.drain()
        ready = tg.app.sender.next_ready
        now = tg.clock.now()
        tg.clock.advance(ready - now if ready is not None and ready > now else timedelta(seconds=1))


async def test_a_send_slow_to_arrive_does_not_bring_a_429_a_window_later(tg: Telegram) -> None:
    """Telegram counts a message when it gets it. One request takes 0.4 s to arrive, the
    next ones none: counted from when the first one started, the fourth send (3 s later)
    would arrive 2.6 s after the first one did, the fourth in 3 s: 429."""
    tg.fake.enforce_limits = True
    slow = itertools.cycle([timedelta(seconds=0.4), timedelta(0), timedelta(0)])
    tg.fake.transit = lambda: tg.clock.advance(next(slow))
    async with tg.app.db.unit_of_work() as uow:
        for i in range(45):
            await uow.outbox.enqueue(
                platform="telegram",
                chat_id=str(GROUP),
                is_group=True,
                text=f"通知 {i}",
                buttons=[("报名", f"报名 E{i}")],
                photo=None,
                mention=None,
                person_id=None,
                at=tg.clock.now(),
            )
    await paced_drain(tg)
    calls = tg.fake.to_chat(GROUP)
    assert [c for c in calls if "_result" not in c.params] == []  # no 429 at all
    assert [c.params["text"] for c in calls] == [f"通知 {i}" for i in range(45)]


async def test_burst_of_reports_gets_no_429_when_requests_take_varying_time_to_arrive(
    tg: Telegram,
) -> None:
    """The 200-report burst with Telegram's limits on, every request 0–0.3 s in transit:
    every alert delivered, the group's answers merged, and not one 429 anywhere."""
    tg.fake.enforce_limits = True
    rng = random.Random(20)
    for i in range(200):
        tg.fake.push_message(GROUP, 5000 + i, f"居民{i}", f"上报 {1 + i % 4}栋 问题{i}")
    await until(lambda: len(tg.handled) == 200, timeout=60)
    tg.fake.transit = lambda: tg.clock.advance(timedelta(seconds=rng.uniform(0, 0.3)))
    await paced_drain(tg)
    assert [c for c in tg.fake.sent() if "_result" not in c.params] == []  # no 429 at all
    assert len(tg.fake.to_chat(LINA)) == 200
    group = tg.fake.to_chat(GROUP)
    assert len(group) < 20
    answered = "\n".join(c.params["text"] for c in group)
    assert all(f"H{i}（" in answered for i in range(1, 201))


def test_long_texts_are_split_at_the_limit() -> None:
    text = "\n".join("一二三四五六七八九十" * 9 for _ in range(100))
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces) and "\n".join(pieces) == text
    assert split_text("x" * 5000, 4096) == ["x" * 4096, "x" * 904]


async def test_commands_menu_in_chinese_and_english(tg: Telegram) -> None:
    zh, en = tg.fake.sent("setMyCommands")
    assert "language_code" not in zh.params and en.params["language_code"] == "en"
    names = [c["command"] for c in zh.params["commands"]]
    assert "report" in names and "help" in names
    report = next(c for c in zh.params["commands"] if c["command"] == "report")
    assert "上报" in report["description"]


SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}


def webhook(port: int) -> dict[str, Any]:
    """The [telegram] settings of a bot receiving by webhook on 127.0.0.1:port/tg."""
    return {
        "mode": "webhook",
        "webhook_port": port,
        "webhook_path": "/tg",
        "webhook_url": "https://bot.example.org/tg",
        "webhook_secret": "s3cret",
    }


def group_update(update_id: int, text: str, clock: ManualClock) -> dict[str, Any]:
    """What Telegram POSTs when 王辉 writes `text` in the group."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(clock.now().timestamp()),
            "chat": {"id": GROUP, "type": "supergroup", "title": "业主群"},
            "from": {"id": WANGHUI, "is_bot": False, "first_name": "王辉"},
            "text": text,
        },
    }


async def test_webhook_needs_the_secret_token(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    port = free_port()
    async with running(tmp_path, fake, clock, **webhook(port)) as tg:
        [hook] = fake.sent("setWebhook")
        assert hook.params["url"] == "https://bot.example.org/tg"
        assert hook.params["secret_token"] == "s3cret"
        update = group_update(1, "上报 3栋 楼道飞线充电", clock)
        url = f"http://127.0.0.1:{port}/tg"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as refused:
                assert refused.status == 403
            async with http.post(url, json={**update, "update_id": 2}, headers=SECRET) as ok:
                assert ok.status == 200
        await until(lambda: len(tg.handled) == 1)
        await tg.app.sender.drain()
        assert len(fake.to_chat(LINA)) == 1 and len(fake.to_chat(GROUP)) == 1


async def test_linli_run_serves_telegram(tmp_path: Path, fake: FakeBotApi) -> None:
    """The `linli run` runtime, on the machine's clock, wired end to end."""
    from bot.runtime import run_platforms

    cfg = telegram_config(tmp_path, base_url=fake.base_url)
    task = asyncio.create_task(run_platforms(cfg))
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while not fake.sent("getUpdates"):
            assert asyncio.get_running_loop().time() < deadline, "the bot never polled"
            await asyncio.sleep(0.01)
        fake.push_message(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
        while not (fake.to_chat(LINA) and fake.to_chat(GROUP)):
            assert asyncio.get_running_loop().time() < deadline, "no alert arrived"
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert "H1" in fake.to_chat(GROUP)[0].params["text"]


async def test_a_pinned_notice_is_pinned(tg: Telegram) -> None:
    async with tg.app.db.unit_of_work() as uow:
        await uow.outbox.enqueue(
            platform="telegram",
            chat_id=str(GROUP),
            is_group=True,
            text="春节安全提醒",
            buttons=[],
            photo=None,
            mention=None,
            person_id=None,
            at=tg.clock.now(),
            pin=True,
        )
    await tg.app.sender.drain()
    [sent] = tg.fake.to_chat(GROUP)
    [pin] = tg.fake.sent("pinChatMessage")
    assert pin.params["message_id"] == sent.params["_result"]["message_id"]


async def test_a_merged_group_answer_still_mentions_each_resident(tg: Telegram) -> None:
    """Answers queued for one group go out as one message; each resident answered in it is
    @-mentioned with a text mention, which notifies them though they have no username."""
    tg.fake.push_message(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    tg.fake.push_message(GROUP, 4242, "赵敏", "上报 5栋 楼道堆物")
    await until(lambda: len(tg.handled) == 2)
    await tg.app.sender.drain()
    [answer] = tg.fake.to_chat(GROUP)
    text = answer.params["text"]
    assert text.startswith("@王辉 ") and "\n\n@赵敏 " in text
    mentions = {
        text.encode("utf-16-le")[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode(
            "utf-16-le"
        ): e["user"]["id"]
        for e in answer.params["entities"]
        if e["type"] == "text_mention"
    }
    assert mentions == {"@王辉": WANGHUI, "@赵敏": 4242}


def plain_updates() -> list[dict[str, Any]]:
    """Text messages in every shape the fast path reads: group, supergroup and private;
    names with and without a last name or username; the bot's commands and mentions,
    invisible characters, full-width text; a bot's own message."""
    users = [
        {"id": 201, "is_bot": False, "first_name": "王辉"},
        {"id": 202, "is_bot": False, "first_name": "Hui", "last_name": "Wang", "username": "wh"},
        {"id": 203, "is_bot": False, "first_name": "", "username": "only_user"},
        {"id": 204, "is_bot": False, "first_name": "", "language_code": "zh-hans"},
        {"id": 205, "is_bot": False, "first_name": "李", "last_name": "", "is_premium": True},
        {"id": 9, "is_bot": True, "first_name": "某机器人"},
    ]
    chats = [
        {"id": GROUP, "type": "group", "title": "业主群"},
        {"id": -1002, "type": "supergroup", "title": "二期", "is_forum": False},
        {"id": 201, "type": "private", "first_name": "王辉"},
    ]
    texts = [
        "上报 3栋 楼道飞线充电",
        f"/report@{BOT_USERNAME} 4栋 楼道堆物",
        f"@{BOT_USERNAME} 上报 5栋 电梯坏了",
        f"@{BOT_USERNAME.upper()}，报餐 明天",
        "上\u200b报 ６栋　楼道堆物\u2060",
        "",
        "🙏[强]",
    ]
    updates = []
    for i, (user, chat, text) in enumerate(itertools.product(users, chats, texts)):
        message: dict[str, Any] = {
            "message_id": 10 + i,
            "from": user,
            "chat": chat,
            "date": 1764900000 + i,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": 7}]
        updates.append({"update_id": 1000 + i, "message": message})
    return updates


async def test_a_plain_text_update_is_read_as_python_telegram_bot_reads_it(tg: Telegram) -> None:
    """The fast path (bot.adapters.telegram._plain_text) gives the very message PTB's
    parsing gives, for every shape it takes; anything else it leaves to PTB."""
    adapter = tg.adapter
    for raw in plain_updates():
        plain = _plain_text(raw)
        assert plain is not False, raw
        assert adapter._incoming(plain) == adapter.to_incoming(Update.de_json(raw, adapter.bot))
    base = plain_updates()[0]
    message = base["message"]
    others = [
        {**base, "edited_message": message},
        {"update_id": 1, "edited_message": message},
        {**base, "message": {**message, "photo": [{"file_id": "p", "file_unique_id": "u"}]}},
        {**base, "message": {**message, "caption": "上报 3栋"}},
        {**base, "message": {**message, "reply_to_message": dict(message)}},
        {**base, "message": {**message, "voice": {"file_id": "v", "duration": 2}}},
        {**base, "message": {**message, "text": 5}},
        {**base, "message": {**message, "date": "today"}},
        {**base, "message": {**message, "message_id": True}},
        {**base, "message": {**message, "from": {"id": 1, "first_name": "x"}}},
        {**base, "message": {**message, "chat": {"id": "-1001", "type": "group"}}},
        {**base, "message": {**message, "chat": {**message["chat"], "photo": {}}}},
        {**base, "message": {k: v for k, v in message.items() if k != "from"}},
        {"update_id": 2, "callback_query": {"id": "q"}},
        {**base, "message": "上报"},
    ]
    for raw in others:
        assert _plain_text(raw) is False, raw
