"""The hazard report life cycle through the real App, on a real SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.clock import ManualClock
from storage import Database
from storage.reports import ACKNOWLEDGED, OPEN, RESOLVED
from tests.fakes import Bot, config_from, example_raw, to

BOTH_BACKENDS = True  # this suite runs on SQLite and on PostgreSQL


async def test_report_is_filed_answered_in_group_and_routed_to_grid_worker(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋 楼道飞线充电")
    group = to(said, "群")
    assert len(group) == 1
    assert "H1" in group[0].text and "李娜" in group[0].text
    assert "501" not in group[0].text  # no private data of the reporter in the group
    alert = to(said, "李娜")
    assert len(alert) == 1
    assert "H1" in alert[0].text and "楼道飞线充电" in alert[0].text
    assert "王辉" in alert[0].text and "3栋2单元501" in alert[0].text
    assert alert[0].buttons == ("接单 H1", "办结 H1")
    async with bot.db.unit_of_work() as uow:
        report = await uow.reports.get(report_id=1)
        worker = await uow.people.find_by_name(name="李娜")
    assert report.status == OPEN and report.building == "3栋" and report.category == "飞线充电"
    assert worker is not None and report.assignee_id == worker.id


async def test_acknowledge_and_resolve_tell_the_reporter(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    said = await bot.dm("李娜", "接单 H1")
    assert "已接单 H1" in to(said, "李娜")[0].text
    assert "李娜接单" in to(said, "王辉")[0].text
    said = await bot.dm("李娜", "办结 H1 已清理")
    assert "已办结 H1" in to(said, "李娜")[0].text
    assert "已清理" in to(said, "王辉")[0].text
    async with bot.db.unit_of_work() as uow:
        report = await uow.reports.get(report_id=1)
        events = [e.kind for e in await uow.reports.events(report_id=1)]
    assert report.status == RESOLVED and report.resolution == "已清理"
    assert events == ["filed", "acknowledged", "resolved"]


async def test_two_numbers_in_one_acknowledgement_take_neither(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("郭先德", "上报 3栋 消防通道堵了")
    said = await bot.dm("李娜", "接单 H1 H2")
    assert [s.text for s in said] == ["一次只能接单一个工单，请分别发送：「接单 H1」、「接单 H2」"]
    async with bot.db.unit_of_work() as uow:
        assert [(await uow.reports.get(report_id=n)).status for n in (1, 2)] == [OPEN, OPEN]
    assert "已接单 H1" in to(await bot.dm("李娜", "接单 H1 马上去"), "李娜")[0].text


async def test_button_press_reaches_the_same_handler_as_typing(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    said = await bot.dm("李娜", "", action="接单 H1")
    assert "已接单 H1" in to(said, "李娜")[0].text
    async with bot.db.unit_of_work() as uow:
        assert (await uow.reports.get(report_id=1)).status == ACKNOWLEDGED


async def test_unknown_building_goes_to_the_community(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 12栋 消防通道被堵")
    assert "没有「12栋」" in to(said, "群")[0].text and "张正芳" in to(said, "群")[0].text
    assert "12栋" in to(said, "张正芳")[0].text
    assert to(said, "李娜") == [] and to(said, "陈刚") == []


async def test_report_without_text_gets_usage_and_files_nothing(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋")
    assert len(said) == 1 and "发现了什么隐患" in said[0].text
    said = await bot.say("王辉", "上报")
    assert len(said) == 1 and "用法" in said[0].text
    async with bot.db.unit_of_work() as uow:
        assert await uow.reports.active_of_reporter(person_id=1) == []


async def test_actions_refused_for_the_wrong_person_or_report(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    said = await bot.dm("陈刚", "接单 H1")  # a worker of the other grid
    assert "不是派给您的" in said[0].text
    said = await bot.dm("王辉", "接单 H1")  # a resident
    assert "只有" in said[0].text
    said = await bot.dm("李娜", "接单 H9")
    assert "没有找到工单 H9" in said[0].text
    said = await bot.dm("李娜", "接单")
    assert "用法" in said[0].text
    async with bot.db.unit_of_work() as uow:
        assert (await uow.reports.get(report_id=1)).status == OPEN


async def test_over_long_text_and_control_characters_are_refused(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋 " + "飞" * 2001)
    assert len(said) == 1 and "太长" in said[0].text
    said = await bot.say("王辉", "上报 3栋 楼道\x07飞线")
    assert len(said) == 1 and "特殊字符" in said[0].text
    async with bot.db.unit_of_work() as uow:
        assert await uow.reports.active_of_reporter(person_id=1) == []


async def test_group_chatter_is_ignored_and_private_chatter_gets_help(bot: Bot) -> None:
    assert await bot.say("王辉", "今天天气真好") == []
    assert await bot.say("王辉", "我的车停在哪里了") == []  # starts like 我的, is chatter
    said = await bot.dm("王辉", "你好")
    assert "上报" in said[0].text and "接单" not in said[0].text


async def test_help_depends_on_role(bot: Bot) -> None:
    resident = (await bot.dm("王辉", "帮助"))[0].text
    worker = (await bot.dm("李娜", "/help"))[0].text
    assert "工单" not in resident and "工单" in worker


async def test_unknown_command_gets_a_short_answer(bot: Bot) -> None:
    said = await bot.say("王辉", "/frobnicate now")
    assert said[0].text.startswith("没有「/frobnicate」")
    assert await bot.say("王辉", "/report@another_bot 3栋 x") == []


async def test_redelivered_message_is_handled_once(bot: Bot) -> None:
    first = await bot.say("王辉", "上报 3栋 楼道飞线充电", message_id="tg-77")
    again = await bot.say("王辉", "上报 3栋 楼道飞线充电", message_id="tg-77")
    assert len(first) == 2 and again == []
    async with bot.db.unit_of_work() as uow:
        assert len(await uow.reports.active_of_reporter(person_id=1)) == 1


async def test_my_lists_open_reports(bot: Bot) -> None:
    assert "没有未办结" in (await bot.dm("王辉", "我的"))[0].text
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.say("王辉", "@小区助手 上报 三号楼 灭火器过期")
    text = (await bot.dm("王辉", "我的"))[0].text
    assert "H1" in text and "H2" in text and "待接单" in text
    # as residents say it: the same list, not the help text
    for said in ("我的上报", "我的工单", "我的报餐", "我的活动", "我的预约"):
        assert (await bot.dm("王辉", said))[0].text == text
    assert "保存的您的信息" in (await bot.dm("王辉", "我的信息"))[0].text  # still privacy


async def test_unacknowledged_report_escalates_to_the_community(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    assert await bot.tick(timedelta(minutes=29)) == []
    said = await bot.tick(timedelta(minutes=2))
    up = to(said, "张正芳")
    assert len(up) == 1 and "超时未接单" in up[0].text and "H1" in up[0].text
    assert "张正芳" in to(said, "李娜")[0].text
    assert await bot.tick(timedelta(minutes=1)) == []  # escalated once, not again
    said = await bot.tick(timedelta(minutes=30))
    assert len(to(said, "朱东")) == 1  # then to the branch


async def test_urgent_report_reaches_every_level_and_tells_group_to_call_119(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 5栋 地下室冒烟了")
    assert "119" in to(said, "群")[0].text
    for person in ("陈刚", "张正芳", "朱东"):
        assert "紧急" in to(said, person)[0].text
    said = await bot.say("郭先德", "上报 5栋1单元 楼道有煤气味")
    assert "燃气" in to(said, "群")[0].text and "96777" in to(said, "群")[0].text


async def test_everything_survives_a_restart(bot: Bot) -> None:
    await bot.say("王辉", "上报 3栋 楼道飞线充电")
    await bot.db.close()
    async with Database(bot.cfg.storage.url) as db:
        again = Bot(bot.cfg, bot.clock, db)
        await again.app.start()
        text = (await again.dm("王辉", "我的"))[0].text
        assert "H1" in text
        said = await again.say("王辉", "上报 4栋 电梯故障")
        assert "H2" in to(said, "群")[0].text


async def test_help_examples_name_the_running_communitys_people(tmp_path: Path) -> None:
    """Another community's help does not tell its workers to hand reports to 陈刚."""
    raw = json.loads(
        json.dumps(example_raw(), ensure_ascii=False)
        .replace("李娜", "高岚")
        .replace("陈刚", "吴磊")
        .replace("第一网格", "东区网格")
        .replace("郭先德", "钱大爷")
    )
    cfg = config_from(raw, tmp_path / "other.db")
    async with Database(cfg.storage.url) as db:
        bot = Bot(cfg, ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC)), db)
        await bot.app.start()
        [admin] = await bot.dm("朱东", "帮助")
        [worker] = await bot.dm("高岚", "帮助")
    for text in (admin.text, worker.text):
        assert not any(name in text for name in ("李娜", "陈刚", "第一网格", "郭先德"))
    assert "转派 H1 吴磊" in worker.text and "代报 张三 5栋" in worker.text
    assert "备岗 东区网格 吴磊" in admin.text


async def test_a_hazard_told_to_the_bot_without_a_command_word_is_asked_about(bot: Bot) -> None:
    """@小区助手 5栋楼道里着火了 (or a hazard in private) is neither ignored nor filed on a
    guess: the resident is asked once, with the safety advice at once when it is urgent."""
    [asked] = await bot.say("钱奶奶", "@小区助手 5栋楼道里着火了")
    assert asked.where == "群" and "119" in asked.text and "回复「是」" in asked.text
    said = await bot.say("钱奶奶", "是")
    assert "【隐患上报 H1】【紧急】" in to(said, "陈刚")[0].text
    assert await bot.say("赵敏", "5栋楼道里着火了") == []  # not said to the bot: group talk
    [asked] = await bot.dm("王辉", "3栋电梯里停了电瓶车")
    assert "您是要上报隐患" in asked.text
    [answer] = await bot.dm("王辉", "不是")
    assert "没有上报" in answer.text
    async with bot.db.unit_of_work() as uow:
        chen = await uow.people.find_by_name(name="陈刚")
        assert chen is not None
        assert [r.number for r in await uow.reports.active_of_assignee(person_id=chen.id)] == ["H1"]
        li = await uow.people.find_by_name(name="李娜")
        assert li is not None and await uow.reports.active_of_assignee(person_id=li.id) == []


async def test_the_answer_to_which_building_may_be_in_traditional_characters(bot: Bot) -> None:
    [asked] = await bot.say("老李", "上报 楼道堆满了纸箱")
    assert "哪一栋" in asked.text
    said = await bot.say("老李", "三號樓")
    assert "【隐患上报 H1】" in to(said, "李娜")[0].text


async def test_a_phone_number_in_a_report_is_not_repeated_to_the_group(bot: Bot) -> None:
    said = await bot.say("王辉", "上报 3栋 楼道飞线充电 联系我13812345678")
    assert "138****5678" in to(said, "群")[0].text
    assert all("13812345678" not in s.text for s in to(said, "群"))
    assert "13812345678" in to(said, "李娜")[0].text  # the worker can call back


async def test_two_buildings_in_one_report_are_not_silently_cut_to_one(bot: Bot) -> None:
    [answer] = await bot.say("王辉", "上报 3栋和5栋 楼道都有人飞线充电")
    assert "3栋和5栋" in answer.text and "还没有上报" in answer.text
    async with bot.db.unit_of_work() as uow:
        person = await uow.people.find_by_name(name="王辉")
        assert person is not None
        assert await uow.reports.active_of_reporter(person_id=person.id) == []
