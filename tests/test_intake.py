"""Hostile and faulty inbound traffic: malformed updates, forged button presses, strangers'
chats, invisible characters, a database that refuses. Real adapter (python-telegram-bot over
HTTP) against the fake Bot API, real SQLite file, real migrations."""

from __future__ import annotations

import copy
import json
import logging
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.base import handle_until_done
from bot.ops import OpsServer
from handlers import texts
from handlers.chat import ChatKind, Incoming, strip_invisible
from handlers.clock import ManualClock
from handlers.context import Context
from handlers.registry import Command
from storage.schema import dead_letters, reports
from tests.fake_telegram import FakeBotApi
from tests.fakes import ROOT, Bot, free_port, incoming, read_only, to, until
from tests.test_telegram import (
    CHENGANG,
    GROUP,
    LINA,
    SECRET,
    WANGHUI,
    ZHUDONG,
    Telegram,
    group_update,
    running,
    webhook,
)

REPORTS = [  # different buildings and kinds: none is merged into another
    ("3栋", "上报 3栋 楼道飞线充电"),
    ("5栋", "上报 5栋 楼道堆物"),
    ("4栋", "上报 4栋 消防通道被堵"),
    ("6栋", "上报 6栋 楼道飞线充电"),
    ("2栋", "上报 2栋 楼道堆物"),
    ("7栋", "上报 7栋 消防通道被堵"),
]
WORKER = {"3栋": LINA, "4栋": LINA, "2栋": LINA, "5栋": CHENGANG, "6栋": CHENGANG, "7栋": CHENGANG}
Change = Callable[[dict[str, Any]], dict[str, Any]]


def _message(change: Callable[[dict[str, Any]], None]) -> Change:
    def make(good: dict[str, Any]) -> dict[str, Any]:
        message = copy.deepcopy(good)
        change(message)
        return {"message": message}

    return make


def _press(change: Callable[[dict[str, Any]], None]) -> Change:
    def make(good: dict[str, Any]) -> dict[str, Any]:
        query = {
            "id": f"q{good['message_id']}",
            "from": copy.deepcopy(good["from"]),
            "chat_instance": "ci",
            "message": copy.deepcopy(good),
            "data": "接单 H1",
        }
        change(query)
        return {"callback_query": query}

    return make


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.pop(key)


# what python-telegram-bot 22 cannot parse: each of these broke the whole getUpdates batch
UNPARSEABLE: dict[str, Change] = {
    "message without date": _message(_drop("date")),
    "message without message_id": _message(_drop("message_id")),
    "chat without type": _message(lambda m: m["chat"].pop("type")),
    "user without first_name": _message(lambda m: m["from"].pop("first_name")),
    'date "yesterday"': _message(_set("date", "yesterday")),
    'message "string"': lambda good: {"message": "string"},
    "callback without id": _press(_drop("id")),
    "callback without chat_instance": _press(_drop("chat_instance")),
    "reply_to_message holding only an id": _message(_set("reply_to_message", {"message_id": 5})),
    "entities not a list": _message(_set("entities", "bold")),
    "photo not a list": _message(_set("photo", "AgADphoto")),
}
# parsed, but no message can be made of them: they used to end the polling task
NOT_MESSAGES: dict[str, Change] = {
    "text a number": _message(_set("text", 12345)),
    "text a list": _message(_set("text", ["上报", "3栋"])),
    "caption a number": _message(lambda m: m.update(text=None, caption=7)),
    "callback without from": _press(_drop("from")),
}
# a message, but the bot cannot handle it: it used to be retried for ever, blocking intake
UNHANDLED: dict[str, Change] = {
    "button data a number": _press(_set("data", 42)),
    "button data a list": _press(_set("data", ["办结", "H1"])),
}
STAGES = {"parse": UNPARSEABLE, "adapter": NOT_MESSAGES, "handler": UNHANDLED}


@pytest.fixture
async def tg(tmp_path: Path, fake: FakeBotApi, clock: ManualClock) -> AsyncIterator[Telegram]:
    async with running(tmp_path, fake, clock) as t:
        yield t


def rows(tg: Telegram, table: sa.Table) -> list[Any]:
    """Read beside the bot, with a connection of its own."""
    path = tg.app.db.engine.url.database
    assert path is not None
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(table)))
    finally:
        engine.dispose()


def alerts(fake: FakeBotApi, chat: int) -> list[int]:
    return [
        int(n)
        for c in fake.delivered()
        if c.params["chat_id"] == chat
        for n in re.findall(r"【隐患上报 H(\d+)】", c.params["text"])
    ]


async def metric(tg: Telegram, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    async with (
        OpsServer(tg.app.db, tg.app.metrics, {}, port=0) as ops,
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{ops.port}/metrics") as r,
    ):
        body = await r.text()
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == name
    }


async def test_malformed_updates_in_one_batch_are_set_aside_and_every_good_one_is_handled(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bad = [(stage, kind, make) for stage, kinds in STAGES.items() for kind, make in kinds.items()]
    assert len(bad) == 17
    # one batch, waiting before the bot starts: a good report first, after every few bad
    # updates, and last
    good_ids: list[int] = []
    bad_ids: dict[int, tuple[str, str]] = {}
    gaps = iter([bad[0:4], bad[4:8], bad[8:11], bad[11:14], bad[14:17], []])
    for i, (_, text) in enumerate(REPORTS):
        good_ids.append(fake.push_message(GROUP, 500 + i, f"居民{i}", text))
        for stage, kind, make in next(gaps):
            template = fake.message_json(GROUP, WANGHUI, "王辉", "上报 8栋 楼道堆物")
            bad_ids[fake.push_raw(make(template))] = (stage, kind)
    assert len(bad_ids) == 17 and max(good_ids) > max(bad_ids)
    async with running(tmp_path, fake, clock) as tg:
        await until(lambda: fake.confirmed > max(good_ids))  # the whole batch, confirmed
        await tg.app.sender.drain()
        assert tg.adapter.healthy and tg.adapter._poller and not tg.adapter._poller.done()

        # every good update handled, each alert and group answer delivered once
        filed = sorted(r.building for r in rows(tg, reports))
        assert filed == sorted(b for b, _ in REPORTS)
        for worker in (LINA, CHENGANG):
            expected = [n + 1 for n, (b, _) in enumerate(REPORTS) if WORKER[b] == worker]
            assert alerts(fake, worker) == expected
        # every bad one is a dead letter, stored raw, with its stage; none is anything else
        letters = rows(tg, dead_letters)
        refs = {r.ref for r in letters if r.stage != "handler"}
        assert refs == {f"update {n}" for n, (stage, _) in bad_ids.items() if stage != "handler"}
        for row in letters:  # each where it belongs
            if row.stage != "handler":
                stage, kind = bad_ids[int(row.ref.split()[1])]
                assert row.stage == stage, kind
        assert Counter(r.stage for r in letters) == {"parse": 11, "adapter": 4, "handler": 2}
        assert all(r.replayed_at is None and r.raw for r in letters)
        # logged once each, counted in /metrics
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 17 and all(
            "set aside as dead letter D" in r.getMessage() for r in errors
        )
        assert sum(r.exc_info is not None for r in errors) == 17  # with what went wrong
        counted = await metric(tg, "linli_dead_letters_total")
        assert sum(counted.values()) == 17
        assert counted[(("platform", "telegram"), ("stage", "parse"))] == 11

        # and intake goes on: a report written after the batch is handled at once
        await tg.said(GROUP, 600, "居民6", "上报 2栋 消防通道被堵")
        clock.advance(timedelta(seconds=3))  # her private chat's pace: 3 messages in 3 s
        await tg.app.sender.drain()
        assert alerts(fake, LINA)[-1] == 7

        # the admin lists them in private
        await tg.said(ZHUDONG, ZHUDONG, "朱东", "死信")
        listing = fake.to_chat(ZHUDONG)[-1].params["text"]
        assert "17条" in listing and "D17" in listing and "无法解析" in listing
        # replayed, an update the library still cannot parse is set aside again, and said so
        await tg.said(ZHUDONG, ZHUDONG, "朱东", "重放 D1")
        await until(lambda: "D18" in fake.to_chat(ZHUDONG)[-1].params.get("text", ""))
        told = fake.to_chat(ZHUDONG)[-1].params["text"]
        assert told.startswith("D1 重放后仍然失败，已另存为 D18：KeyError")
        again = rows(tg, dead_letters)[-1]
        assert (again.id, again.stage, again.replay_of) == (18, "parse", 1)
        print(
            f"hostile batch: {len(REPORTS)} good and 17 malformed updates (11 unparseable,"
            f" 4 not messages, 2 unhandled) in one getUpdates batch: {len(filed)}/{len(REPORTS)}"
            f" good handled, {len(letters)}/17 in the dead letters, polling alive"
        )


async def test_a_forged_button_press_is_refused_as_a_toast_and_changes_nothing(
    tg: Telegram,
) -> None:
    await tg.said(GROUP, WANGHUI, "王辉", "上报 3栋 楼道飞线充电")
    [alert] = tg.fake.to_chat(LINA)
    sent = len(tg.fake.sent())
    # a resident's modified client presses 办结 under the worker's alert
    tg.fake.push_button(alert, WANGHUI, "王辉", "办结 H1")
    await until(lambda: bool(tg.fake.sent("answerCallbackQuery")))
    await tg.app.sender.drain()
    [toast] = tg.fake.sent("answerCallbackQuery")
    assert "只有" in toast.params["text"] and "办结" in toast.params["text"]
    # nothing on screen changed: no edit, no new message anywhere
    assert tg.fake.sent("editMessageText") == [] and tg.fake.sent("editMessageReplyMarkup") == []
    assert len(tg.fake.sent()) == sent
    assert [r.status for r in rows(tg, reports)] == ["open"]

    # a press of an action the message does not offer is not shown as done either
    tg.fake.push_button(alert, LINA, "李娜", "我的")
    await until(lambda: len(tg.fake.sent("answerCallbackQuery")) == 2)
    assert tg.fake.sent("editMessageText") == []
    # the worker's own press still acts and shows it
    tg.fake.push_button(alert, LINA, "李娜", "接单 H1")
    await until(lambda: bool(tg.fake.sent("editMessageText")))
    assert tg.fake.sent("answerCallbackQuery")[-1].params.get("text") is None


STRANGERS = -2002  # a group someone added the bot to; not in [[groups]]
STRANGER = 777


async def test_a_strangers_group_is_told_once_the_admins_once_and_nothing_is_routed(
    tg: Telegram,
) -> None:
    await tg.said(STRANGERS, STRANGER, "陌生人", "上报 3栋 楼道飞线充电")
    await tg.said(STRANGERS, STRANGER, "陌生人", "帮助")
    await tg.said(STRANGERS, WANGHUI, "王辉", "上报 5栋 楼道着火了")
    assert [c.params["text"] for c in tg.fake.to_chat(STRANGERS)] == [texts.STRANGER_GROUP]
    told = [c.params["text"] for c in tg.fake.to_chat(ZHUDONG)]  # the admin
    assert len(told) == 1 and str(STRANGERS) in told[0] and "陌生人" in told[0]
    assert tg.fake.to_chat(LINA) == [] and tg.fake.to_chat(CHENGANG) == []  # no worker paged
    assert rows(tg, reports) == []
    async with tg.app.db.unit_of_work() as uow:
        assert await uow.people.by_account(platform="telegram", native_id=str(STRANGER)) is None
    # the stranger writes privately: one line, once; nothing else
    await tg.said(STRANGER, STRANGER, "陌生人", "上报 3栋 楼道飞线充电")
    await tg.said(STRANGER, STRANGER, "陌生人", "帮助")
    assert [c.params["text"] for c in tg.fake.to_chat(STRANGER)] == [texts.STRANGER_PRIVATE]
    # the served group works as before, and a resident who used the bot there may write
    await tg.said(GROUP, 501, "居民1", "上报 3栋 楼道飞线充电")
    assert "H1" in tg.fake.to_chat(GROUP)[-1].params["text"]
    await tg.said(501, 501, "居民1", "我的")
    assert "H1" in tg.fake.to_chat(501)[-1].params["text"]


async def test_serving_any_chat_is_a_switch(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    async with running(tmp_path, fake, clock, chats={"serve": "any"}) as tg:
        assert tg.app.cfg.chats.serve == "any"
        await tg.said(STRANGERS, STRANGER, "陌生人", "上报 3栋 楼道飞线充电")
        assert "H1" in tg.fake.to_chat(STRANGERS)[-1].params["text"]
        assert len(tg.fake.to_chat(LINA)) == 1


INVISIBLE = (
    "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069"  # overrides, isolates
    "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"  # zero-width, marks, joiner, BOM
)


async def test_direction_overrides_and_zero_width_characters_never_reach_a_worker(
    bot: Bot,
) -> None:
    said = await bot.say("王辉", f"上报 3栋 楼道{INVISIBLE[:8]}飞线充电{INVISIBLE[8:]}")
    [alert] = to(said, "李娜")
    assert "内容：楼道飞线充电\n" in alert.text
    assert not any(c in alert.text for c in INVISIBLE)
    group = to(said, "群")[0].text
    assert not any(c in group for c in INVISIBLE) and "楼道飞线充电" in group
    # a command hidden behind them is still understood
    said = await bot.dm("李娜", "\u200b\u202e接单 H1")
    assert any("已接单 H1" in s.text for s in to(said, "李娜"))
    assert strip_invisible("a\u202eb\u200bc\ufeff") == "abc"
    assert strip_invisible("上报\u20603栋") == "上报3栋"


async def test_a_bug_in_a_handler_is_kept_as_a_dead_letter_and_replayed_once_fixed(
    bot: Bot, clock: ManualClock
) -> None:
    broken = True

    async def fragile(ctx: Context, args: str) -> None:  # a feature with a bug, then fixed
        if broken:
            raise ZeroDivisionError("division by zero")
        await ctx.reply(f"好的：{args}")

    bot.app.registry.add(
        Command("fragile", ("试试",), (), fragile, "", "试试 …"),
    )
    said = await bot.say("王辉", "试试 第一次")
    assert [s.text for s in said] == [texts.APOLOGY]
    # registry.match itself failing (a platform handing over no text at all) is kept too
    await bot.app.handle(
        Incoming(
            platform="console",
            chat_id="group",
            chat_kind=ChatKind.GROUP,
            sender_id="王辉",
            sender_name="王辉",
            text=None,  # type: ignore[arg-type]
            message_id="no-text",
            at=clock.now(),
        )
    )
    said = await bot.dm("朱东", "死信")
    [listing] = to(said, "朱东")
    assert "2条" in listing.text and "D1" in listing.text and "ZeroDivisionError" in listing.text
    said = await bot.dm("王辉", "重放 D1")  # admins only
    assert "只有管理员" in said[0].text

    broken = False
    said = await bot.dm("朱东", "重放 D1")
    assert [s.text for s in to(said, "群")] == ["好的：第一次"]
    assert [s.text for s in to(said, "朱东")] == ["D1 已重放，处理成功。"]
    said = await bot.dm("朱东", "重放 D1")
    assert [s.text for s in said] == ["D1 已经重放过了。"]
    # replaying what still fails sets it aside again, under a new number, and says so
    said = await bot.dm("朱东", "重放 D2")
    [told] = to(said, "朱东")
    assert told.text.startswith("D2 重放后仍然失败，已另存为 D3")
    said = await bot.dm("朱东", "死信")
    assert "1条" in to(said, "朱东")[0].text and "D3" in to(said, "朱东")[0].text


async def test_only_the_database_failing_is_tried_again(clock: ManualClock) -> None:
    message = incoming("王辉", "上报 3栋 楼道飞线充电", at=clock.now())
    calls: list[str] = []
    kept: list[str] = []

    async def sink(
        *,
        platform: str,
        stage: str,
        ref: str,
        reason: str,
        raw: str,
        exc: BaseException | None = None,
    ) -> int:
        kept.append(f"{stage} {ref} {reason}")
        return len(kept)

    async def buggy(msg: Incoming) -> bool:
        calls.append(msg.message_id)
        raise KeyError("oops")

    assert await handle_until_done(buggy, message, first_delay=0, dead_letter=sink) is False
    assert len(calls) == 1 and kept == [f"handler {message.message_id} KeyError: 'oops'"]

    async def refusing_twice(msg: Incoming) -> bool:
        calls.append(msg.message_id)
        if len(calls) < 4:
            raise sa.exc.OperationalError("INSERT", {}, Exception("database or disk is full"))
        return True

    assert await handle_until_done(refusing_twice, message, first_delay=0, dead_letter=sink)
    assert len(calls) == 4 and len(kept) == 1


async def test_health_says_unhealthy_while_intake_is_stuck(bot: Bot, clock: ManualClock) -> None:
    async with OpsServer(
        bot.db, bot.app.metrics, {"console": bot.adapter}, port=0, intake=bot.app.intake
    ) as ops:
        url = f"http://127.0.0.1:{ops.port}/healthz"

        async def health() -> tuple[int, dict[str, Any]]:
            async with aiohttp.ClientSession() as http, http.get(url) as r:
                return r.status, await r.json()

        assert (await health())[0] == 200
        message = incoming("王辉", "上报 3栋 楼道飞线充电", at=clock.now())
        async with read_only(bot.db):
            with pytest.raises(sa.exc.OperationalError):
                await bot.app.handle(message)  # the adapter would try again
            clock.advance(timedelta(seconds=60))
            with pytest.raises(sa.exc.OperationalError):
                await bot.app.handle(message)
            clock.advance(timedelta(seconds=61))
        # the database answers the health check again, but the message has not got through
        status, body = await health()
        assert body["database"] == "ok" and body["intake"]["pending"] == 1
        assert status == 503 and body["intake"]["stuck"] is True
        assert body["intake"]["stuck_seconds"] == 121.0
        await bot.app.handle(message)  # the database takes it again
        await bot.flush()
        status, body = await health()
        assert status == 200 and body["intake"] == {
            "pending": 0,
            "stuck_seconds": 0.0,
            "stuck": False,
        }


async def test_webhook_sets_malformed_updates_aside_and_the_cli_lists_them(
    tmp_path: Path, fake: FakeBotApi, clock: ManualClock
) -> None:
    port = free_port()
    async with running(tmp_path, fake, clock, **webhook(port)) as tg:
        url = f"http://127.0.0.1:{port}/tg"
        good = group_update(3, "上报 3栋 楼道飞线充电", clock)
        unparseable = group_update(1, "上报 4栋 楼道堆物", clock)
        del unparseable["message"]["date"]
        not_a_message = group_update(2, "x", clock)
        not_a_message["message"]["text"] = ["上报"]
        async with aiohttp.ClientSession() as http:
            for update in (unparseable, not_a_message, good):
                async with http.post(url, json=update, headers=SECRET) as answer:
                    assert answer.status == 200  # set aside: Telegram need not send it again
        await until(lambda: len(tg.handled) == 1)
        await tg.app.sender.drain()
        assert len(fake.to_chat(LINA)) == 1
        letters = rows(tg, dead_letters)
        assert [(r.stage, r.ref) for r in letters] == [
            ("parse", "update 1"),
            ("adapter", "update 2"),
        ]
        db = tg.app.db.engine.url.database
    listing = subprocess.run(
        [sys.executable, "-m", "bot.cli", "dead-letters", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    lines = listing.stdout.splitlines()
    assert [line.split("\t")[:5][::4] for line in lines] == [["D1", "update 1"], ["D2", "update 2"]]
    assert "KeyError: 'date'" in lines[0] and "2 dead letters" in listing.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "bot.cli", "dead-letters", "--db", str(db), "--show", "D2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(shown.stdout)["raw"]["message"]["text"] == ["上报"]
