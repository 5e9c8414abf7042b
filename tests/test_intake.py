"""Hostile and faulty inbound traffic: malformed updates, forged button presses, strangers'
chats, invisible characters, a database that refuses. Real adapter (python-telegram-bot over
HTTP) against the fake Bot API, real SQLite file, real migrations."""

from __future__ import annotations

import copy
import logging
import re
from collections import Counter
from collections.abc import Callable
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
from tests.fakes import Bot, incoming, read_only, to, until
from tests.test_telegram import (
    CHENGANG,
    GROUP,
    LINA,
    WANGHUI,
    ZHUDONG,
    Telegram,
    running,
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
    "caption a number": _message(lambda m: (m.pop("text"), m.__setitem__("caption", 7))),
    "callback without from": _press(_drop("from")),
}
# a message, but the bot cannot handle it: it used to be retried for ever, blocking intake
UNHANDLED: dict[str, Change] = {
    "button data a number": _press(_set("data", 42)),
    "button data a list": _press(_set("data", ["办结", "H1"])),
}
STAGES = {"parse": UNPARSEABLE, "adapter": NOT_MESSAGES, "handler": UNHANDLED}


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
        logged = [r for r in caplog.records if "set aside as dead letter" in r.getMessage()]
        assert len(logged) == 17
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
        print(
            f"hostile batch: {len(REPORTS)} good and 17 malformed updates (11 unparseable,"
            f" 4 not messages, 2 unhandled) in one getUpdates batch: {len(filed)}/{len(REPORTS)}"
            f" good handled, {len(letters)}/17 in the dead letters, polling alive"
        )
