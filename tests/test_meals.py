"""The canteen: cutoffs, capacity, proxies, cancellation, the summary and its export."""

from __future__ import annotations

import asyncio
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.config import Config
from handlers import texts
from handlers.clock import ManualClock
from handlers.when import parse_day
from storage import Database
from tests.fakes import EXAMPLE, ROOT, Bot, config_from, example_raw, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

# the clock fixture starts on Thursday 2026-11-26 09:00 in Shanghai; lunch closes 09:30


async def test_sign_up_with_every_option(bot: Bot) -> None:
    said = await bot.dm("王辉", "报餐 明天 晚餐 2份 送餐 少盐 软一点")
    text = said[0].text
    assert "明天 11月27日（周五）晚餐 2份 送餐，备注：少盐 软一点" in text
    assert "菜单：南瓜粥 包子" in text and "11月27日 15:00 前" in text
    assert said[0].buttons == (
        "取消报餐 明天 晚餐",
        "报餐 明天 晚餐 2份 堂食",
        "报餐 明天 晚餐 3份",
    )
    async with bot.db.unit_of_work() as uow:
        [s] = await uow.meals.upcoming_of(person_id=1, since=date(2026, 11, 26))
    assert (s.day, s.meal, s.portions, s.delivery, s.note) == (
        date(2026, 11, 27),
        "dinner",
        2,
        True,
        "少盐 软一点",
    )
    said = await bot.dm("王辉", "", action="报餐 明天 晚餐 2份 堂食")  # a button press
    assert "已修改为您报餐：明天 11月27日（周五）晚餐 2份 堂食" in said[0].text


async def test_defaults_and_written_forms_of_the_day(bot: Bot) -> None:
    assert "今天 11月26日（周四）午餐 1份 堂食" in (await bot.dm("王辉", "报餐"))[0].text
    assert "12月3日（周四）午餐" in (await bot.dm("王辉", "报餐 12月3日"))[0].text
    assert "11月30日（周一）午餐" in (await bot.dm("王辉", "报餐 周一"))[0].text
    assert "12月1日（周二）晚餐" in (await bot.dm("王辉", "报餐2026-12-01晚饭"))[0].text


async def test_portions_written_in_chinese(bot: Bot) -> None:
    assert "明天 11月27日（周五）午餐 2份" in (await bot.dm("王辉", "报餐 明天 午餐 两份"))[0].text
    assert "明天 11月27日（周五）晚餐 3份" in (await bot.dm("王辉", "报餐 明天 晚餐 三份"))[0].text
    refused = (await bot.dm("王辉", "报餐 后天 午餐 十份"))[0].text  # 10: over the limit
    assert texts.MEAL_PORTIONS.format(max=3) in refused


def test_parse_day() -> None:
    thursday = date(2026, 11, 26)
    assert parse_day("周四", thursday) == (thursday, 2)
    assert parse_day("下周一", thursday) == (date(2026, 11, 30), 3)
    assert parse_day("星期三 午餐", thursday) == (date(2026, 12, 2), 3)
    assert parse_day("1月3日", date(2026, 12, 30)) == (date(2027, 1, 3), 4)
    assert parse_day("午餐", thursday) is None


async def test_after_the_cutoff_changes_are_refused(bot: Bot) -> None:
    await bot.dm("王辉", "报餐 今天 午餐")
    await bot.tick(timedelta(minutes=30))  # 09:30: lunch has closed
    said = await bot.dm("王辉", "取消报餐 今天 午餐")
    assert "11月26日 09:30 截止" in said[0].text
    said = await bot.dm("小赵", "报餐 今天 午餐")
    assert "截止" in said[0].text
    assert "今天 11月26日（周四）晚餐" in (await bot.dm("小赵", "报餐 今天 晚餐"))[0].text


async def test_bad_requests_write_nothing(bot: Bot) -> None:
    answers = [
        (await bot.dm("小赵", text))[0].text
        for text in (
            "报餐 昨天",
            "报餐 12月30日",  # more than 7 days ahead
            "报餐 明天 4份",
            "报餐 明天 0份",
            "报餐 明天 送餐",  # no address
            "报餐 13月1日",
            "报餐 明天 代 不存在的人",
        )
    ]
    assert "已经过去" in answers[0]
    assert "最多只能提前7天" in answers[1]
    assert "最多3份" in answers[2] and "最多3份" in answers[3]
    assert "绑定" in answers[4]
    assert "没有「13月1日」这一天" in answers[5]
    assert "没有找到「不存在的人」" in answers[6]
    async with bot.db.unit_of_work() as uow:
        assert await uow.meals.signups(day=date(2026, 11, 27), meal="lunch") == []


@pytest.fixture
def small_canteen(tmp_path: Path) -> Config:
    raw = example_raw()
    raw["canteen"]["lunch_capacity"] = 3
    return config_from(raw, tmp_path / "small.db")


async def test_capacity_counts_portions_and_says_what_is_left(
    small_canteen: Config, clock: ManualClock
) -> None:
    cfg = small_canteen
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        await bot.app.start()
        await bot.dm("王辉", "报餐 明天 2份")
        said = await bot.dm("郭先德", "报餐 明天 2份")
        assert "只剩1份了（限3份）" in said[0].text
        assert "1份" in (await bot.dm("郭先德", "报餐 明天 1份"))[0].text
        # changing one's own sign-up does not count it twice
        updated = (await bot.dm("王辉", "报餐 明天 2份 少盐"))[0].text
        assert "已修改为您报餐" in updated and "已已" not in updated
        await bot.dm("王辉", "取消报餐 明天")
        assert "3份" in (await bot.dm("郭先德", "报餐 明天 3份"))[0].text
        said = await bot.dm("钱奶奶", "报餐 明天")
        assert "明天 11月27日（周五）午餐已经订满了（限3份）" in said[0].text
        assert "只剩0份" not in said[0].text


async def test_proxy_for_an_elder_and_cancellation(bot: Bot) -> None:
    said = await bot.dm("张正芳", "报餐 明天 午餐 代 郭先德 送餐 软食")
    assert "已为郭先德报餐" in to(said, "张正芳")[0].text
    assert "8元（80岁以上）" in to(said, "张正芳")[0].text
    assert "张正芳为您报了餐" in to(said, "郭先德")[0].text
    assert "明天 11月27日（周五）午餐 1份 送餐" in (await bot.dm("郭先德", "我的"))[0].text
    said = await bot.dm("张正芳", "取消报餐 明天 午餐 代 郭先德")
    assert "已取消郭先德" in said[0].text
    assert "没有未办结" in (await bot.dm("郭先德", "我的"))[0].text
    assert "没有报餐" in (await bot.dm("张正芳", "取消报餐 明天 代 郭先德"))[0].text


async def test_cutoff_sends_the_summary_and_the_grids_delivery_lists(bot: Bot) -> None:
    await bot.dm("张正芳", "报餐 明天 午餐 代 郭先德 送餐 软食")
    await bot.dm("王辉", "报餐 明天 午餐 2份 送餐")
    await bot.dm("陈刚", "报餐 明天 午餐")
    said = await bot.tick(timedelta(days=1))  # Friday 09:00: not yet
    assert not to(said, "刘师傅")
    said = await bot.tick(timedelta(minutes=30))  # 09:30
    [summary] = to(said, "刘师傅")
    text = summary.text
    assert "共3人 4份：堂食1份，送餐3份" in text
    assert text.index("3栋：") < text.index("王辉 3栋2单元501 2份") < text.index("5栋：")
    assert "郭先德 5栋1单元102 1份 软食（张正芳代报）" in text
    assert text.index("送餐名单") < text.index("堂食名单") < text.index("陈刚")
    [first_grid] = to(said, "李娜")
    assert "王辉" in first_grid.text and "郭先德" not in first_grid.text
    [second_grid] = to(said, "陈刚")
    assert "郭先德 5栋1单元102" in second_grid.text and "王辉" not in second_grid.text
    assert not [s for s in await bot.tick(timedelta(hours=6)) if s.where == "刘师傅"]
    assert "截止" in (await bot.dm("王辉", "报餐 今天 午餐 3份"))[0].text


async def test_menu_set_in_chat_and_shown(bot: Bot) -> None:
    said = await bot.dm("刘师傅", "设置菜单 明天 午餐 红烧鱼 青菜 米饭 12元")
    assert "已设置明天 11月27日（周五）午餐菜单：红烧鱼 青菜 米饭 12元" in said[0].text
    menu = (await bot.dm("王辉", "菜单"))[0].text
    assert "11月27日（周五） 午餐：红烧鱼 青菜 米饭 12元" in menu
    assert "11月26日（周四） 午餐：肉末茄子 冬瓜汤 米饭" in menu  # from the weekly table
    assert "只有" in (await bot.dm("王辉", "设置菜单 明天 午餐 龙虾"))[0].text


async def test_xlsx_export_holds_the_rows_of_the_summary(bot: Bot, tmp_path: Path) -> None:
    await bot.dm("张正芳", "报餐 明天 午餐 代 郭先德 送餐 软食")
    await bot.dm("王辉", "报餐 明天 午餐 2份 送餐")
    await bot.dm("陈刚", "报餐 明天 午餐")
    said = await bot.dm("刘师傅", "导出报餐 明天 午餐")
    assert "3行" in said[0].text
    path = Path(bot.adapter.sent[-1].document or "")
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0] == ("日期", "餐次", "楼栋", "姓名", "住址", "份数", "方式", "备注", "代报人")
    assert rows[1:] == [
        ("2026-11-27", "午餐", "3栋", "王辉", "3栋2单元501", 2, "送餐", None, None),
        ("2026-11-27", "午餐", "5栋", "郭先德", "5栋1单元102", 1, "送餐", "软食", "张正芳"),
        ("2026-11-27", "午餐", "未登记住址", "陈刚", "未登记住址", 1, "堂食", None, None),
    ]
    summary = (await bot.tick(timedelta(days=1, minutes=30)))[0].text
    for row in rows[1:]:
        assert f"{row[3]} {row[4]} {row[5]}份" in summary


async def test_cli_export_writes_csv(bot: Bot, tmp_path: Path) -> None:
    await bot.dm("王辉", "报餐 明天 午餐 少盐")
    db = bot.cfg.storage.url
    out = tmp_path / "m.csv"
    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "export",
        "meals",
        "--date",
        "2026-11-27",
        "--format",
        "csv",
        "--out",
        str(out),
        "--db",
        db,
        "--config",
        str(EXAMPLE),
        cwd=ROOT,
    )
    assert await run.wait() == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "日期,餐次,楼栋,姓名,住址,份数,方式,备注,代报人",
        "2026-11-27,午餐,3栋,王辉,3栋2单元501,1,堂食,少盐,",
    ]


async def test_canteen_queries_do_not_guess_and_csv_is_csv(bot: Bot) -> None:
    await bot.dm("王辉", "报餐 明天 午餐")
    said = await bot.dm("刘师傅", "报餐统计 后年")
    assert "看不懂「后年」" in said[0].text and "今天" not in said[0].text
    said = await bot.dm("刘师傅", "导出报餐 明天 csv")
    path = Path(bot.adapter.sent[-1].document or "")
    assert path.name == "meals-2026-11-27.csv"  # a name one can read, no id glued on
    assert "王辉" in path.read_text(encoding="utf-8-sig")
    assert "看不懂「随便」" in (await bot.dm("刘师傅", "导出报餐 明天 随便"))[0].text
    await bot.dm("刘师傅", "导出报餐 明天 csv")  # again: replaces the file, does not pile up
    names = {p.name for p in path.parent.iterdir() if p.name.startswith("meals-")}
    assert names <= {"meals-2026-11-27.csv", "meals-2026-11-27.xlsx"}


async def test_menu_words_say_what_they_mean(bot: Bot) -> None:
    said = await bot.dm("刘师傅", "设置菜单 昨天 午餐 红烧鱼")
    assert "不能再设置菜单" in said[0].text and "报餐" not in said[0].text
    menu = (await bot.dm("王辉", "本周菜单"))[0].text
    assert "今天起七天的菜单" in menu and "本周" not in menu


async def test_a_sign_up_said_again_without_portions_keeps_them(bot: Bot) -> None:
    """报餐 明天 中午 after 2份 is a confirmation, not a silent change to 1份."""
    assert "2份" in (await bot.say("钱奶奶", "报餐 明天 午餐 ２份"))[0].text
    [again] = await bot.say("钱奶奶", "报餐 明天 中午")
    assert "午餐 2份" in again.text
    assert "午餐 1份" in (await bot.say("钱奶奶", "报餐 明天 午餐 1份"))[0].text


async def test_an_elders_age_band_is_not_posted_in_the_group(bot: Bot) -> None:
    [group] = await bot.say("钱奶奶", "报餐 明天 午餐")
    assert "价格" in group.text and "岁" not in group.text
    [private] = await bot.dm("钱奶奶", "报餐 后天 午餐")
    assert "岁" in private.text  # her own price tier, told to her alone


async def test_a_bare_cancel_with_several_meals_asks_which(bot: Bot) -> None:
    await bot.say("钱奶奶", "报餐 明天 午餐")
    await bot.say("钱奶奶", "报餐 后天 午餐")
    [asked] = await bot.say("钱奶奶", "取消报餐")
    assert "请写明取消哪一顿" in asked.text and "明天" in asked.text and "后天" in asked.text
    async with bot.db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name="钱奶奶")
        assert person is not None
        assert (
            len(await uow.meals.upcoming_of(person_id=person.id, since=bot.clock.now().date())) == 2
        )
    assert "已取消" in (await bot.say("钱奶奶", "取消报餐 明天 午餐"))[0].text
    assert "已取消" in (await bot.say("钱奶奶", "取消报餐"))[0].text  # one left: no doubt


async def test_only_family_a_lead_or_staff_may_book_for_someone_else(bot: Bot) -> None:
    await bot.dm("孙阿姨", "报餐 明天 午餐 代 郭先德")  # his 邻长
    [refused] = await bot.say("王辉", "报餐 明天 午餐 2份 代 郭先德")  # a neighbour
    assert "同一户的家人、邻长、志愿者或社区工作人员" in refused.text
    assert "同一户" in (await bot.say("王辉", "取消报餐 明天 午餐 代 郭先德"))[0].text
    async with bot.db.unit_of_work() as uow:
        guo = await uow.people.find_by_name(name="郭先德")
        assert guo is not None
        [meal] = await uow.meals.upcoming_of(person_id=guo.id, since=bot.clock.now().date())
    assert meal.portions == 1  # what his 邻长 booked stands
