"""Events and RSVPs: capacity with guests, the waitlist, reminders, closing, rosters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from storage.events import GOING, WAITLIST
from tests.fakes import Bot, config_from, example_raw, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

# the clock fixture starts on Thursday 2026-11-26 09:00 in Shanghai
NEW = "发起活动 议事会 12月5日 19:00 党群服务中心 限3人 讨论加装电梯"


async def pid(bot: Bot, name: str) -> int:
    async with bot.db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name=name)
    assert person is not None
    return person.id


async def statuses(bot: Bot, event_id: int = 1) -> dict[str, list[tuple[int, int]]]:
    async with bot.db.unit_of_work() as uow:
        return {
            s: [
                (r.person_id, r.guests) for r in await uow.events.rsvps(event_id=event_id, status=s)
            ]
            for s in (GOING, WAITLIST)
        }


async def test_event_is_posted_with_an_rsvp_button(bot: Bot) -> None:
    said = await bot.dm("朱东", NEW)
    [post] = to(said, "群")
    assert "【活动 E1】议事会" in post.text and "名额：3人（含家属）" in post.text
    assert "讨论加装电梯" in post.text and post.buttons == ("报名 E1",)
    assert "已发起活动 E1" in to(said, "朱东")[0].text


async def test_capacity_counts_guests_and_the_waitlist_moves_up_in_order(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    assert "2人（含家属1人）" in (await bot.say("王辉", "报名 E1 +1"))[0].text
    assert "候补第1位（2人）" in (await bot.say("郭先德", "报名 E1 +1"))[0].text
    assert "候补第2位（2人）" in (await bot.say("小赵", "报名 E1 +1"))[0].text
    said = await bot.say("王辉", "取消报名 E1")
    assert "已取消 E1" in to(said, "群")[0].text
    assert "转为正式报名（2人）" in to(said, "郭先德")[0].text and to(said, "小赵") == []
    # 报名 E1 again says nothing of guests: a confirmation, which changes nothing
    assert "您已经报名 E1 了（2人）" in (await bot.say("郭先德", "报名 E1"))[0].text
    said = await bot.say("郭先德", "报名 E1 1人")  # one guest fewer: 2 places for the next
    assert "转为正式报名（2人）" in to(said, "小赵")[0].text
    got = await statuses(bot)
    assert [g for g, _ in got[GOING]] == [2, await pid(bot, "小赵")] and got[WAITLIST] == []


async def test_a_party_larger_than_the_event_is_told_so_not_waitlisted(bot: Bot) -> None:
    await bot.dm("朱东", NEW)  # 限3人, empty
    said = await bot.dm("王辉", "报名 E1 +3")
    assert "限3人，您一共4人，超过了名额，没有为您报名" in to(said, "王辉")[0].text
    assert (await statuses(bot)) == {GOING: [], WAITLIST: []}
    assert "3人（含家属2人）" in (await bot.say("王辉", "报名 E1 +2"))[0].text


async def test_a_cancel_by_someone_else_says_what_was_refused(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    said = await bot.dm("李娜", "取消活动 E1")
    assert to(said, "李娜")[0].text == "只有活动发起人和管理员可以取消 E1。"
    said = await bot.dm("李娜", "名单 E1")
    assert to(said, "李娜")[0].text == "只有活动发起人和管理员可以查看 E1 的名单。"


async def test_the_waitlist_gives_places_to_the_next_party_that_fits(bot: Bot) -> None:
    await bot.dm("朱东", NEW)  # 3 places
    await bot.say("王辉", "报名 E1 +1")
    await bot.say("赵敏", "报名 E1")  # full
    assert "候补第1位（3人）" in (await bot.say("何伟", "报名 E1 +2"))[0].text
    assert "候补第2位（1人）" in (await bot.say("钱奶奶", "报名 E1"))[0].text
    said = await bot.say("王辉", "取消报名 E1")  # 2 places free: 何伟's three do not fit
    assert to(said, "何伟") == [] and "转为正式报名（1人）" in to(said, "钱奶奶")[0].text
    assert [p for p, _ in (await statuses(bot))[WAITLIST]] == [await pid(bot, "何伟")]
    assert "已报名" in (await bot.say("小赵", "报名 E1"))[0].text  # the last place fits him
    await bot.say("赵敏", "取消报名 E1")
    said = await bot.say("钱奶奶", "取消报名 E1")
    assert to(said, "何伟") == []  # 2 places, still not three
    said = await bot.say("小赵", "取消报名 E1")
    assert "转为正式报名（3人）" in to(said, "何伟")[0].text  # once it fits


async def test_changing_guests_and_silly_counts(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    await bot.say("王辉", "报名 E1")
    assert "已经报名 E1 了" in (await bot.say("王辉", "报名 E1"))[0].text
    assert "已修改 E1 的报名：3人" in (await bot.say("王辉", "报名 E1 +2"))[0].text
    assert "最多还能为您安排3人" in (await bot.say("王辉", "报名 E1 +3"))[0].text
    for bad in ("报名 E1 -1", "报名 E1 +99", "报名 E1 很多"):
        assert "家属人数请写0到5之间" in (await bot.say("小赵", bad))[0].text
    assert "没有找到活动 E9" in (await bot.say("小赵", "报名 E9"))[0].text
    assert (await statuses(bot))[GOING] == [(1, 2)]


async def test_bad_events_are_refused(bot: Bot) -> None:
    assert "只有" in (await bot.dm("王辉", NEW))[0].text
    assert "请私聊我发送" in (await bot.say("朱东", NEW))[0].text  # not in a group
    assert await bot.say("王辉", NEW) == []  # residents say 发起活动 too: chatter
    assert "已经过去了" in (await bot.dm("朱东", "发起活动 议事会 11月20日 19:00 活动室"))[0].text
    assert "用法" in (await bot.dm("朱东", "发起活动 议事会 某天 活动室"))[0].text
    assert (
        "没有叫「火星群」的群"
        in (await bot.dm("朱东", "发起活动 议事会 12月5日 19:00 活动室 群=火星群"))[0].text
    )
    async with bot.db.unit_of_work() as uow:
        assert await uow.events.upcoming(now=bot.clock.now()) == []


async def test_reminders_the_evening_before_and_before_the_start(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    await bot.say("王辉", "报名 E1 +1")
    said = await bot.tick(timedelta(days=8, hours=10, minutes=59))  # Fri 12-04 19:59
    assert not [s for s in to(said, "王辉") if "活动提醒" in s.text]
    said = await bot.tick(timedelta(minutes=1))  # 20:00 the evening before
    assert "明天 19:00 在党群服务中心有「议事会」" in to(said, "王辉")[0].text
    said = await bot.tick(timedelta(hours=21))  # Sat 17:00: two hours before
    assert "17:00" not in to(said, "王辉")[0].text and "别忘了" in to(said, "王辉")[0].text
    said = await bot.tick(timedelta(hours=3))
    assert [s for s in said if "活动提醒" in s.text] == []  # each reminder once
    assert "已经开始" in (await bot.say("小赵", "报名 E1"))[0].text


async def test_organiser_gets_a_running_count_not_a_message_per_rsvp(bot: Bot) -> None:
    await bot.dm("朱东", "发起活动 招聘会 12月10日 9:00 广场 限100人")
    for name in ("王辉", "郭先德", "小赵", "小钱"):
        await bot.say(name, "报名 E1")
    said = await bot.tick(timedelta(minutes=1))
    assert [s.text for s in to(said, "朱东")] == [
        "【报名进展 E1】「招聘会」已报名4人（限100人），候补0人。"
    ]
    await bot.say("小孙", "报名 E1")
    assert to(await bot.tick(timedelta(minutes=30)), "朱东") == []  # not again within the hour
    said = await bot.tick(timedelta(minutes=30))
    assert "已报名5人" in to(said, "朱东")[0].text
    assert to(await bot.tick(timedelta(hours=3)), "朱东") == []  # no change, no message


async def test_roster_export_close_and_cancel(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    await bot.say("王辉", "报名 E1 +1")
    await bot.say("郭先德", "报名 E1 +1")
    roster = (await bot.dm("朱东", "名单 E1"))[0].text
    assert "1. 王辉 +1" in roster and "候补：\n1. 郭先德 +1" in roster
    assert "只有活动发起人和管理员" in (await bot.dm("李娜", "名单 E1"))[0].text
    await bot.dm("朱东", "导出名单 E1")
    rows = list(
        load_workbook(bot.adapter.sent[-1].document or "").active.iter_rows(values_only=True)
    )
    assert [r[2:5] for r in rows[1:]] == [("王辉", 1, "已报名"), ("郭先德", 1, "候补")]
    assert "已关闭 E1" in (await bot.dm("朱东", "关闭活动 E1"))[0].text
    assert "已关闭报名" in (await bot.say("小赵", "报名 E1"))[0].text
    said = await bot.dm("朱东", "取消活动 E1")
    assert "取消了" in to(said, "王辉")[0].text and "取消了" in to(said, "郭先德")[0].text
    assert "【活动取消】" in to(said, "群")[0].text


async def test_step_by_step_creation(bot: Bot) -> None:
    assert "叫什么名字" in (await bot.dm("朱东", "发起活动"))[0].text
    assert "什么时候" in (await bot.dm("朱东", "公益课堂"))[0].text
    assert "没看懂时间" in (await bot.dm("朱东", "过几天"))[0].text
    assert "在哪里" in (await bot.dm("朱东", "明天 下午3点"))[0].text
    assert "限多少人" in (await bot.dm("朱东", "社区活动室"))[0].text
    said = await bot.dm("朱东", "20")
    assert (
        "已发起活动 E1：公益课堂，明天 11月27日（周五） 15:00，社区活动室，限20人"
        in to(said, "朱东")[0].text
    )
    assert to(said, "群")


async def test_group_post_shows_counts_never_a_list(bot: Bot) -> None:
    await bot.dm("朱东", "发起活动 招聘会 12月10日 9:00 广场 限500人")
    for i in range(30):
        await bot.say(f"居民{i}", "报名 E1")
    listing = (await bot.say("王辉", "活动"))[0].text
    assert "还剩470个名额" in listing and "居民" not in listing


def grid_config(tmp_path: Path) -> Config:
    raw = example_raw()
    raw["console"] = {**raw["console"], "buildings": []}  # no grid's own group here
    raw["groups"] = [
        {
            "name": "一网格群",
            "platform": "telegram",
            "chat_id": "-1001",
            "buildings": ["1栋", "2栋", "3栋", "4栋"],
        },
        {
            "name": "二网格群",
            "platform": "telegram",
            "chat_id": "-1002",
            "buildings": ["5栋", "6栋"],
        },
    ]
    return config_from(raw, tmp_path / "grid.db")


async def test_grid_workers_post_events_to_their_own_grid(
    tmp_path: Path, clock: ManualClock
) -> None:
    cfg = grid_config(tmp_path)
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        bot.app.settings = cfg.settings(platforms=("console", "telegram"))
        await bot.app.start()
        said = await bot.dm("李娜", "发起活动 楼道清理 12月6日 9:00 3栋门口")
        assert "已发到：一网格群" in said[0].text
        said = await bot.dm("李娜", "发起活动 楼道清理 12月6日 9:00 5栋 群=二网格群")
        assert "只能把活动发到自己网格的群（一网格群）" in said[0].text
        said = await bot.dm("朱东", "发起活动 议事会 12月6日 9:00 活动室 群=二网格群")
        assert "已发到：二网格群" in said[0].text


@pytest.mark.parametrize("guests", ["+2", "2", "加2人", "带2人"])
async def test_guest_forms(bot: Bot, guests: str) -> None:
    await bot.dm("朱东", NEW)
    assert "3人（含家属2人）" in (await bot.say("王辉", f"报名 E1 {guests}"))[0].text


async def test_grid_workers_create_events_in_the_demo(bot: Bot) -> None:
    said = await bot.dm("李娜", "发起活动 楼道清理 12月6日 9:00 3栋门口")
    assert "已发起活动 E1" in to(said, "李娜")[0].text and to(said, "群")
    assert "叫什么名字" in (await bot.dm("陈刚", "发起活动"))[0].text


async def test_a_grid_worker_without_a_group_is_refused_before_the_dialog(
    tmp_path: Path, clock: ManualClock
) -> None:
    cfg = grid_config(tmp_path)
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        await bot.app.start()  # the console only: its group has no buildings
        said = await bot.dm("李娜", "发起活动")
        assert "只能把活动发到自己网格的群（无）" in said[0].text
        assert "叫什么名字" not in said[0].text
        async with db.unit_of_work() as uow:
            lina = await uow.people.find_by_name(name="李娜")
            assert lina is not None and await uow.events.draft_of(person_id=lina.id) is None


@pytest.mark.parametrize("capacity", ["限-3人", "限0人", "限三十人"])
async def test_a_capacity_not_understood_is_refused_not_unlimited(bot: Bot, capacity: str) -> None:
    said = await bot.dm("朱东", f"发起活动 议事会 12月5日 19:00 活动室 {capacity}")
    assert f"看不懂名额「{capacity}」" in said[0].text and not to(said, "群")


async def test_after_the_start_nothing_is_cancelled(bot: Bot) -> None:
    await bot.dm("朱东", "发起活动 议事会 11月26日 10:00 活动室 限3人")
    await bot.say("王辉", "报名 E1")
    await bot.tick(timedelta(hours=1, minutes=1))  # 10:01: it has begun
    said = await bot.say("王辉", "取消报名 E1")
    assert "10:00开始，不能再取消报名了" in said[0].text and len(said) == 1
    said = await bot.dm("朱东", "取消活动 E1")
    assert "不能再取消了" in said[0].text and not to(said, "群") and not to(said, "王辉")


async def test_a_cancelled_event_is_not_cancelled_or_closed_again(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    await bot.say("王辉", "报名 E1")
    await bot.dm("朱东", "取消活动 E1")
    said = await bot.dm("朱东", "取消活动 E1")
    assert "已经取消了" in said[0].text and not to(said, "王辉") and not to(said, "群")
    assert "已经取消了" in (await bot.dm("朱东", "关闭活动 E1"))[0].text
    assert "没有报名" in (await bot.say("王辉", "取消报名 E1"))[0].text


async def test_an_rsvp_said_again_without_a_number_changes_nothing(bot: Bot) -> None:
    await bot.dm("朱东", NEW)
    await bot.say("王辉", "报名 E1 +1")
    assert "您已经报名 E1 了（2人）" in (await bot.say("王辉", "E1 报名"))[0].text
    assert [g for g, _ in (await statuses(bot))[GOING]] == [await pid(bot, "王辉")]


async def test_no_reminder_is_promised_for_an_event_too_soon_to_remind(bot: Bot) -> None:
    # 09:00 now; the reminder comes 120 minutes before the start
    await bot.dm("朱东", "发起活动 读书会 今天 10:00 图书室 限5人")
    [going] = await bot.say("赵敏", "报名 E1")
    assert "已报名 E1" in going.text and "提醒" not in going.text
    await bot.dm("朱东", "发起活动 议事会 12月5日 19:00 党群服务中心 限30人")
    assert "活动前会提醒您" in (await bot.say("赵敏", "报名 E2"))[0].text
