"""Scheduled notices: local-time schedules, exactly once across restarts and processes."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Config, ConfigError
from bot.scheduler import DueSweep
from handlers.clock import ManualClock
from handlers.notice_library import LIBRARY
from storage import Database
from tests.conftest import SHANGHAI
from tests.fakes import Bot, config_from, example_raw, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

# the clock fixture starts on Thursday 2026-11-26 09:00 in Shanghai


async def test_weekly_notice_fires_at_local_time(bot: Bot) -> None:
    said = await bot.dm("朱东", "通知 每周五 19:00 {社区}消防提醒：{日期}{星期}")
    assert "A1" in said[0].text and "11月27日 19:00" in said[0].text
    assert await bot.tick(timedelta(days=1, hours=9, minutes=59)) == []  # Fri 18:59
    said = await bot.tick(timedelta(minutes=1))
    assert [s.text for s in to(said, "群")] == ["香樟雅苑消防提醒：11月27日星期五"]
    assert to(await bot.tick(timedelta(days=6, hours=23, minutes=59)), "群") == []
    assert len(to(await bot.tick(timedelta(minutes=1)), "群")) == 1  # the next Friday


@pytest.fixture
def new_york() -> Iterator[None]:
    """The server's own time zone is not the community's."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


async def test_the_servers_time_zone_does_not_matter(bot: Bot, new_york: None) -> None:
    await bot.dm("朱东", "通知 每天 08:00 早上好")
    assert await bot.tick(timedelta(hours=22, minutes=59)) == []  # Fri 07:59 in Shanghai
    said = await bot.tick(timedelta(minutes=1))
    assert [s.text for s in said] == ["早上好"]
    assert bot.clock.now().astimezone(SHANGHAI).hour == 8


async def test_one_off_fires_once_and_is_done(bot: Bot) -> None:
    await bot.dm("朱东", "通知 2026-11-27 10:00 群=香樟雅苑业主群 置顶 明天上午停水")
    said = await bot.tick(timedelta(days=2))
    assert [s.text for s in said] == ["明天上午停水"]
    assert bot.adapter.sent[-1].pin
    listing = (await bot.dm("朱东", "通知列表"))[0].text
    assert "【已结束】" in listing and "下次：无" in listing


async def test_bad_input_schedules_nothing(bot: Bot) -> None:
    answers = [
        (await bot.dm("朱东", text))[0].text
        for text in (
            "通知 cron 0 25 * * * 内容",
            "通知 2020-01-01 10:00 过去",
            "通知 每天 09:00 群=火星群 内容",
            "通知 每天 09:00",
            "通知 下周吧 内容",
            "通知 每天 09:00 " + "长" * 2001,
        )
    ]
    assert "cron 的「时」字段「25」不对：应为 0–23" in answers[0]
    assert "Error" not in answers[0] and "value" not in answers[0]  # no APScheduler English
    assert "已经过去" in answers[1]
    assert "没有叫「火星群」的群" in answers[2]
    assert "请写上通知的内容" in answers[3]
    assert "看不懂时间" in answers[4]
    assert "太长" in answers[5]
    assert "只有" in (await bot.dm("王辉", "通知 每天 09:00 我要发通知"))[0].text
    assert await bot.say("王辉", "通知大家明天停水") == []  # in the group: chatter
    async with bot.db.unit_of_work() as uow:
        assert await uow.notices.listed() == []


async def test_pause_and_resume(bot: Bot) -> None:
    await bot.dm("朱东", "通知 每天 08:00 早")
    assert "已暂停通知 A1" in (await bot.dm("朱东", "暂停通知 A1"))[0].text
    assert to(await bot.tick(timedelta(days=2)), "群") == []  # Sat 09:00: two mornings missed
    said = await bot.dm("朱东", "恢复通知 A1")
    assert "11月29日 08:00" in said[0].text  # the missed ones are not posted
    assert [s.text for s in to(await bot.tick(timedelta(days=1)), "群")] == ["早"]
    assert "已经是进行中" in (await bot.dm("朱东", "恢复通知 A1"))[0].text
    assert "已删除通知 A1" in (await bot.dm("朱东", "删除通知 A1"))[0].text
    assert to(await bot.tick(timedelta(days=3)), "群") == []
    assert "没有找到通知 A1" in (await bot.dm("朱东", "暂停通知 A1"))[0].text


async def test_rotation_goes_through_the_library(bot: Bot) -> None:
    await bot.dm("朱东", "通知 每天 08:00 消防轮播")
    posted = [s.text for s in to(await bot.tick(timedelta(days=7)), "群")]
    assert len(posted) == 7
    in_november = [t for t in LIBRARY if t[0] != "春节烟花爆竹"]  # 春节 only in Jan and Feb
    assert [p.split("】")[0] + "】" for p in posted[:5]] == [
        t[1].split("】")[0] + "】" for t in in_november
    ]
    assert "飞线充电" in posted[0] and "飞线充电" in posted[5]  # round again
    assert "香樟雅苑" in posted[0] and "{社区}" not in posted[0]
    assert posted[0].endswith("及时断电。\n11月27日")  # the date on a line of its own
    assert not any("春节" in p for p in posted)


async def test_preview_goes_to_the_admin_privately(bot: Bot) -> None:
    await bot.dm("朱东", "通知 每周五 19:00 {社区}周末安全提醒")
    said = await bot.dm("朱东", "预览通知 A1")
    assert said[0].where == "朱东" and "香樟雅苑周末安全提醒" in said[0].text


def quiet_config(tmp_path: Path) -> Config:
    raw = example_raw()
    raw["announcement_settings"] = {"quiet_hours": "22:00-07:00", "grace_minutes": 60}
    return config_from(raw, tmp_path / "quiet.db")


async def test_quiet_hours_hold_a_notice_until_they_end(tmp_path: Path, clock: ManualClock) -> None:
    cfg = quiet_config(tmp_path)
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        await bot.app.start()
        said = await bot.dm("朱东", "通知 每天 23:00 晚安")
        assert "23:00 在免打扰时段（22:00-07:00）内" in said[0].text  # said at once
        said = await bot.dm("朱东", "通知 每天 20:00 早点休息")
        assert "免打扰" not in said[0].text
        await bot.dm("朱东", "删除通知 A2")
        assert await bot.tick(timedelta(hours=21, minutes=59)) == []  # Fri 06:59
        said = await bot.tick(timedelta(minutes=1))  # 07:00: the quiet hours end
        assert [s.text for s in said] == ["晚安"]


async def start_app(cfg: Config, clock: ManualClock) -> tuple[Database, Bot]:
    db = Database(cfg.storage.url)
    await db.migrate()
    bot = Bot(cfg, clock, db)
    await bot.app.start()
    return db, bot


async def test_restart_across_the_fire_time_posts_once_within_grace(
    cfg: Config, clock: ManualClock
) -> None:
    db, bot = await start_app(cfg, clock)
    await bot.dm("朱东", "通知 每天 10:00 今天的提醒")
    await db.close()  # the bot is down at 10:00
    clock.advance(timedelta(hours=1, minutes=30))
    for _ in range(2):  # started twice after the fire time
        db, again = await start_app(cfg, clock)
        await again.app.run_due()
        await again.flush()
        await db.close()
    db, last = await start_app(cfg, clock)
    async with last.db.unit_of_work() as uow:
        assert await uow.notices.occurrences(notice_id=1) == [
            (datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI), "posted")
        ]
        assert await uow.outbox.count(status="sent") == 2  # the admin's answer and the notice
    await db.close()


async def test_restart_beyond_the_grace_skips_and_logs(
    cfg: Config, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    db, bot = await start_app(cfg, clock)
    await bot.dm("朱东", "通知 每天 10:00 今天的提醒")
    await db.close()
    clock.advance(timedelta(hours=2, minutes=30))  # back at 11:30: an hour and a half late
    db, again = await start_app(cfg, clock)
    with caplog.at_level(logging.WARNING, logger="handlers.announcements"):
        await again.app.run_due()
    # not posted late, and not silently: whoever scheduled it is told, privately
    [told] = await again.flush()
    assert told.where == "朱东" and told.text.startswith("【通知未发布】A1「今天的提醒」")
    assert "11月26日 10:00" in told.text and "共错过" not in told.text
    assert any("A1" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)
    assert [s.text for s in await again.tick(timedelta(days=1))] == ["今天的提醒"]  # tomorrow
    await db.close()
    clock.advance(timedelta(days=3))  # down three days: told once, with the count
    db, third = await start_app(cfg, clock)
    await third.app.run_due()
    [told] = [s for s in await third.flush() if "通知未发布" in s.text]  # (and 三长 duties)
    assert told.where == "朱东" and "（同一通知共错过3次）" in told.text
    await db.close()


async def test_two_processes_on_one_database_post_each_occurrence_once(
    cfg: Config, clock: ManualClock
) -> None:
    db1, one = await start_app(cfg, clock)
    db2, two = await start_app(cfg, clock)
    await one.dm("朱东", "通知 每天 10:00 只发一次")
    for _ in range(3):  # three mornings, both processes waking at once each time
        morning = clock.now().astimezone(SHANGHAI).hour == 10
        clock.advance(timedelta(days=1) if morning else timedelta(hours=1))
        await asyncio.gather(one.app.run_due(), two.app.run_due())
        await one.flush()  # one sender: sharing an outbox between processes is issue 12's
    async with db1.unit_of_work() as uow:
        posted = [o for o in await uow.notices.occurrences(notice_id=1) if o[1] == "posted"]
    assert len(posted) == 3
    texts = [d.text for d in one.adapter.sent if d.is_group]
    assert texts == ["只发一次"] * 3
    await db1.close()
    await db2.close()


async def test_config_announcements_are_seeded_once_and_rescheduled_when_edited(
    tmp_path: Path, clock: ManualClock
) -> None:
    raw = example_raw()
    raw["announcements"] = [
        {"key": "weekly", "schedule": "每周五 19:00", "text": "{社区}每周消防提醒"},
        {"key": "spring", "schedule": "2026-01-01 10:00", "text": "已经过去的"},
    ]
    cfg = config_from(raw, tmp_path / "seed.db")
    for _ in range(2):
        db, _ = await start_app(cfg, clock)
        async with db.unit_of_work() as uow:
            listed = await uow.notices.listed()
        await db.close()
    assert [(n.number, n.status) for n in listed] == [("A1", "active"), ("A2", "done")]
    assert listed[0].next_run_at == datetime(2026, 11, 27, 19, 0, tzinfo=SHANGHAI)
    raw["announcements"][0]["schedule"] = "每周六 09:00"
    db, _ = await start_app(config_from(raw, tmp_path / "seed.db"), clock)
    async with db.unit_of_work() as uow:
        [weekly, _] = await uow.notices.listed()
    assert weekly.id == 1 and weekly.next_run_at == datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)
    await db.close()


async def test_a_config_announcement_rotates_when_it_says_so_not_by_its_text(
    tmp_path: Path, clock: ManualClock
) -> None:
    raw = example_raw()
    raw["announcements"] = [
        {"key": "fire", "schedule": "每周五 19:00", "rotate": True},
        {"key": "older", "schedule": "每周六 19:00", "text": "消防轮播"},  # older files
        {"key": "plain", "schedule": "每周日 19:00", "text": "轮流值班表已更新"},
    ]
    db, _ = await start_app(config_from(raw, tmp_path / "seed.db"), clock)
    async with db.unit_of_work() as uow:
        listed = await uow.notices.listed()
    await db.close()
    assert [n.rotate for n in listed] == [True, True, False]
    assert listed[0].text == listed[1].text == "消防轮播"  # listed as one made in chat
    with pytest.raises(ConfigError, match="rotate = true"):  # neither a text nor rotate
        config_from(
            {**raw, "announcements": [{"key": "x", "schedule": "每天 08:00"}]}, tmp_path / "x.db"
        )


async def test_the_sweep_wakes_for_the_next_notice_and_no_earlier(
    cfg: Config, clock: ManualClock
) -> None:
    db, bot = await start_app(cfg, clock)
    sweep = DueSweep(bot.app)
    bot.app.on_due_change = sweep.wake
    baseline = await sweep.sweep()  # the features' own moments (the 10:00 welfare look, …)
    await bot.dm("朱东", "通知 2026-11-26 09:30 春节提醒")  # before anything else is due
    assert await sweep.sweep() == datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
    await bot.dm("朱东", "暂停通知 A1")
    assert await sweep.sweep() == baseline
    await db.close()


async def test_a_notice_added_through_another_worker_is_seen_at_the_next_sweep(
    cfg: Config, clock: ManualClock
) -> None:
    db, here = await start_app(cfg, clock)
    db2, there = await start_app(cfg, clock)  # a second worker on the same database
    sweep = DueSweep(here.app)
    here.app.on_due_change = sweep.wake
    baseline = await sweep.sweep()
    await there.dm("朱东", "通知 2026-11-26 09:30 春节提醒")
    assert sweep.next_at == baseline  # this worker was not told (the other posts it)
    assert await sweep.sweep() == datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)  # resync
    clock.advance(timedelta(minutes=30))
    await sweep.sweep()  # both workers wake at 09:30: the occurrence is posted once
    await there.app.run_due()
    async with db.unit_of_work() as uow:
        assert len(await uow.notices.occurrences(notice_id=1)) == 1
    await db2.close()
    await db.close()


async def test_help_shows_notices_to_admins_only(bot: Bot) -> None:
    assert "通知" in (await bot.dm("朱东", "帮助"))[0].text
    assert "通知" not in (await bot.dm("王辉", "帮助"))[0].text


def test_seasonal_notices_only_in_their_season() -> None:
    from handlers.notice_library import in_season_after

    spring = [name for name, _ in LIBRARY].index("春节烟花爆竹")
    assert in_season_after(spring, 2) == 0  # February: its turn
    assert in_season_after(spring, 7) == 1  # July: the next one instead
    winter = [name for name, _ in LIBRARY].index("冬季用电")
    assert in_season_after(winter, 7) == 1 and in_season_after(winter, 12) == 0
