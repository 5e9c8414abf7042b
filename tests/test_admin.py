"""Admin in chat: roles, grids, buildings, backups and leaves take effect at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config
from handlers.clock import ManualClock
from storage import Database
from tests.fakes import Bot, config_from, example_raw, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


async def test_refused_for_non_admins_and_in_groups(bot: Bot) -> None:
    assert "只有管理员" in (await bot.dm("张正芳", "设置角色 王辉 网格员"))[0].text
    assert "只有管理员" in (await bot.dm("王辉", "划转楼栋 5栋 第一网格"))[0].text
    assert "请私聊我发送" in (await bot.say("朱东", "设置角色 王辉 网格员"))[0].text
    assert await bot.say("王辉", "设置角色 王辉 网格员") == []  # not his: no chatter
    async with bot.db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name="王辉")
        assert person is not None and person.roles == {"resident"}
        assert await uow.people.changes(limit=5) == []


async def test_unknown_person_grid_role_or_building(bot: Bot) -> None:
    answers = [
        (await bot.dm("朱东", text))[0].text
        for text in (
            "设置角色 李四 网格员",
            "设置角色 王辉 飞行员",
            "加入网格 王辉 第九网格",
            "划转楼栋 99栋 第一网格",
            "设置角色 王辉",
        )
    ]
    assert "没有找到「李四」" in answers[0]
    assert "没有「飞行员」这个角色" in answers[1]
    assert "没有「第九网格」。现有网格：第一网格、第二网格" in answers[2]
    assert "本小区没有「99栋」" in answers[3]
    assert "用法" in answers[4]


async def test_a_new_grid_worker_receives_alerts_at_once(bot: Bot) -> None:
    said = await bot.dm("朱东", "加入网格 王辉 第二网格")
    assert "已把王辉加入第二网格" in said[0].text
    said = await bot.say("小赵", "上报 6栋 楼道堆物")
    assert to(said, "陈刚") and to(said, "王辉")
    assert "接单" in (await bot.dm("王辉", "帮助"))[0].text  # he has the role now
    await bot.dm("朱东", "取消角色 王辉 网格员")
    said = await bot.say("小赵", "上报 7栋 楼道堆物")
    assert to(said, "王辉") == []
    assert "只有" in (await bot.dm("王辉", "接单 H2"))[0].text


async def test_moving_a_building_routes_its_reports_to_the_new_grid(bot: Bot) -> None:
    said = await bot.dm("朱东", "划转楼栋 5栋 第一网格")
    assert "已把5栋从第二网格划到第一网格。以后的上报由李娜处理" in said[0].text
    said = await bot.say("郭先德", "上报 5栋 楼道堆物")
    assert to(said, "李娜") and to(said, "陈刚") == []


async def test_leave_routes_to_the_backup_until_it_ends(bot: Bot) -> None:
    assert "没有备岗人员" in (await bot.dm("朱东", "请假 李娜 至 明天"))[0].text
    said = await bot.say("王辉", "上报 3栋 楼道堆物")
    assert to(said, "李娜") == [] and to(said, "张正芳")  # nobody in the grid: the community
    await bot.dm("朱东", "备岗 第一网格 陈刚")
    said = await bot.say("王辉", "上报 2栋 电线老化")
    assert to(said, "陈刚") and to(said, "李娜") == []
    assert "已转交第一网格备岗陈刚处理" in to(said, "群")[0].text  # not called its 网格员
    grids = (await bot.dm("朱东", "网格"))[0].text
    assert "李娜（请假至11月27日）" in grids and "备岗 陈刚" in grids
    await bot.tick(timedelta(days=2))  # the leave is over
    said = await bot.say("王辉", "上报 1栋 楼道堆物")
    assert to(said, "李娜") and to(said, "陈刚") == []
    await bot.dm("朱东", "请假 李娜 至 12月10日")
    assert "李娜已销假" in (await bot.dm("朱东", "销假 李娜"))[0].text
    assert to(await bot.say("王辉", "上报 4栋 消防栓坏了"), "李娜")
    assert "已经过去" in (await bot.dm("朱东", "请假 李娜 至 11月1日"))[0].text


async def test_every_change_is_in_the_audit_trail(bot: Bot) -> None:
    await bot.dm("朱东", "设置角色 王辉 邻长")
    await bot.dm("朱东", "划转楼栋 5栋 第一网格")
    await bot.dm("朱东", "请假 李娜 至 明天")
    log = (await bot.dm("朱东", "变更记录"))[0].text.splitlines()
    assert log[0] == "最近的变更："
    assert "朱东 请假：李娜 请假至11月27日" in log[1]
    assert "朱东 划转楼栋：5栋 从第二网格划到第一网格" in log[2]
    assert "朱东 设置角色：王辉 成为邻长" in log[3]
    await bot.dm("朱东", "移出网格 李娜 第一网格")
    await bot.dm("朱东", "备岗 第一网格 陈刚")
    await bot.dm("朱东", "销假 李娜")
    await bot.dm("朱东", "重点户 3栋2单元501 留守")
    await bot.dm("朱东", "指派邻长 3栋2单元501 王辉")
    log = (await bot.dm("朱东", "变更记录"))[0].text.splitlines()
    assert "朱东 修改住户：3栋2单元501 邻长为王辉" in log[1]
    assert "朱东 修改住户：3栋2单元501 设为重点户（留守）" in log[2]
    assert "朱东 销假：李娜 销假" in log[3]
    assert "朱东 设置备岗：第一网格的备岗为陈刚" in log[4]
    assert "朱东 移出网格：李娜 移出第一网格" in log[5]
    assert "不能取消自己的管理员角色" in (await bot.dm("朱东", "取消角色 朱东 管理员"))[0].text


def demo(tmp_path: Path) -> Config:
    return config_from(example_raw(), tmp_path / "admin.db")


async def test_chat_changes_survive_a_restart_until_the_config_changes(
    tmp_path: Path, clock: ManualClock
) -> None:
    cfg = demo(tmp_path)
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, clock, db)
        await bot.app.start()
        await bot.dm("朱东", "划转楼栋 5栋 第一网格")
    async with Database(cfg.storage.url) as db:  # restarted with the same config
        bot = Bot(cfg, clock, db)
        await bot.app.start()
        assert to(await bot.say("郭先德", "上报 5栋 楼道堆物"), "李娜")
    raw = example_raw()
    raw["grids"][1]["workers"] = []  # the config is edited: it wins
    edited = config_from(raw, tmp_path / "admin.db")
    async with Database(edited.storage.url) as db:
        bot = Bot(edited, clock, db)
        await bot.app.start()
        said = await bot.say("郭先德", "上报 6栋 楼道堆物")
        assert to(said, "李娜") == [] and to(said, "张正芳")
        assert "配置文件" in (await bot.dm("朱东", "变更记录"))[0].text


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("何伟", "表决 P1 同意"),
        ("朱东", "统计"),
        ("朱东", "名单 E1"),
        ("朱东", "发起活动 议事会 12月5日 19:00 党群服务中心"),
        ("朱东", "通知列表"),
        ("孙阿姨", "走访 5栋1单元102 身体好"),
        ("王辉", "满意 H1"),
        ("朱东", "@小区助手 统计"),
        ("朱东", "/stats"),
    ],
)
async def test_private_only_commands_in_a_group_say_where(bot: Bot, name: str, text: str) -> None:
    [said] = await bot.say(name, text)
    assert said.where == "群" and "请私聊我发送" in said.text


async def test_group_leads_and_volunteers_are_roles_given_in_chat(bot: Bot) -> None:
    assert "已给王辉加上角色：组长" in (await bot.dm("朱东", "设置角色 王辉 组长"))[0].text
    assert "已给王辉加上角色：志愿者" in (await bot.dm("朱东", "设置角色 王辉 志愿者"))[0].text
    assert "组长、志愿者" in (await bot.dm("朱东", "设置角色 王辉 队长"))[0].text


async def test_who_cannot_be_reached_is_answered_only_in_private(bot: Bot) -> None:
    [hint] = await bot.say("朱东", "无法联系")
    assert "私聊" in hint.text and "工作人员" not in hint.text
    [answer] = await bot.dm("朱东", "无法联系")
    assert "工作人员" in answer.text


async def test_taking_a_worker_off_names_the_reports_they_still_hold(bot: Bot) -> None:
    """Off the grid or without the role, a worker's open reports would wait on someone who can
    no longer act: the admin is told which, and how to hand them on."""
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("王辉", "上报 3栋 消防通道被堵")
    await bot.dm("李娜", "接单 H1")
    said = await bot.dm("朱东", "移出网格 李娜 第一网格")
    assert "已把李娜移出第一网格" in said[0].text
    assert "李娜手上还有未办结的隐患 H1、H2" in said[0].text and "转派 H1 姓名" in said[0].text
    said = await bot.dm("朱东", "取消角色 李娜 网格员")
    assert "H1、H2" in said[0].text
    await bot.dm("朱东", "转派 H1 陈刚")
    await bot.dm("朱东", "转派 H2 陈刚")
    said = await bot.dm("朱东", "设置角色 李娜 网格员")
    said = await bot.dm("朱东", "取消角色 李娜 网格员")
    assert "未办结" not in said[0].text  # nothing left with her


async def test_a_leave_is_for_staff_only(bot: Bot) -> None:
    said = await bot.dm("朱东", "请假 王辉 至 12月8日")  # a resident: nobody's alerts to hand on
    assert said[0].text == "王辉不是工作人员（网格员、社区、物业等），不需要登记请假。"
    log = (await bot.dm("朱东", "变更记录"))[0].text
    assert "请假" not in log
    said = await bot.dm("朱东", "请假 李娜 至 12月8日")
    assert "已登记李娜请假" in said[0].text
