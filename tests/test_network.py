"""The 三长 network: duty lists, visits, overdue visits up the chain, welfare, 点单."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from tests.conftest import SHANGHAI
from tests.fakes import Bot, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL

# the clock fixture starts on Thursday 2026-11-26 09:00; Monday 11-30 09:00 is the next duty
TO_MONDAY = timedelta(days=4)


async def test_the_duty_list_and_a_visit_removing_a_household(bot: Bot) -> None:
    text = (await bot.dm("孙阿姨", "走访清单"))[0].text
    assert "5栋1单元102 郭先德，独居老人" in text and "5栋1单元201 钱奶奶，困境" in text
    assert "本季度还未走访的住户：\n· 3栋2单元501 王辉" in text
    said = await bot.dm("孙阿姨", "走访 5栋1单元102 身体好，血压正常")
    assert "已记录走访 5栋1单元102（郭先德，独居老人）" in said[0].text
    assert "本周重点户还有1户未走访：5栋1单元201" in said[0].text
    text = (await bot.dm("孙阿姨", "走访清单"))[0].text
    assert "郭先德" not in text and "钱奶奶" in text


async def test_visits_only_by_the_households_lead(bot: Bot) -> None:
    assert "只有" in (await bot.dm("李娜", "走访 5栋1单元102 好"))[0].text
    await bot.dm("朱东", "设置角色 王辉 邻长")
    said = await bot.dm("王辉", "走访 5栋1单元102 好")
    assert "不是您联系的住户（联系人：孙阿姨）" in said[0].text
    assert "没有登记「6栋1单元101」" in (await bot.dm("孙阿姨", "走访 6栋1单元101 好"))[0].text
    assert "用法" in (await bot.dm("孙阿姨", "走访 很好"))[0].text
    async with bot.db.unit_of_work() as uow:
        h = await uow.households.by_address(address="5栋1单元102")
        assert h is not None and await uow.households.last_visit(household_id=h.id) is None


@contextlib.asynccontextmanager
async def started(cfg: Config, start: datetime) -> AsyncIterator[Bot]:
    """The demo community, started (and its households first known) at `start`."""
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, ManualClock(start), db)
        await bot.app.start()
        yield bot


async def test_monday_lists_and_overdue_visits_go_up_the_chain(cfg: Config) -> None:
    async with started(cfg, datetime(2026, 11, 12, 9, 0, tzinfo=SHANGHAI)) as bot:
        await bot.tick(timedelta(days=14))  # Thursday 11-26
        await bot.dm("孙阿姨", "走访 5栋1单元102 好")  # this week
        said = await bot.tick(TO_MONDAY)  # Monday 11-30 09:00
        [duty] = [s for s in to(said, "孙阿姨") if s.text.startswith("【本周走访清单】")]
        assert "郭先德" in duty.text
        [up] = to(said, "周组长")
        assert "孙阿姨上周没有走访以下重点户" in up.text
        assert "钱奶奶" in up.text and "郭先德" not in up.text
        [community] = [s for s in to(said, "张正芳") if "两周" in s.text]
        assert "钱奶奶" in community.text
        welfare = [s for s in said if "关爱提醒" in s.text and "5栋1单元201" in s.text]
        assert {s.where for s in welfare} == {"孙阿姨", "陈刚"}
        assert not [s for s in await bot.tick(timedelta(hours=5)) if "走访" in s.text]


async def test_a_household_new_to_the_bot_is_not_overdue_yet(bot: Bot) -> None:
    said = await bot.tick(TO_MONDAY)  # the households were first known on Thursday
    assert to(said, "孙阿姨") and to(said, "周组长") == []
    assert not [s for s in said if "关爱提醒" in s.text]


async def test_quarterly_households_are_checked_at_the_new_quarter(cfg: Config) -> None:
    async with started(cfg, datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)) as bot:
        await bot.tick(timedelta(days=59))  # 11-26
        await bot.dm("孙阿姨", "走访 5栋1单元102 好")
        said = await bot.tick(timedelta(days=39))  # Monday 2027-01-04 09:00, a new quarter
        quarter = [s for s in to(said, "周组长") if "上季度没有走访" in s.text]
        assert len(quarter) == 1 and "王辉" in quarter[0].text
        assert "郭先德" not in quarter[0].text


async def test_a_visit_note_can_file_a_report_or_sign_up_a_meal(bot: Bot) -> None:
    said = await bot.dm("孙阿姨", "走访 5栋1单元102 腿脚不便 报餐 明天 送餐 软食")
    assert (
        "已为郭先德报餐：明天 11月27日（周五）午餐 1份 送餐，备注：软食"
        in to(said, "孙阿姨")[-1].text
    )
    said = await bot.dm("孙阿姨", "走访 5栋1单元102 上报 楼道堆物挡路")
    alert = [s for s in to(said, "陈刚") if "【隐患上报 H1】" in s.text]
    assert alert and "郭先德（由孙阿姨代报）" in alert[0].text


async def test_service_order_routing_and_feedback(bot: Bot) -> None:
    said = await bot.dm("郭先德", "点单 理发 5栋1单元102 周六上午")
    assert "已收到点单 S1（理发，周六上午），已转给小林" in to(said, "郭先德")[0].text
    [alert] = to(said, "小林")
    assert "5栋1单元102" in alert.text and alert.buttons == ("接单 S1", "办结 S1")
    said = await bot.dm("小林", "接单 S1")
    assert "已接单 S1" in to(said, "小林")[0].text and "小林接单" in to(said, "郭先德")[0].text
    said = await bot.dm("小林", "办结 S1 已理发")
    assert "已完成：已理发" in to(said, "郭先德")[0].text
    said = await bot.dm("郭先德", "不满意 S1 剪得太短")
    assert "剪得太短" in to(said, "小林")[0].text
    await bot.dm("小林", "办结 S1 已修剪")
    assert "感谢" in (await bot.dm("郭先德", "满意 S1"))[0].text
    assert "不是给您的" in (await bot.dm("李娜", "接单 S1"))[0].text


async def test_bad_orders(bot: Bot) -> None:
    assert (
        "没有「按摩」这项服务。可点的服务：理发、助浴"
        in (await bot.dm("王辉", "点单 按摩 周六"))[0].text
    )
    assert "已经过去了" in (await bot.dm("王辉", "点单 理发 昨天"))[0].text
    assert "请写上地址" in (await bot.dm("小赵", "点单 理发 周六"))[0].text
    assert "S1" in (await bot.dm("王辉", "点单 理发 周六"))[0].text  # his bound address


async def test_an_order_not_acknowledged_in_time_is_chased(bot: Bot) -> None:
    await bot.dm("郭先德", "点单 理发 周六")
    said = await bot.tick(timedelta(hours=24))
    assert "点单提醒 S1" in to(said, "小林")[0].text
    assert "24小时无人接单" in to(said, "张正芳")[0].text
    assert not [s for s in await bot.tick(timedelta(hours=24)) if "S1" in s.text]


async def test_an_elder_who_stops_signing_up_for_meals_is_flagged_once(bot: Bot) -> None:
    for day in ("今天 晚餐", "明天", "后天"):
        await bot.dm("郭先德", f"报餐 {day}")
    said = await bot.tick(timedelta(days=5))  # Tue 12-01 09:00: the last meal was Saturday
    assert not [s for s in said if "平时常在长者食堂报餐" in s.text]
    said = await bot.tick(timedelta(hours=1))  # Tue 10:00: Sun, Mon, Tue without a meal
    flagged = [s for s in said if "平时常在长者食堂报餐" in s.text]
    assert {s.where for s in flagged} == {"孙阿姨", "陈刚"}
    assert "郭先德（5栋1单元102）" in flagged[0].text and "已经3天没有报餐" in flagged[0].text
    assert not [s for s in await bot.tick(timedelta(days=2)) if "平时常在" in s.text]


async def test_coverage_in_stats(bot: Bot) -> None:
    await bot.dm("孙阿姨", "走访 5栋1单元102 好")
    text = (await bot.dm("朱东", "统计"))[0].text
    assert "本周重点户走访覆盖：\n· 孙阿姨：1/2\n· 第二网格：1/2" in text


async def test_admins_change_households_and_leads_in_chat(bot: Bot) -> None:
    await bot.dm("朱东", "设置角色 王辉 邻长")
    assert (
        "5栋1单元102由王辉联系走访" in (await bot.dm("朱东", "指派邻长 5栋1单元102 王辉"))[0].text
    )
    assert "郭先德" in (await bot.dm("王辉", "走访清单"))[0].text
    assert "郭先德" not in (await bot.dm("孙阿姨", "走访清单"))[0].text
    said = await bot.dm("朱东", "重点户 3栋2单元501 留守")
    assert "已设为重点户（留守）" in said[0].text
    duty_list = (await bot.dm("孙阿姨", "走访清单"))[0].text
    assert "重点户（每周至少一次）：" in duty_list and "· 3栋2单元501 王辉，留守" in duty_list
    assert "· 3栋2单元501 王辉（" not in duty_list  # no longer among the quarterly ones
    assert "不再是重点户" in (await bot.dm("朱东", "取消重点户 3栋2单元501"))[0].text
    assert "李娜不是邻长" in (await bot.dm("朱东", "指派邻长 5栋1单元102 李娜"))[0].text
    for text in ("指派邻长 8栋1单元101 孙阿姨", "重点户 8栋1单元101 独居", "取消重点户 5栋"):
        assert "这一户，请核对地址" in (await bot.dm("朱东", text))[0].text, text
    async with bot.db.unit_of_work() as uow:
        assert await uow.households.by_address(address="8栋1单元101") is None
    assert "王辉的上级：周组长" in (await bot.dm("朱东", "设置上级 王辉 周组长"))[0].text
    said = await bot.dm("朱东", "设置上级 周组长 孙阿姨")  # 孙阿姨 → 周组长 → 张正芳
    assert "上级会绕回本人（周组长 → 孙阿姨 → 周组长）" in said[0].text
    assert "上级会绕回本人" in (await bot.dm("朱东", "设置上级 张正芳 王辉"))[0].text
    assert "只有管理员" in (await bot.dm("孙阿姨", "重点户 3栋2单元501 留守"))[0].text
